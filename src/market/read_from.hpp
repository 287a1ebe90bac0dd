#pragma once

#include <vector>

namespace nn {
class App;
namespace db {
class QueryRunner;
}
}  // namespace nn

namespace nn::market {

// Where a directory reads (market role, timescale database): the primary, or the read replica
// when one is configured — stale by at most NEXANEST_DB_REPLICA_MAX_LAG, the primary when the
// replica lags or does not answer (db::ReadRouter). Analytics reads tolerate that staleness.
enum class ReadFrom { kPrimary, kReplica };

// One runner per shard of `app` for the market role's timescale database, read as `from` says.
std::vector<db::QueryRunner*> RunnersFor(App& app, ReadFrom from);

}  // namespace nn::market
