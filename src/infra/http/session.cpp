// One client connection: read a request, route it, run the middleware chain, write the answer
// (or hand the socket to an SSE stream), again while the connection is kept alive.

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>

#include <spdlog/spdlog.h>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "infra/http/http_error.hpp"
#include "infra/http/problem.hpp"
#include "infra/http/raw_request.hpp"
#include "infra/http/server_state.hpp"
#include "infra/http/sse_session.hpp"

namespace nn::http::detail {
namespace bhttp = boost::beast::http;

namespace {

// What one read from an idle kept-alive connection asks the socket for.
constexpr std::size_t kReadChunk = 8192;
// After refusing a request whose body is still arriving, keep reading (and discarding) this long,
// or this much, so the client receives the answer instead of a reset.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr std::size_t kLingerReadBytes = 4096;  // one discarding read
// Answers the server writes before it could read the request's version.
constexpr unsigned kHttp11 = 11;

bool SafeHeaderValue(std::string_view value) {
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Keeps the session in its shard's list (for Stop) and counts the connection while it lives.
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

asio::awaitable<void> LingeringClose(beast::tcp_stream& stream) {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, kLingerReadBytes> sink;
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

// One request on a connection, from its first byte to its answer: what the steps of
// ServeRequest share.
struct Exchange {
    Exchange(State& s, SessionCtl& c, beast::tcp_stream& tcp, beast::flat_buffer& b, const std::string& peer)
        : st(s), ctl(c), stream(tcp), buffer(b), remote(peer), started(Clock::now()) {}

    State& st;
    SessionCtl& ctl;
    beast::tcp_stream& stream;
    beast::flat_buffer& buffer;
    const std::string& remote;  // the TCP peer
    const Clock::time_point started;
    bhttp::request_parser<bhttp::string_body> parser;
    Method method = Method::kOther;  // known once the header is read
    std::string path;                // set once routed; refusals before that log no path
    RouteMatch match;
};

// Answers a request the server refuses before the middleware chain can run (unparseable, too
// large, bad path) and closes the connection.
asio::awaitable<void> Refuse(Exchange& ex, int status, std::string_view code, std::string_view detail) {
    State& st = ex.st;
    const std::string request_id = GenerateRequestId();
    Response response = ProblemResponse(status, code, detail, request_id, ex.path);
    response.SetHeader("X-Request-Id", request_id);
    const bool ok =
        co_await WriteResponse(ex.stream, response, false, false, kHttp11, st.options.write_timeout);
    st.metrics.Record(ex.ctl.shard, nullptr, ex.method, status, Clock::now() - ex.started);
    if (st.options.access_log) {
        st.options.access_log(AccessLogEntry{
            .request_id = request_id,
            .method = MethodName(ex.method),
            .path = ex.path,
            .route = "",
            .remote_address = ex.remote,
            .status = status,
            .response_bytes = response.body.size(),
            .duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - ex.started)});
    }
    if (ok) co_await LingeringClose(ex.stream);
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

// A failed read: answers what deserves an answer, then the connection closes.
asio::awaitable<void> ReadFailed(Exchange& ex, const beast::error_code& ec) {
    if (auto refusal = RefusalFor(ec)) co_await Refuse(ex, refusal->status, refusal->code, refusal->detail);
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

// Step 1: the request line and header fields, within header_timeout and max_header_bytes.
// false: the connection closes (refused, timed out or gone).
asio::awaitable<bool> ReadHeader(Exchange& ex) {
    const ServerOptions& o = ex.st.options;
    ex.parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
    ex.parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // set per route once routed
    ex.stream.expires_after(o.header_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(ex.stream, ex.buffer, ex.parser, kTuple);
    if (ec) {
        co_await ReadFailed(ex, ec);
        co_return false;
    }
    ex.method = MethodOf(ex.parser.get().method());
    co_return true;
}

// Step 2: the route for the target's path (or none: Dispatch answers 404/405 then). A target
// that is not an absolute path, or a path the router rejects, is refused.
asio::awaitable<bool> RouteRequest(Exchange& ex) {
    const std::string_view target = ex.parser.get().target();
    if (target.empty() || target.front() != '/') {
        co_await Refuse(ex, 400, "http.bad_target", "the request target must be an absolute path");
        co_return false;
    }
    std::string path(target.substr(0, target.find('?')));
    std::optional<HttpError> bad_path;
    try {
        ex.match = ex.st.router.Match(ex.method, path);
    } catch (const HttpError& e) {
        bad_path = e;
    }
    if (bad_path) {
        co_await Refuse(ex, bad_path->Status(), bad_path->Code(), bad_path->what());
        co_return false;
    }
    ex.path = std::move(path);
    co_return true;
}

// Step 3: the body, within the route's limit (413 from Content-Length before reading, or while
// reading a chunked body) and body_timeout; answers "Expect: 100-continue" first.
asio::awaitable<bool> ReadBody(Exchange& ex) {
    const ServerOptions& o = ex.st.options;
    const Route* route = ex.match.route;
    const std::size_t limit =
        route != nullptr && route->max_body_bytes ? *route->max_body_bytes : o.max_body_bytes;
    if (auto length = ex.parser.content_length(); length && *length > limit) {
        const std::string detail =
            "the request body is larger than this endpoint accepts (" + std::to_string(limit) + " bytes)";
        co_await Refuse(ex, 413, "http.body_too_large", detail);
        co_return false;
    }
    ex.parser.body_limit(limit);
    if (ex.parser.is_done()) co_return true;
    if (beast::iequals(ex.parser.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> proceed{bhttp::status::continue_, kHttp11};
        ex.stream.expires_after(o.write_timeout);
        auto [ec, n] = co_await bhttp::async_write(ex.stream, proceed, kTuple);
        if (ec) co_return false;
    }
    ex.stream.expires_after(o.body_timeout);
    auto [ec, n] = co_await bhttp::async_read(ex.stream, ex.buffer, ex.parser, kTuple);
    if (ec) {
        co_await ReadFailed(ex, ec);
        co_return false;
    }
    co_return true;
}

// Step 4: the Request the middleware and the handler see; takes the parsed message.
Request MakeRequest(Exchange& ex, const asio::any_io_executor& executor) {
    std::string client = ClientAddress(ex.st.options.trusted_proxies, ex.parser.get(), ex.remote);
    Request request(std::make_unique<RawRequest>(RawRequest{ex.parser.release()}));
    request.shard = ex.ctl.shard;
    request.executor = executor;
    request.remote_address = std::move(client);
    if (ex.match.route != nullptr) {
        request.matched = ex.match.route;
        request.route = ex.match.route->name;
        request.require_auth = ex.match.route->require_auth;
    }
    request.params = std::move(ex.match.params);
    request.allow = std::move(ex.match.allow);
    return request;
}

// Step 5, for an SSE answer: a chunked header, then the event stream until either side ends it.
// The connection closes afterwards.
asio::awaitable<void> StreamResponse(Exchange& ex,
                                     const Request& request,
                                     Response& response,
                                     unsigned version) {
    const ServerOptions& o = ex.st.options;
    bhttp::response<bhttp::empty_body> out{bhttp::status::ok, version};
    for (auto& [name, value] : response.headers) {
        if (SafeHeaderValue(name) && SafeHeaderValue(value)) out.insert(name, value);
    }
    out.keep_alive(false);
    out.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{out};
    ex.stream.expires_after(o.write_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(ex.stream, serializer, kTuple);
    ex.st.metrics.Record(ex.ctl.shard, request.matched, ex.method, 200, Clock::now() - ex.started);
    if (ec || ex.st.stopping.load()) co_return;
    SseSession sse(ex.stream, o.write_timeout, response.sse_options);
    ex.ctl.phase = Phase::kStreaming;
    ex.ctl.sse = &sse;
    co_await sse.Run(response.sse_producer);
    ex.ctl.sse = nullptr;
}

// Reads, handles and answers one request; returns whether the connection stays open.
asio::awaitable<bool> ServeRequest(State& st,
                                   SessionCtl& ctl,
                                   beast::tcp_stream& stream,
                                   beast::flat_buffer& buffer,
                                   const std::string& remote) {
    Exchange ex(st, ctl, stream, buffer, remote);
    const bool has_header = co_await ReadHeader(ex);
    if (!has_header) co_return false;
    const bool routed = co_await RouteRequest(ex);
    if (!routed) co_return false;
    const bool has_body = co_await ReadBody(ex);
    if (!has_body) co_return false;

    ctl.phase = Phase::kHandling;
    InFlight in_flight(st.metrics.InFlight(ctl.shard));
    const unsigned version = ex.parser.get().version();
    const auto executor = co_await asio::this_coro::executor;
    Request request = MakeRequest(ex, executor);
    Response response = co_await RunChain(st, request);
    const bool head = ex.method == Method::kHead;
    if (response.IsStream() && !head && response.status == 200) {
        co_await StreamResponse(ex, request, response, version);
        co_return false;
    }

    const bool keep_alive = request.KeepAlive() && !st.stopping.load() && !response.IsStream();
    const int status = response.status;
    const bool written =
        co_await WriteResponse(stream, response, head, keep_alive, version, st.options.write_timeout);
    st.metrics.Record(ctl.shard, request.matched, ex.method, status, Clock::now() - ex.started);
    co_return written&& keep_alive;
}

}  // namespace

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

asio::awaitable<void> RejectBusy(tcp::socket socket, std::chrono::milliseconds timeout) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(BusyResponse()), kTuple);
    if (!ec) co_await LingeringClose(stream);
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

}  // namespace nn::http::detail
