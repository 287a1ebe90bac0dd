#include "infra/db/connection.hpp"

#include <poll.h>

#include <cstdio>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/detail/connection_impl.hpp"

namespace nn::db {
namespace asio = boost::asio;
using detail::Clock;

namespace detail {

const std::string* PreparedCache::Find(std::uint64_t key,
                                       std::string_view sql,
                                       const std::vector<std::uint32_t>& oids) {
    auto it = index_.find(key);
    if (it == index_.end() || it->second->sql != sql || it->second->oids != oids) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return &it->second->name;
}

std::optional<std::string> PreparedCache::Insert(Entry entry) {
    std::optional<std::string> evicted;
    if (auto it = index_.find(entry.key); it != index_.end()) {
        // A hash collision with a different statement: the old one makes room.
        evicted = it->second->name;
        lru_.erase(it->second);
        index_.erase(it);
    } else if (lru_.size() >= capacity_) {
        evicted = lru_.back().name;
        index_.erase(lru_.back().key);
        lru_.pop_back();
    }
    std::uint64_t key = entry.key;
    lru_.push_front(std::move(entry));
    index_[key] = lru_.begin();
    return evicted;
}

void PreparedCache::Clear() {
    lru_.clear();
    index_.clear();
}

WireParams::WireParams(const Params& params) : count(static_cast<int>(params.Size())) {
    oids.reserve(params.Size());
    values.reserve(params.Size());
    lengths.reserve(params.Size());
    formats.reserve(params.Size());
    for (const ParamValue& p : params.Values()) {
        oids.push_back(p.oid);
        values.push_back(p.null ? nullptr : p.bytes.data());
        lengths.push_back(static_cast<int>(p.bytes.size()));
        formats.push_back(p.binary ? 1 : 0);
    }
}

std::uint64_t StatementKey(std::string_view sql, const std::vector<Oid>& oids) {
    // FNV-1a over 8-byte words (a multiply per word, not per byte: every statement's SQL is hashed
    // on every call, a recorded transaction's fused statement is 3-4 kB), the rotation spreading
    // each word's high bits. Stable across runs, so statement names are readable in
    // pg_prepared_statements; the cache compares the SQL itself, so a collision costs nothing.
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&h](std::uint64_t word) {
        h ^= word;
        h *= 1099511628211ull;
        h ^= h >> 29;
    };
    std::size_t i = 0;
    for (; i + 8 <= sql.size(); i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, sql.data() + i, 8);
        mix(word);
    }
    std::uint64_t tail = sql.size();
    for (; i < sql.size(); ++i) tail = (tail << 8) | static_cast<unsigned char>(sql[i]);
    mix(tail);
    for (const Oid o : oids) mix(o);
    return h;
}

ConnectionImpl::ConnectionImpl(ConnectOptions opts, std::shared_ptr<PgConn> conn)
    : options(std::move(opts)), pg(std::move(conn)), cache(options.prepared_cache_size) {}

void ConnectionImpl::EnsureUsable(std::string_view query_name) const {
    if (!pg->Broken()) return;
    ErrorInfo info;
    info.server_message = "connection is broken";
    info.query_name = query_name;
    throw ConnectionError(ErrorKind::kUnavailable, "db.connection", std::move(info));
}

BusyGuard::~BusyGuard() {
    impl_.busy = false;
}

BusyGuard ConnectionImpl::Claim(std::string_view query_name, bool copy) {
    EnsureUsable(query_name);
    if (busy || (copying && !copy)) {
        ErrorInfo info;
        info.query_name = query_name;
        info.server_message = busy ? "the connection is already in use by another coroutine"
                                   : "a COPY is in progress on this connection";
        throw ServerError(ErrorKind::kInternal, busy ? "db.connection_busy" : "db.copy_in_progress",
                          std::move(info));
    }
    busy = true;
    return BusyGuard(*this);
}

