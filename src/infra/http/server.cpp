#include "infra/http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "infra/http/contract.hpp"
#include "infra/http/openapi.hpp"
#include "infra/http/problem.hpp"
#include "infra/http/raw_request.hpp"
#include "infra/http/sse.hpp"

namespace nn::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 8192;
// After refusing a request whose body is still arriving, keep reading (and discarding) this long
// so the client receives the answer instead of a reset.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr std::chrono::milliseconds kForceGrace{2000};

constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
constexpr std::size_t kMethods = 8;

// Each shard counts into its own slots (single writer: plain load+store, no locked
// instructions, no cache line shared between cores); a scrape sums the shards.
void Bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// Per route name: request counts by method and status class, and a latency histogram.
struct alignas(64) RouteStats {
    std::array<std::atomic<std::uint64_t>, kMethods * 5> counts{};
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};  // last: above every bound
    std::atomic<std::uint64_t> sum_us{0};
};

struct alignas(64) ShardStats {
    std::vector<RouteStats> routes;  // by route slot
    std::atomic<std::int64_t> in_flight{0};
};

class HttpMetrics {
public:
    void Prepare(const std::vector<std::unique_ptr<Route>>& routes, std::size_t shards) {
        std::map<std::string, std::size_t> by_name;
        for (const auto& route : routes) {
            auto [it, added] = by_name.emplace(route->name, names_.size());
            if (added) names_.push_back(route->name);
            slot_of_[route.get()] = it->second;
        }
        names_.push_back("unmatched");
        shards_ = std::vector<ShardStats>(shards);
        for (auto& shard : shards_) shard.routes = std::vector<RouteStats>(names_.size());
    }

