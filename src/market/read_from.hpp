#pragma once

namespace nn::market {

// Where a directory reads (market role, timescale database): the primary, or the read replica
// when one is configured — stale by at most NEXANEST_DB_REPLICA_MAX_LAG, the primary when the
// replica lags or does not answer (db::ReadRouter). Analytics reads tolerate that staleness.
enum class ReadFrom { kPrimary, kReplica };

}  // namespace nn::market