void ConnectionImpl::ThrowError(ErrorInfo info) {
    if (PQstatus(Raw()) == CONNECTION_BAD || info.sqlstate.empty()) {
        pg->MarkBroken();
        if (info.server_message.empty()) info.server_message = "connection lost";
        throw ConnectionError(ErrorKind::kUnavailable, "db.connection", std::move(info));
    }
    if (info.sqlstate == "57014" && pg->CancelSent()) {
        throw DeadlineExceeded(ErrorKind::kTimeout, "db.timeout", std::move(info));
    }
    if (info.sqlstate == "08P01" && info.severity == "ERROR") {
        // Raised by the type receive functions for malformed binary data (a COPY field of the
        // wrong width): the session itself is fine.
        throw DataException(ErrorKind::kUnprocessable, "db.data_exception", std::move(info));
    }
    if (info.severity == "FATAL" || info.severity == "PANIC" || info.sqlstate.starts_with("08") ||
        info.sqlstate.starts_with("57P")) {
        pg->MarkBroken();
    }
    if (info.sqlstate == "0A000" || info.sqlstate == "26000") InvalidateStatements();
    ThrowServerError(std::move(info));
}

std::exception_ptr ConnectionImpl::MakeError(ErrorInfo info) {
    try {
        ThrowError(std::move(info));
    } catch (...) {
        return std::current_exception();
    }
}

asio::awaitable<Result> ConnectionImpl::Collect(std::string_view query_name) {
    PgResultPtr last;
    std::optional<ErrorInfo> error;
    for (;;) {
        PgResultPtr r = co_await pg->NextResult();
        if (!r) break;
        switch (PQresultStatus(r.get())) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY:
                last = std::move(r);
                break;
            case PGRES_COPY_IN:
            case PGRES_COPY_OUT:
            case PGRES_COPY_BOTH: {
                // COPY has its own API (CopyIn); the protocol state cannot be recovered here.
                pg->MarkBroken();
                ErrorInfo info;
                info.server_message = "COPY through Execute is not supported; use CopyIn";
                info.query_name = query_name;
                throw ServerError(ErrorKind::kInternal, "db.copy_not_supported", std::move(info));
            }
            default:
                if (!error) error = pg->ErrorFrom(r.get(), query_name);
                break;
        }
    }
    if (error) ThrowError(std::move(*error));
    co_return Result(std::shared_ptr<pg_result>(last.release(), PgResultDeleter()), query_name);
}

asio::awaitable<Result> ConnectionImpl::ExecutePrepared(const Query& query, const Params& params) {
    WireParams wire(params);
    if (!options.prepare_statements) {
        std::string sql(query.sql);
        if (PQsendQueryParams(Raw(), sql.c_str(), wire.count, wire.oids.data(), wire.values.data(),
                              wire.lengths.data(), wire.formats.data(), 1) == 0) {
            pg->ThrowConnectionError("PQsendQueryParams", query.name);
        }
        co_await pg->Flush();
        co_return co_await Collect(query.name);
    }
    const std::uint64_t key = StatementKey(query.sql, wire.oids);
    const std::string* cached = cache.Find(key, query.sql, wire.oids);
    std::string name;
    if (cached != nullptr) {
        name = *cached;
    } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "nn_%016llx_%llu", static_cast<unsigned long long>(key),
                      static_cast<unsigned long long>(generation));
        name = buf;
        std::string sql(query.sql);
        if (PQsendPrepare(Raw(), name.c_str(), sql.c_str(), wire.count, wire.oids.data()) == 0) {
            pg->ThrowConnectionError("PQsendPrepare", query.name);
        }
        co_await pg->Flush();
        co_await Collect(query.name);
        auto evicted = cache.Insert(PreparedCache::Entry{key, std::move(sql), wire.oids, name});
        if (evicted) co_await ExecuteUnprepared("DEALLOCATE " + *evicted, "db.deallocate");
    }
    if (PQsendQueryPrepared(Raw(), name.c_str(), wire.count, wire.values.data(), wire.lengths.data(),
                            wire.formats.data(), 1) == 0) {
        pg->ThrowConnectionError("PQsendQueryPrepared", query.name);
    }
    co_await pg->Flush();
    co_return co_await Collect(query.name);
}

asio::awaitable<Result> ConnectionImpl::ExecuteUnprepared(std::string_view sql, std::string_view query_name) {
    std::string text(sql);
    if (PQsendQueryParams(Raw(), text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1) == 0) {
        pg->ThrowConnectionError("PQsendQueryParams", query_name);
    }
    co_await pg->Flush();
    co_return co_await Collect(query_name);
}