    void Record(std::size_t shard, const Route* route, Method method, int status, Clock::duration elapsed) {
        std::size_t slot = names_.size() - 1;
        if (route != nullptr) {
            if (auto it = slot_of_.find(route); it != slot_of_.end()) slot = it->second;
        }
        RouteStats& stats = shards_[shard].routes[slot];
        const int status_class = std::clamp(status / 100, 1, 5) - 1;
        Bump(stats.counts[static_cast<std::size_t>(method) * 5 + static_cast<std::size_t>(status_class)]);
        const double seconds = std::chrono::duration<double>(elapsed).count();
        std::size_t bucket = 0;
        while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
        Bump(stats.buckets[bucket]);
        Bump(stats.sum_us, static_cast<std::uint64_t>(
                               std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
    }

    std::atomic<std::int64_t>& InFlight(std::size_t shard) { return shards_[shard].in_flight; }

    void Render(std::string& out, std::size_t connections) const {
        auto sum = [&](std::size_t slot, auto field) {
            std::uint64_t total = 0;
            for (const auto& shard : shards_)
                total += field(shard.routes[slot]).load(std::memory_order_relaxed);
            return total;
        };
        out += "# HELP nn_http_requests_total HTTP requests answered, by route, method and status class.\n";
        out += "# TYPE nn_http_requests_total counter\n";
        for (std::size_t slot = 0; slot < names_.size(); ++slot) {
            for (std::size_t m = 0; m < kMethods; ++m) {
                for (std::size_t c = 0; c < 5; ++c) {
                    const auto v = sum(
                        slot, [&](const RouteStats& r) -> const auto& { return r.counts[m * 5 + c]; });
                    if (v == 0) continue;
                    AppendSample(out, "nn_http_requests_total",
                                 {{"route", names_[slot]},
                                  {"method", std::string(MethodName(static_cast<Method>(m)))},
                                  {"status", std::to_string(c + 1) + "xx"}},
                                 static_cast<double>(v));
                }
            }
        }
        out +=
            "# HELP nn_http_request_duration_seconds Time from the request header to the response, by "
            "route.\n";
        out += "# TYPE nn_http_request_duration_seconds histogram\n";
        for (std::size_t slot = 0; slot < names_.size(); ++slot) {
            std::array<std::uint64_t, kBuckets.size() + 1> buckets{};
            std::uint64_t count = 0;
            for (std::size_t b = 0; b < buckets.size(); ++b) {
                buckets[b] = sum(
                    slot, [&](const RouteStats& r) -> const auto& { return r.buckets[b]; });
                count += buckets[b];
            }
            if (count == 0) continue;
            std::uint64_t cumulative = 0;
            for (std::size_t b = 0; b < kBuckets.size(); ++b) {
                cumulative += buckets[b];
                char le[32];
                std::snprintf(le, sizeof le, "%g", kBuckets[b]);
                AppendSample(out, "nn_http_request_duration_seconds_bucket",
                             {{"route", names_[slot]}, {"le", le}}, static_cast<double>(cumulative));
            }
            AppendSample(out, "nn_http_request_duration_seconds_bucket",
                         {{"route", names_[slot]}, {"le", "+Inf"}}, static_cast<double>(count));
            const auto sum_us = sum(
                slot, [](const RouteStats& r) -> const auto& { return r.sum_us; });
            AppendSample(out, "nn_http_request_duration_seconds_sum", {{"route", names_[slot]}},
                         static_cast<double>(sum_us) / 1e6);
            AppendSample(out, "nn_http_request_duration_seconds_count", {{"route", names_[slot]}},
                         static_cast<double>(count));
        }
        std::int64_t in_flight = 0;
        for (const auto& shard : shards_) in_flight += shard.in_flight.load(std::memory_order_relaxed);
        out += "# HELP nn_http_requests_in_flight Requests being handled now.\n";
        out += "# TYPE nn_http_requests_in_flight gauge\n";
        AppendSample(out, "nn_http_requests_in_flight", {}, static_cast<double>(in_flight));
        out += "# HELP nn_http_connections Open client connections.\n# TYPE nn_http_connections gauge\n";
        AppendSample(out, "nn_http_connections", {}, static_cast<double>(connections));
        out +=
            "# HELP nn_http_connections_rejected_total Connections refused with 503 over the connection "
            "cap.\n";
        out += "# TYPE nn_http_connections_rejected_total counter\n";
        AppendSample(out, "nn_http_connections_rejected_total", {}, static_cast<double>(rejected.load()));
    }

    std::atomic<std::uint64_t> rejected{0};

private:
    std::vector<std::string> names_;  // by slot; the last is "unmatched"
    std::unordered_map<const Route*, std::size_t> slot_of_;
    std::vector<ShardStats> shards_;
};

enum class Phase { kIdle, kReading, kHandling, kStreaming, kClosing };

class SseSession;

// What Stop needs to reach one connection. Lives in its shard's list while the session runs and
// is only touched on that shard's thread.
struct SessionCtl {
    explicit SessionCtl(std::size_t s) : shard(s) {}
    std::size_t shard;
    asio::cancellation_signal cancel;
    Phase phase = Phase::kIdle;
    beast::tcp_stream* stream = nullptr;
    SseSession* sse = nullptr;
};

// Logs how a detached coroutine ended; cancellation at shutdown is the normal end.
struct LogEnd {
    const char* what;
    void operator()(std::exception_ptr error) const {
        if (!error) return;
        try {
            std::rethrow_exception(error);
        } catch (const boost::system::system_error& e) {
            if (e.code() != asio::error::operation_aborted) spdlog::warn("http {} ended: {}", what, e.what());
        } catch (const std::exception& e) {
            spdlog::error("http {} failed: {}", what, e.what());
        } catch (...) {
            spdlog::error("http {} failed with a non-standard exception", what);
        }
    }
};

std::string ChunkHeader(std::size_t size) {
    char buf[24];
    const int n = std::snprintf(buf, sizeof buf, "%zx\r\n", size);
    return std::string(buf, static_cast<std::size_t>(n));
}

// The stream of one SSE response. A single writer coroutine owns the socket's writes (Beast
// allows one write in flight) and sends a heartbeat comment when nothing was written for a
// heartbeat interval; Send only queues and wakes it.
class SseSession final : public SseStream {
public:
    SseSession(beast::tcp_stream& stream, std::chrono::milliseconds write_timeout, SseOptions options)
        : stream_(stream), wake_(stream.get_executor()), write_timeout_(write_timeout), options_(options) {}

    bool Send(const SseEvent& event) override { return Enqueue(FormatSseEvent(event)); }

    bool Comment(std::string_view text) override {
        std::string line = ": ";
        for (char c : text) {
            if (c != '\r' && c != '\n') line += c;
        }
        line += "\n\n";
        return Enqueue(std::move(line));
    }

    bool IsOpen() const noexcept override { return open_ && !finished_; }

    void Close() noexcept {
        if (!open_) return;
        open_ = false;
        stream_.close();
        wake_.cancel();
    }

    asio::awaitable<void> Run(const SseProducer& producer) {
        using namespace asio::experimental::awaitable_operators;
        co_await ((Produce(producer) && Writer()) || WatchClient());
        Close();
    }

private:
    bool Enqueue(std::string text) {
        if (!open_ || finished_) return false;
        if (pending_.size() + text.size() > options_.max_buffered_bytes) {
            spdlog::warn("sse client fell {} bytes behind; disconnecting it", pending_.size());
            Close();
            return false;
        }
        pending_ += text;
        wake_.cancel();
        return true;
    }

    asio::awaitable<void> Produce(const SseProducer& producer) {
        try {
            co_await producer(*this);
        } catch (const std::exception& e) {
            if (open_) spdlog::warn("sse producer failed: {}", e.what());
        }
        finished_ = true;
        wake_.cancel();
    }

    asio::awaitable<void> Writer() {
        while (open_) {
            if (!pending_.empty()) {
                std::string chunk = ChunkHeader(pending_.size());
                chunk += pending_;
                chunk += "\r\n";
                pending_.clear();
                stream_.expires_after(write_timeout_);
                auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(chunk), kTuple);
                if (ec) {
                    Close();
                    co_return;
                }
                continue;
            }
            if (finished_) {
                stream_.expires_after(write_timeout_);
                co_await asio::async_write(stream_, asio::buffer(std::string_view("0\r\n\r\n")), kTuple);
                co_return;
            }
            wake_.expires_after(options_.heartbeat);
            auto [ec] = co_await wake_.async_wait(kTuple);
            if (!ec && pending_.empty() && !finished_) pending_ = ": ping\n\n";
        }
    }

    // The client sends nothing on an event stream; a read that ends means it went away.
    asio::awaitable<void> WatchClient() {
        std::array<char, 512> sink;
        for (;;) {
            stream_.expires_never();
            auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), kTuple);
            if (ec) break;
        }
        Close();
    }

    beast::tcp_stream& stream_;
    asio::steady_timer wake_;
    std::chrono::milliseconds write_timeout_;
    SseOptions options_;
    std::string pending_;
    bool open_ = true;
    bool finished_ = false;
};

