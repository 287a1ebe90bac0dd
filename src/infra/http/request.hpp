#pragma once

#include <any>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "infra/http/http_error.hpp"
#include "infra/http/query.hpp"

namespace nn::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

std::string_view MethodName(Method method) noexcept;

struct Route;
struct RawRequest;  // the parsed Beast message; defined in raw_request.hpp (private)

// One HTTP request as handlers and middleware see it: read-only accessors over the parsed
// message, plus context the server and middleware fill in (shard, request id, route, principal).
// A Request belongs to the shard that runs it and is never shared between threads.
class Request {
public:
    // A request built outside a server, for tests and tools.
    Request(Method method, std::string target, HeaderList headers = {}, std::string body = {});
    // Used by the server: takes over the parsed message.
    explicit Request(std::unique_ptr<RawRequest> raw);
    ~Request();
    Request(Request&&) noexcept;
    Request& operator=(Request&&) noexcept;

    Method GetMethod() const noexcept { return method_; }
    std::string_view MethodToken() const;  // as sent ("GET", "PROPFIND")
    std::string_view Target() const;       // raw request target, path and query
    std::string_view Path() const;         // raw path, percent-encoded, without the query
    std::string_view QueryString() const;  // after '?', without it; "" when absent
    bool KeepAlive() const;

    // First value of a header field (case-insensitive name); "" when absent.
    std::string_view Header(std::string_view name) const;
    bool HasHeader(std::string_view name) const;
    std::size_t HeaderCount(std::string_view name) const;

    const std::string& Body() const;

    // A decoded path parameter of the matched route ("{id}" → PathParam("id")); throws
    // std::out_of_range when the route has no such parameter (a programming error).
    const std::string& PathParam(std::string_view name) const;

    // Decoded query parameters, parsed on first use; throws HttpError 400 "http.bad_query" when
    // the query string is not valid percent-encoding.
    const QueryParams& Query() const;

    // The Last-Event-ID header an SSE client sends when it reconnects; "" when absent.
    std::string_view LastEventId() const { return Header("Last-Event-ID"); }

    // The principal the authenticator set, if it is a T.
    template <typename T>
    const T* PrincipalAs() const {
        return std::any_cast<T>(&principal);
    }

    // --- Context, filled by the server before the middleware chain runs ---
    std::size_t shard = 0;                  // index of the io_context running this request
    boost::asio::any_io_executor executor;  // that io_context's executor (per-shard pools live there)
    std::string remote_address;             // peer IP
    std::string route;                      // matched route name, the metrics label; "" if none
    const Route* matched = nullptr;         // matched route; nullptr for 404/405
    std::vector<std::pair<std::string, std::string>> params;  // decoded path parameters
    std::string allow;          // methods of the matched path ("GET, HEAD, OPTIONS"); "" on 404
    bool require_auth = false;  // from the route's options

    // --- Context, filled by middleware ---
    std::string request_id;     // the request-id middleware: X-Request-Id if sane, else generated
    std::any principal;         // the authenticator's principal; empty when anonymous
    std::string principal_key;  // a stable id of that principal (the user id), keys per-user limits

private:
    std::unique_ptr<RawRequest> raw_;
    Method method_;
    mutable std::optional<QueryParams> query_;
};

}  // namespace nn::http