asio::awaitable<void> ConnectionImpl::Drain() {
    co_await pg->Flush();
    for (;;) {
        PgResultPtr r = co_await pg->NextResult();
        if (!r) break;
    }
    needs_drain = false;
}

void ConnectionImpl::InvalidateStatements() {
    cache.Clear();
    ++generation;
    deallocate_all_pending = true;
}

void ConnectionImpl::Record(std::string_view name,
                            Clock::time_point start,
                            QueryMetrics::Outcome outcome) const {
    if (!options.metrics) return;
    options.metrics->Record(name, std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start),
                            outcome);
}

}  // namespace detail

namespace {

using ConninfoOptions = std::vector<std::pair<std::string, std::string>>;

ConninfoOptions ParseConninfo(const std::string& url) {
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &error);
    if (parsed == nullptr) {
        ErrorInfo info;
        info.server_message = "invalid database URL";
        if (error != nullptr) {
            info.server_message += std::string(": ") + error;
            PQfreemem(error);
        }
        throw ConnectionError(ErrorKind::kUnavailable, "db.bad_url", std::move(info));
    }
    ConninfoOptions out;
    for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
        if (o->val != nullptr && *o->val != '\0') out.emplace_back(o->keyword, o->val);
    }
    PQconninfoFree(parsed);
    return out;
}

std::string Get(const ConninfoOptions& options, std::string_view key) {
    for (const auto& [k, v] : options) {
        if (k == key) return v;
    }
    return {};
}

// libpq resolves host names with a blocking getaddrinfo inside PQconnectPoll. For the usual
// single host we resolve it with Asio first and hand libpq the address as hostaddr (host stays
// for TLS verification and .pgpass). Host lists and Unix sockets are left to libpq.
asio::awaitable<void> ResolveHost(ConninfoOptions& options) {
    const std::string host = Get(options, "host");
    if (host.empty() || host.front() == '/' || host.front() == '@' || host.find(',') != std::string::npos ||
        !Get(options, "hostaddr").empty()) {
        co_return;
    }
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    if (!ec) co_return;
    std::string port = Get(options, "port");
    if (port.empty()) port = "5432";
    asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
    if (rec || endpoints.empty()) {
        ErrorInfo info;
        info.server_message = "cannot resolve database host " + host + ": " + rec.message();
        throw ConnectionError(ErrorKind::kUnavailable, "db.connection", std::move(info));
    }
    options.emplace_back("hostaddr", endpoints.begin()->endpoint().address().to_string());
}

}  // namespace