Method ToMethod(bhttp::verb verb) {
    switch (verb) {
        case bhttp::verb::get:
            return Method::kGet;
        case bhttp::verb::head:
            return Method::kHead;
        case bhttp::verb::post:
            return Method::kPost;
        case bhttp::verb::put:
            return Method::kPut;
        case bhttp::verb::patch:
            return Method::kPatch;
        case bhttp::verb::delete_:
            return Method::kDelete;
        case bhttp::verb::options:
            return Method::kOptions;
        default:
            break;
    }
    return Method::kOther;
}

bool SafeHeaderValue(std::string_view value) {
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

asio::awaitable<Response> Dispatch(Request& request) {
    if (request.matched != nullptr) co_return co_await request.matched->handler(request);
    if (!request.allow.empty()) {
        if (request.GetMethod() == Method::kOptions) {
            Response response = Response::NoContent();
            response.SetHeader("Allow", request.allow);
            co_return response;
        }
        throw HttpError(
            405, "http.method_not_allowed",
            std::string(request.MethodToken()) + " is not allowed here; allowed: " + request.allow,
            {{"Allow", request.allow}});
    }
    throw HttpError(404, "http.not_found", "there is nothing at this path");
}

}  // namespace

struct Server::State {
    State(std::vector<asio::io_context*> c, ServerOptions o)
        : options(std::move(o)), contexts(std::move(c)), sessions(contexts.size()) {}

    ServerOptions options;
    Router router;
    std::vector<Middleware> user_middleware;
    std::vector<Middleware> chain;
    Handler terminal = Dispatch;
    std::vector<std::pair<std::string, ReadinessCheck>> checks;
    MetricsRegistry registry;
    std::string openapi;  // built at Start, once every route is registered
    HttpMetrics metrics;

