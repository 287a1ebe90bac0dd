#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "infra/db/outbox_drain.hpp"
#include "infra/migrate/catalog.hpp"
#include "notify/pg_repository.hpp"

namespace nn::db {
class Pool;
}
namespace nn::redis {
class Client;
}

namespace nn::notify {

// One service database's outbox (docs/schema.md: every outbox has the same columns). The relay
// reads it through the owning service's role in SYSTEM context, the only context its
// `outbox_relay` policy lets read and mark rows.
struct OutboxSource {
    std::string name;  // events.system_events.source: auth, portfolio, analytics, notifications
    migrate::ServiceRole role;
    migrate::Database database;
    std::string table;  // "auth.outbox"
};

// auth, portfolio, analytics and notifications. market_data.outbox is not here: it holds price
// events the market service relays to its own stream (docs/market.md), not audit events.
std::vector<OutboxSource> DefaultSources();

struct RelayOptions {
    int batch_size = 500;
    // Every relayed event is appended here for live consumers (fields: event, source, action,
    // entity_type, entity_id, user_id, data). At-least-once: a consumer dedupes on `event`.
    std::string stream = "nn:events:audit";
    std::int64_t stream_max_len = 100000;
};

// Drains one outbox (a db::OutboxDrain on the source database) into events.system_events,
// events.trading_events (portfolio transaction events; Repository::RecordEvents) and the Redis
// stream. A batch is marked published in the source only after the
// time-series transaction committed and every XADD succeeded; otherwise the batch stays and the
// next run repeats it. Repeating inserts nothing twice: (source, source_event_id, time) and
// (portfolio_id, time, source_event_id) are the targets' keys and the inserts say ON CONFLICT
// DO NOTHING. Rows are claimed FOR UPDATE SKIP LOCKED, so two relays never send the same row at
// once; the scheduler's lease keeps it to one instance anyway.
class OutboxRelay {
public:
    // `target` reaches the timescale database as nexanest_notify; all three must outlive this.
    OutboxRelay(OutboxSource source,
                db::Pool& source_pool,
                db::Pool& target,
                redis::Client& redis,
                RelayOptions options = {});

    // One batch; returns how many outbox rows it published. Throws (leaving the batch pending,
    // with attempts and last_error recorded) when the target or Redis failed.
    boost::asio::awaitable<int> RunOnce();
    // Batches until the outbox is empty or `max_batches` ran.
    boost::asio::awaitable<int> Drain(int max_batches = 100);

    const OutboxSource& Source() const noexcept { return source_; }

private:
    // The events into the time-series database, then each onto the stream.
    boost::asio::awaitable<void> Deliver(const db::OutboxBatch& batch);
    boost::asio::awaitable<void> RecordFailure(const std::vector<std::int64_t>& ids,
                                               const std::string& error);

    OutboxSource source_;
    db::OutboxDrain drain_;
    db::Pool& target_;
    redis::Client& redis_;
    RelayOptions options_;
    PgRepository events_;
};

}  // namespace nn::notify