Connection::Connection(std::unique_ptr<detail::ConnectionImpl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

asio::awaitable<std::unique_ptr<Connection>> Connection::Connect(asio::any_io_executor executor,
                                                                 ConnectOptions options) {
    const auto deadline = Clock::now() + options.connect_timeout;
    ConninfoOptions params = ParseConninfo(options.url);
    co_await ResolveHost(params);
    if (Get(params, "application_name").empty())
        params.emplace_back("application_name", options.application_name);
    auto pg = std::make_shared<detail::PgConn>(executor);
    co_await pg->Connect(std::move(params), deadline);
    co_return std::unique_ptr<Connection>(
        new Connection(std::make_unique<detail::ConnectionImpl>(std::move(options), std::move(pg))));
}

asio::awaitable<std::unique_ptr<Connection>> Connection::Connect(asio::any_io_executor executor,
                                                                 std::string url) {
    ConnectOptions options;
    options.url = std::move(url);
    return Connect(executor, std::move(options));
}

asio::awaitable<Result> Connection::Run(Query query,
                                        Params params,
                                        std::optional<std::chrono::milliseconds> timeout) {
    detail::ConnectionImpl& im = *impl_;
    auto busy = im.Claim(query.name);
    const auto start = Clock::now();
    auto guard = im.Guard(im.DeadlineFor(timeout));
    try {
        if (im.needs_drain) co_await im.Drain();
        for (int attempt = 0;; ++attempt) {
            const bool idle = PQtransactionStatus(im.Raw()) == PQTRANS_IDLE;
            if (im.deallocate_all_pending && idle) {
                co_await im.ExecuteUnprepared("DEALLOCATE ALL", "db.deallocate_all");
                im.deallocate_all_pending = false;
            }
            try {
                Result result = co_await im.ExecutePrepared(query, params);
                im.Record(query.name, start, QueryMetrics::Outcome::kOk);
                co_return result;
            } catch (const DbError& e) {
                // A statement invalidated by DDL (0A000) or dropped behind our back (26000) is
                // prepared again, once, when no transaction was aborted by the failure.
                const bool stale =
                    dynamic_cast<const CachedPlanInvalidated*>(&e) != nullptr || e.SqlState() == "26000";
                if (!stale || attempt > 0 || !idle) throw;
            }
        }
    } catch (const DeadlineExceeded&) {
        im.Record(query.name, start, QueryMetrics::Outcome::kTimeout);
        throw;
    } catch (...) {
        im.Record(query.name, start, QueryMetrics::Outcome::kError);
        throw;
    }
}

asio::awaitable<void> Connection::ExecuteScript(std::string_view sql,
                                                std::optional<std::chrono::milliseconds> timeout) {
    detail::ConnectionImpl& im = *impl_;
    auto busy = im.Claim("script");
    auto guard = im.Guard(im.DeadlineFor(timeout));
    if (im.needs_drain) co_await im.Drain();
    std::string text(sql);
    if (PQsendQuery(im.Raw(), text.c_str()) == 0) im.pg->ThrowConnectionError("PQsendQuery", "script");
    co_await im.pg->Flush();
    co_await im.Collect("script");
}

bool Connection::IsBroken() const noexcept {
    return impl_->pg->Broken();
}

bool Connection::InTransaction() const noexcept {
    auto status = PQtransactionStatus(impl_->Raw());
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

bool Connection::NeedsReset() const noexcept {
    // PQTRANS_ACTIVE: left in the middle of a command; Reset() then refuses and the pool
    // closes the connection.
    return impl_->needs_drain || impl_->deallocate_all_pending || InTransaction() ||
           PQtransactionStatus(impl_->Raw()) == PQTRANS_ACTIVE ||
           PQpipelineStatus(impl_->Raw()) != PQ_PIPELINE_OFF;
}

asio::awaitable<void> Connection::Reset(std::chrono::milliseconds timeout) {
    detail::ConnectionImpl& im = *impl_;
    auto busy = im.Claim("reset");
    auto guard = im.Guard(Clock::now() + timeout);
    if (im.needs_drain) co_await im.Drain();
    if (PQtransactionStatus(im.Raw()) == PQTRANS_ACTIVE || PQpipelineStatus(im.Raw()) != PQ_PIPELINE_OFF) {
        im.pg->ThrowConnectionError("reset: a command is still in progress");
    }
    if (InTransaction()) co_await im.ExecuteUnprepared("ROLLBACK", "db.rollback");
    if (im.deallocate_all_pending) {
        co_await im.ExecuteUnprepared("DEALLOCATE ALL", "db.deallocate_all");
        im.deallocate_all_pending = false;
    }
}

bool Connection::CheckIdleAlive() {
    detail::ConnectionImpl& im = *impl_;
    if (im.pg->Broken()) return false;
    // An idle session receives nothing but notifications and the server's goodbye (a FATAL
    // error such as 57P01 on shutdown, then EOF), which can arrive in two separate reads.
    for (int reads = 0; reads < 4; ++reads) {
        pollfd p{PQsocket(im.Raw()), POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        if (PQconsumeInput(im.Raw()) == 0) {
            im.pg->MarkBroken();
            return false;
        }
        while (PGnotify* n = PQnotifies(im.Raw())) PQfreemem(n);
    }
    if (PQstatus(im.Raw()) != CONNECTION_OK || PQtransactionStatus(im.Raw()) != PQTRANS_IDLE) {
        im.pg->MarkBroken();
        return false;
    }
    return true;
}

int Connection::ServerVersion() const noexcept {
    return PQserverVersion(impl_->Raw());
}
std::size_t Connection::PreparedStatements() const noexcept {
    return impl_->cache.Size();
}
std::uint64_t Connection::Notices() const noexcept {
    return impl_->pg->Notices();
}
const ConnectOptions& Connection::Options() const noexcept {
    return impl_->options;
}
asio::any_io_executor Connection::Executor() const noexcept {
    return impl_->pg->Executor();
}

}  // namespace nn::db