    std::vector<asio::io_context*> contexts;
    std::vector<std::list<SessionCtl*>> sessions;  // per shard, touched only on its thread
    std::optional<tcp::acceptor> acceptor;
    std::size_t next_shard = 0;  // accept loop only
    std::uint16_t port = 0;

    std::atomic<bool> started{false};
    std::atomic<bool> stopping{false};
    std::atomic<bool> stop_called{false};
    std::atomic<std::size_t> connections{0};
    bool accepting = false;  // guarded by mutex
    std::mutex mutex;
    std::condition_variable changed;

    void Notify() {
        std::lock_guard lock(mutex);
        changed.notify_all();
    }
};

namespace {

using State = Server::State;

class Registration {
public:
    Registration(State& st, SessionCtl& ctl) : st_(st), ctl_(ctl) {
        auto& list = st_.sessions[ctl_.shard];
        it_ = list.insert(list.end(), &ctl_);
    }
    ~Registration() {
        st_.sessions[ctl_.shard].erase(it_);
        if (st_.connections.fetch_sub(1) == 1) st_.Notify();
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

private:
    State& st_;
    SessionCtl& ctl_;
    std::list<SessionCtl*>::iterator it_;
};

struct InFlight {
    explicit InFlight(std::atomic<std::int64_t>& c) : counter(c) {
        counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    ~InFlight() { counter.store(counter.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed); }
    std::atomic<std::int64_t>& counter;
};

asio::awaitable<void> LingeringClose(beast::tcp_stream& stream) {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 4096> sink;
    std::size_t total = 0;
    stream.expires_after(kLingerTime);
    while (total < kLingerBytes) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
        if (ec) break;
        total += n;
    }
    stream.close();
}

const std::string& BusyResponse() {
    static const std::string response = [] {
        const std::string body =
            R"({"type":"urn:nexanest:problem:http.overloaded","title":"Service Unavailable","status":503,)"
            R"("detail":"the server has too many connections; retry shortly","code":"http.overloaded"})";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: "
               "1\r\n"
               "Connection: close\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    return response;
}

// Over the connection cap: a canned 503 without reading the request, then close. Cheaper than a
// session, and the client learns why instead of seeing a reset.
asio::awaitable<void> RejectBusy(tcp::socket socket, std::chrono::milliseconds timeout) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(BusyResponse()), kTuple);
    if (!ec) co_await LingeringClose(stream);
}

asio::awaitable<Response> RunChain(State& st, Request& request) {
    std::exception_ptr error;
    try {
        co_return co_await Next(&st.chain, 0, &st.terminal)(request);
    } catch (...) {
        error = std::current_exception();
    }
    co_return ProblemFromException(error, request);
}

asio::awaitable<bool> WriteResponse(beast::tcp_stream& stream,
                                    Response& response,
                                    bool head,
                                    bool keep_alive,
                                    unsigned version,
                                    std::chrono::milliseconds timeout) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
    for (auto& [name, value] : response.headers) {
        if (SafeHeaderValue(name) && SafeHeaderValue(value)) {
            out.insert(name, value);
        } else {
            spdlog::error("http: dropped response header '{}' holding CR, LF or NUL", name);
        }
    }
    out.keep_alive(keep_alive);
    const std::size_t size = response.body.size();
    if (response.status == 204 || response.status == 304 || response.status < 200) {
        out.body().clear();
    } else if (head) {
        out.content_length(size);
    } else {
        out.body() = std::move(response.body);
        out.prepare_payload();
    }
    stream.expires_after(timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, out, kTuple);
    co_return !ec;
}

// Answers a request the server refuses before the middleware chain can run (unparseable, too
// large, bad path) and closes the connection.
asio::awaitable<void> Refuse(State& st,
                             std::size_t shard,
                             beast::tcp_stream& stream,
                             int status,
                             std::string_view code,
                             std::string_view detail,
                             std::string_view path,
                             Method method,
                             std::string_view remote,
                             Clock::time_point started) {
    const std::string request_id = GenerateRequestId();
    Response response = ProblemResponse(status, code, detail, request_id, path);
    response.SetHeader("X-Request-Id", request_id);
    const bool ok = co_await WriteResponse(stream, response, false, false, 11, st.options.write_timeout);
    st.metrics.Record(shard, nullptr, method, status, Clock::now() - started);
    if (st.options.access_log) {
        st.options.access_log(AccessLogEntry{
            .request_id = request_id,
            .method = MethodName(method),
            .path = path,
            .route = "",
            .remote_address = remote,
            .status = status,
            .response_bytes = response.body.size(),
            .duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started)});
    }
    if (ok) co_await LingeringClose(stream);
}

