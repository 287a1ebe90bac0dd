#pragma once

// Private: the state behind a Connection, shared with the COPY, pipeline, transaction and
// LISTEN code of this library.

#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "infra/db/connection.hpp"
#include "infra/db/detail/pg_conn.hpp"

namespace nn::db::detail {

// Bounded LRU of the statements prepared on one connection.
class PreparedCache {
public:
    struct Entry {
        std::uint64_t key = 0;
        std::string sql;
        std::vector<std::uint32_t> oids;
        std::string name;
    };

    explicit PreparedCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    // The statement name, or null; a hit becomes the most recently used.
    const std::string* Find(std::uint64_t key, std::string_view sql, const std::vector<std::uint32_t>& oids);
    // Adds an entry; returns the name of the statement evicted to make room, if any.
    std::optional<std::string> Insert(Entry entry);
    void Clear();
    std::size_t Size() const noexcept { return lru_.size(); }

private:
    std::size_t capacity_;
    std::list<Entry> lru_;
    std::unordered_map<std::uint64_t, std::list<Entry>::iterator> index_;
};

// libpq's parallel arrays for one call, pointing into a Params.
struct WireParams {
    explicit WireParams(const Params& params);
    int count = 0;
    std::vector<Oid> oids;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
};

std::uint64_t StatementKey(std::string_view sql, const std::vector<Oid>& oids);

struct ConnectionImpl;

// Marks the connection busy for one operation: a connection is used by one coroutine at a
// time, and a second one gets an error instead of corrupting the protocol state.
class BusyGuard {
public:
    explicit BusyGuard(ConnectionImpl& impl) : impl_(impl) {}
    ~BusyGuard();
    BusyGuard(const BusyGuard&) = delete;
    BusyGuard& operator=(const BusyGuard&) = delete;

private:
    ConnectionImpl& impl_;
};

struct ConnectionImpl {
    ConnectionImpl(ConnectOptions opts, std::shared_ptr<PgConn> conn);

    ConnectOptions options;
    std::shared_ptr<PgConn> pg;
    PreparedCache cache;
    std::uint64_t generation = 0;         // part of statement names; bumped when the cache is dropped
    bool deallocate_all_pending = false;  // old statements to drop once no transaction is open
    bool needs_drain = false;             // an aborted COPY still has results in flight
    bool busy = false;                    // an operation is running (see BusyGuard)
    bool copying = false;                 // between CopyIn::Begin and Finish

    PGconn* Raw() const noexcept { return pg->Get(); }
    Clock::time_point DeadlineFor(std::optional<std::chrono::milliseconds> timeout) const {
        return Clock::now() + timeout.value_or(options.query_timeout);
    }
    DeadlineGuard Guard(Clock::time_point deadline) {
        return DeadlineGuard(*pg, deadline, OnDeadline::kCancelQuery, options.cancel_grace);
    }
    // Throws ConnectionError when the connection is broken.
    void EnsureUsable(std::string_view query_name) const;
    // EnsureUsable, then refuses a second concurrent user (ServerError "db.connection_busy")
    // and commands during a COPY ("db.copy_in_progress") unless `copy` is set.
    [[nodiscard]] BusyGuard Claim(std::string_view query_name, bool copy = false);

    // Reads every result of the command in flight; returns the last one or throws the first
    // error, typed (DeadlineExceeded when our cancel caused it).
    boost::asio::awaitable<Result> Collect(std::string_view query_name);
    [[noreturn]] void ThrowError(ErrorInfo info);
    std::exception_ptr MakeError(ErrorInfo info);

    boost::asio::awaitable<Result> ExecutePrepared(const Query& query, const Params& params);
    // A statement with no parameters over the extended protocol, not prepared (BEGIN, COMMIT...).
    boost::asio::awaitable<Result> ExecuteUnprepared(std::string_view sql, std::string_view query_name);
    boost::asio::awaitable<void> Drain();
    // Forget every prepared statement (after 0A000 / 26000); the server copies are dropped by
    // DEALLOCATE ALL as soon as no transaction is open.
    void InvalidateStatements();
    void Record(std::string_view name, Clock::time_point start, QueryMetrics::Outcome outcome) const;
};

}  // namespace nn::db::detail
