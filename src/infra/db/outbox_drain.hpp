#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "infra/db/query.hpp"
#include "infra/db/transaction.hpp"

namespace nn::db {

class Pool;

// A batch of unpublished outbox rows, claimed (FOR UPDATE SKIP LOCKED) in a transaction it
// holds until MarkPublished commits it or Release rolls it back (as does destroying it).
class OutboxBatch {
public:
    OutboxBatch(Transaction tx, Query mark, std::vector<std::int64_t> ids, std::vector<std::string> events);

    // The rows' ids, oldest first, and each row as its event record (OutboxDrain), same order.
    const std::vector<std::int64_t>& Ids() const noexcept { return ids_; }
    const std::vector<std::string>& Events() const noexcept { return events_; }
    bool Empty() const noexcept { return ids_.empty(); }

    // published_at = now(), attempts + 1, last_error cleared; commits.
    boost::asio::awaitable<void> MarkPublished();
    // Rolls back: the rows stay pending, untouched.
    boost::asio::awaitable<void> Release();

private:
    Transaction tx_;
    Query mark_;
    std::vector<std::int64_t> ids_;
    std::vector<std::string> events_;
};

// The outbox of one service database. Every outbox table has the same columns (docs/schema.md:
// id, created_at, actor_id, user_id, aggregate_type, aggregate_id, event_type, payload,
// request_id, ip, published_at, attempts, last_error) and an `outbox_relay` policy that lets
// the SYSTEM context read and mark rows, so one drain serves every database: the caller reads a
// batch, delivers it, and marks it published, or releases it and records the failure.
//
// An event record is a JSON object: source_event_id (the id), time (created_at), actor_id,
// user_id, entity_type (aggregate_type), entity_id (aggregate_id), action (event_type), before
// and after (a payload holding "before" and/or "after" keys gives both sides; any other payload
// is the state after the change), request_id, ip, payload.
class OutboxDrain {
public:
    // `table` is the schema-qualified outbox ("auth.outbox"); the statements are named
    // "<prefix>.select.<key>", "<prefix>.mark.<key>" and "<prefix>.fail.<key>".
    OutboxDrain(Pool& pool, std::string table, const std::string& prefix, const std::string& key);

    // Claims the oldest `limit` unpublished rows that no one else holds.
    boost::asio::awaitable<OutboxBatch> Claim(int limit);
    // attempts + 1 and last_error (its first 500 characters) on `ids`, in a transaction of its own.
    boost::asio::awaitable<void> MarkFailed(const std::vector<std::int64_t>& ids, const std::string& error);

    const std::string& Table() const noexcept { return table_; }

private:
    Pool& pool_;
    std::string table_;
    std::string select_sql_;
    std::string select_name_;
    std::string mark_sql_;
    std::string mark_name_;
    std::string fail_sql_;
    std::string fail_name_;
};

}  // namespace nn::db