struct Refusal {
    int status;
    const char* code;
    const char* detail;
};

// What to answer when reading a request failed; nullopt: just close (timeout, client gone).
std::optional<Refusal> RefusalFor(const beast::error_code& ec) {
    if (ec == bhttp::error::header_limit) {
        return Refusal{431, "http.header_too_large", "the request header is larger than the server accepts"};
    }
    if (ec == bhttp::error::body_limit) {
        return Refusal{413, "http.body_too_large", "the request body is larger than this endpoint accepts"};
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec == beast::error::timeout) {
        return std::nullopt;
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
        return Refusal{400, "http.bad_request", "the request is not valid HTTP/1.1"};
    }
    return std::nullopt;
}

// The request's client address: the TCP peer, or what trusted proxies say in X-Forwarded-For.
std::string ClientAddress(const TrustedProxies& trusted,
                          const bhttp::request<bhttp::string_body>& message,
                          const std::string& peer) {
    if (trusted.Empty()) return peer;
    std::string forwarded_for;  // every X-Forwarded-For field, in order, as one list
    const auto range = message.equal_range("X-Forwarded-For");
    for (auto it = range.first; it != range.second; ++it) {
        if (!forwarded_for.empty()) forwarded_for += ',';
        forwarded_for += it->value();
    }
    return trusted.ClientAddress(peer, forwarded_for);
}

// Reads, handles and answers one request; returns whether the connection stays open.
asio::awaitable<bool> ServeRequest(State& st,
                                   SessionCtl& ctl,
                                   beast::tcp_stream& stream,
                                   beast::flat_buffer& buffer,
                                   const std::string& remote) {
    const ServerOptions& o = st.options;
    const auto started = Clock::now();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // set per route once routed
    stream.expires_after(o.header_timeout);
    {
        auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
        if (ec) {
            if (auto refusal = RefusalFor(ec)) {
                co_await Refuse(st, ctl.shard, stream, refusal->status, refusal->code, refusal->detail, "",
                                Method::kOther, remote, started);
            }
            co_return false;
        }
    }
    auto& message = parser.get();
    const Method method = ToMethod(message.method());
    const std::string_view target = message.target();
    if (target.empty() || target.front() != '/') {
        co_await Refuse(st, ctl.shard, stream, 400, "http.bad_target",
                        "the request target must be an absolute path", "", method, remote, started);
        co_return false;
    }
    const std::string path(target.substr(0, target.find('?')));
    RouteMatch match;
    std::optional<HttpError> bad_path;
    try {
        match = st.router.Match(method, path);
    } catch (const HttpError& e) {
        bad_path = e;
    }
    if (bad_path) {
        co_await Refuse(st, ctl.shard, stream, bad_path->Status(), bad_path->Code(), bad_path->what(), "",
                        method, remote, started);
        co_return false;
    }
    const std::size_t limit = match.route != nullptr && match.route->max_body_bytes
                                  ? *match.route->max_body_bytes
                                  : o.max_body_bytes;
    if (auto length = parser.content_length(); length && *length > limit) {
        co_await Refuse(
            st, ctl.shard, stream, 413, "http.body_too_large",
            "the request body is larger than this endpoint accepts (" + std::to_string(limit) + " bytes)",
            path, method, remote, started);
        co_return false;
    }
    parser.body_limit(limit);
    if (!parser.is_done()) {
        if (beast::iequals(message[bhttp::field::expect], "100-continue")) {
            bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_, 11};
            stream.expires_after(o.write_timeout);
            auto [ec, n] = co_await bhttp::async_write(stream, proceed, kTuple);
            if (ec) co_return false;
        }
        stream.expires_after(o.body_timeout);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
        if (ec) {
            if (auto refusal = RefusalFor(ec)) {
                co_await Refuse(st, ctl.shard, stream, refusal->status, refusal->code, refusal->detail, path,
                                method, remote, started);
            }
            co_return false;
        }
    }

    ctl.phase = Phase::kHandling;
    InFlight in_flight(st.metrics.InFlight(ctl.shard));
    const unsigned version = message.version();
    std::string client = ClientAddress(o.trusted_proxies, message, remote);
    Request request(std::make_unique<RawRequest>(RawRequest{parser.release()}));
    request.shard = ctl.shard;
    request.executor = co_await asio::this_coro::executor;
    request.remote_address = std::move(client);
    if (match.route != nullptr) {
        request.matched = match.route;
        request.route = match.route->name;
        request.require_auth = match.route->require_auth;
    }
    request.params = std::move(match.params);
    request.allow = std::move(match.allow);

    Response response = co_await RunChain(st, request);
    const bool head = method == Method::kHead;

    if (response.IsStream() && !head && response.status == 200) {
        bhttp::response<bhttp::empty_body> out{bhttp::status::ok, version};
        for (auto& [name, value] : response.headers) {
            if (SafeHeaderValue(name) && SafeHeaderValue(value)) out.insert(name, value);
        }
        out.keep_alive(false);
        out.chunked(true);
        bhttp::response_serializer<bhttp::empty_body> serializer{out};
        stream.expires_after(o.write_timeout);
        auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, kTuple);
        st.metrics.Record(ctl.shard, request.matched, method, 200, Clock::now() - started);
        if (ec || st.stopping.load()) co_return false;
        SseSession sse(stream, o.write_timeout, response.sse_options);
        ctl.phase = Phase::kStreaming;
        ctl.sse = &sse;
        co_await sse.Run(response.sse_producer);
        ctl.sse = nullptr;
        co_return false;
    }

    const bool keep_alive = request.KeepAlive() && !st.stopping.load() && !response.IsStream();
    const int status = response.status;
    const bool written = co_await WriteResponse(stream, response, head, keep_alive, version, o.write_timeout);
    st.metrics.Record(ctl.shard, request.matched, method, status, Clock::now() - started);
    co_return written&& keep_alive;
}

asio::awaitable<void> RunSession(std::shared_ptr<State> st,
                                 std::shared_ptr<SessionCtl> ctl,
                                 tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    Registration registration(*st, *ctl);
    ctl->stream = &stream;
    std::string remote;
    {
        beast::error_code ec;
        const auto endpoint = stream.socket().remote_endpoint(ec);
        if (!ec) remote = endpoint.address().to_string();
    }
    beast::flat_buffer buffer;
    bool keep_alive = true;
    while (keep_alive && !st->stopping.load()) {
        ctl->phase = Phase::kIdle;
        if (buffer.size() == 0) {
            stream.expires_after(st->options.idle_timeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
            if (ec) break;
            buffer.commit(n);
        }
        ctl->phase = Phase::kReading;
        keep_alive = co_await ServeRequest(*st, *ctl, stream, buffer, remote);
    }
    ctl->phase = Phase::kClosing;
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.close();
}

asio::awaitable<void> AcceptLoop(std::shared_ptr<State> st) {
    auto& acceptor = *st->acceptor;
    for (;;) {
        const std::size_t shard = st->next_shard++ % st->contexts.size();
        auto [ec, socket] = co_await acceptor.async_accept(*st->contexts[shard], kTuple);
        if (st->stopping.load() || ec == asio::error::operation_aborted) break;
        if (ec) {
            // Out of descriptors or buffers: back off instead of spinning on the error.
            spdlog::warn("http accept failed: {}", ec.message());
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
            co_await pause.async_wait(kTuple);
            continue;
        }
        auto executor = socket.get_executor();
        if (st->connections.load() >= st->options.max_connections) {
            st->metrics.rejected.fetch_add(1, std::memory_order_relaxed);
            asio::co_spawn(executor, RejectBusy(std::move(socket), st->options.write_timeout),
                           LogEnd{"reject"});
            continue;
        }
        st->connections.fetch_add(1);
        auto ctl = std::make_shared<SessionCtl>(shard);
        auto slot = ctl->cancel.slot();
        // The completion handler keeps the signal alive until the coroutine has fully finished;
        // destroying it with the coroutine frame would free the slot's handler while co_spawn
        // is still completing through it.
        asio::co_spawn(executor, RunSession(st, ctl, std::move(socket)),
                       asio::bind_cancellation_slot(
                           slot, [ctl](std::exception_ptr error) { LogEnd{"session"}(error); }));
    }
    {
        std::lock_guard lock(st->mutex);
        st->accepting = false;
    }
    st->changed.notify_all();
}

asio::awaitable<bool> RunCheck(const ReadinessCheck& check,
                               std::size_t shard,
                               std::chrono::milliseconds timeout) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
    bool up = false;
    try {
        auto probe = check(shard);
        auto result = co_await (std::move(probe) || timer.async_wait(asio::use_awaitable));
        up = result.index() == 0 && std::get<0>(result);
    } catch (const std::exception& e) {
        spdlog::warn("readiness check failed: {}", e.what());
    }
    co_return up;
}

// Whether a request may see the server's insides (metrics, which dependency is down).
bool OpsAllowed(const State* st, const Request& request) {
    if (!st->options.ops_token.empty()) {
        const std::string_view given = request.Header("X-Ops-Token");
        const std::string& want = st->options.ops_token;
        if (given.size() != want.size()) return false;
        unsigned char diff = 0;  // constant time: the token is a secret
        for (std::size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ want[i]);
        return diff == 0;
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(request.remote_address, ec);
    return !ec && address.is_loopback();
}

asio::awaitable<Response> Readyz(State* st, Request& request) {
    boost::json::object checks;
    bool all_up = true;
    for (const auto& [name, check] : st->checks) {
        const bool up = co_await RunCheck(check, request.shard, st->options.readiness_timeout);
        checks[name] = up ? "up" : "down";
        all_up = all_up && up;
    }
    const bool draining = st->stopping.load();
    boost::json::object body{{"status", draining ? "draining" : (all_up ? "ready" : "not_ready")}};
    if (OpsAllowed(st, request)) body["checks"] = std::move(checks);
    co_return Response(all_up && !draining ? 200 : 503, boost::json::serialize(body), "application/json");
}

asio::awaitable<Response> Healthz() {
    co_return Response(200, R"({"status":"ok"})", "application/json");
}

asio::awaitable<Response> OpenApi(State* st) {
    co_return Response(200, st->openapi, "application/json");
}

asio::awaitable<Response> MetricsPage(State* st, Request& request) {
    if (!OpsAllowed(st, request)) throw HttpError(404, "http.not_found", "there is nothing at this path");
    std::string text;
    st->metrics.Render(text, st->connections.load());
    text += st->registry.Render();
    co_return Response(200, std::move(text), "text/plain; version=0.0.4; charset=utf-8");
}

void Drain(SessionCtl& ctl) {
    if (ctl.phase == Phase::kIdle && ctl.stream != nullptr) ctl.stream->cancel();
    if (ctl.phase == Phase::kStreaming && ctl.sse != nullptr) ctl.sse->Close();
}

void Force(SessionCtl& ctl) {
    ctl.cancel.emit(asio::cancellation_type::terminal);
    if (ctl.sse != nullptr) ctl.sse->Close();
    if (ctl.stream != nullptr) ctl.stream->close();
}

}  // namespace

Server::Server(std::vector<asio::io_context*> shards, ServerOptions options) {
    if (shards.empty()) throw std::invalid_argument("the HTTP server needs at least one io_context");
    state_ = std::make_shared<State>(std::move(shards), std::move(options));
}

Server::~Server() {
    if (state_->started.load()) Stop(std::chrono::milliseconds(0));
}

Router& Server::Routes() {
    return state_->router;
}

void Server::Use(Middleware middleware) {
    state_->user_middleware.push_back(std::move(middleware));
}

void Server::AddReadinessCheck(std::string name, ReadinessCheck check) {
    state_->checks.emplace_back(std::move(name), std::move(check));
}

MetricsRegistry& Server::Metrics() {
    return state_->registry;
}

std::uint16_t Server::Start() {
    State& st = *state_;
    if (st.started.exchange(true)) throw std::logic_error("Server::Start called twice");
    State* raw = &st;
    using namespace schema;
    st.router.Get(
        "/healthz", [](Request&) { return Healthz(); },
        {.name = "healthz", .contract = {.responses = {{200, Object({{"status", Enum({"ok"})}})}}}});
    auto readiness = Object({{"status", Enum({"ready", "not_ready", "draining"})},
                             Opt("checks", Map(Enum({"up", "down"})).Describe("to operators only"))});
    st.router.Get("/readyz", [raw](Request& r) { return Readyz(raw, r); },
                  {.name = "readyz", .contract = {.responses = {{200, readiness}, {503, readiness}}}});
    st.router.Get("/metrics", [raw](Request& r) { return MetricsPage(raw, r); },
                  {.name = "metrics",
                   .contract = {.responses = {{200, String(), "text/plain", "Prometheus text format 0.0.4"}},
                                .codes = {"http.not_found"}}});
    st.router.Get("/api/v1/openapi.json", [raw](Request&) { return OpenApi(raw); },
                  {.name = "openapi",
                   .contract = {.responses = {{200, Object({{"openapi", Enum({"3.1.0"})}}).Open(),
                                               "application/json", "this document"}}}});
    st.openapi = OpenApiDocument(st.router);

    st.chain.push_back(RequestIdMiddleware());
    if (st.options.contract_check) {
        st.chain.push_back(ContractCheckMiddleware(
            std::make_shared<const boost::json::object>(boost::json::parse(st.openapi).as_object())));
    }
    if (st.options.access_log) st.chain.push_back(AccessLogMiddleware(st.options.access_log));
    if (!st.options.cors.allowed_origins.empty()) st.chain.push_back(CorsMiddleware(st.options.cors));
    st.chain.push_back(ProblemMiddleware());
    st.chain.push_back(AuthMiddleware(st.options.authenticator));
    if (st.options.rate_limiter) st.chain.push_back(RateLimitMiddleware(st.options.rate_limiter));
    st.chain.push_back(ExpensiveLimitMiddleware(st.options.max_expensive_per_key));
    for (auto& m : st.user_middleware) st.chain.push_back(std::move(m));
    st.metrics.Prepare(st.router.Routes(), st.contexts.size());

    const tcp::endpoint endpoint(asio::ip::make_address(st.options.host), st.options.port);
    st.acceptor.emplace(*st.contexts[0]);
    st.acceptor->open(endpoint.protocol());
    st.acceptor->set_option(asio::socket_base::reuse_address(true));
    st.acceptor->bind(endpoint);
    st.acceptor->listen(st.options.backlog);
    st.port = st.acceptor->local_endpoint().port();
    {
        std::lock_guard lock(st.mutex);
        st.accepting = true;
    }
    asio::co_spawn(*st.contexts[0], AcceptLoop(state_), LogEnd{"acceptor"});
    return st.port;
}

void Server::Stop(std::chrono::milliseconds drain) {
    auto st = state_;
    if (!st->started.load() || st->stop_called.exchange(true)) return;
    st->stopping.store(true);
    asio::post(*st->contexts[0], [st] {
        beast::error_code ignored;
        st->acceptor->close(ignored);
    });
    for (std::size_t i = 0; i < st->contexts.size(); ++i) {
        asio::post(*st->contexts[i], [st, i] {
            for (SessionCtl* ctl : st->sessions[i]) Drain(*ctl);
        });
    }
    const auto done = [&] { return st->connections.load() == 0 && !st->accepting; };
    std::unique_lock lock(st->mutex);
    if (st->changed.wait_for(lock, drain, done)) return;
    lock.unlock();
    spdlog::warn("http shutdown: {} connections still open after the drain; closing them",
                 st->connections.load());
    for (std::size_t i = 0; i < st->contexts.size(); ++i) {
        asio::post(*st->contexts[i], [st, i] {
            for (SessionCtl* ctl : st->sessions[i]) Force(*ctl);
        });
    }
    lock.lock();
    st->changed.wait_for(lock, kForceGrace, done);
}

std::uint16_t Server::Port() const noexcept {
    return state_->port;
}
std::size_t Server::ShardCount() const noexcept {
    return state_->contexts.size();
}
std::size_t Server::Connections() const noexcept {
    return state_->connections.load();
}

}  // namespace nn::http
