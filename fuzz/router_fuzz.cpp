// The router's path matching (infra/http/router.hpp) and the query side of a request
// (infra/http/query.hpp: QueryParams, ParsePage, base64url cursors). The first input byte picks
// the method, the rest is the request target "path?query". The route table is the API's own
// shape (literals beside parameters, as in the portfolio, goal and watchlist routes).
// Invariants: only HttpError 400/422 escapes; a match names every parameter of its pattern with
// a non-empty value; a strict base64url decode re-encodes to the same text.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "infra/http/http_error.hpp"
#include "infra/http/query.hpp"
#include "infra/http/request.hpp"
#include "infra/http/router.hpp"

namespace {
namespace http = nn::http;
using http::Method;

constexpr std::pair<Method, std::string_view> kRoutes[] = {
    {Method::kGet, "/"},
    {Method::kGet, "/healthz"},
    {Method::kGet, "/readyz"},
    {Method::kGet, "/metrics"},
    {Method::kGet, "/api/v1/me"},
    {Method::kGet, "/api/v1/me/sessions"},
    {Method::kDelete, "/api/v1/me/sessions"},
    {Method::kDelete, "/api/v1/me/sessions/{id}"},
    {Method::kPost, "/api/v1/auth/login"},
    {Method::kPost, "/api/v1/auth/refresh"},
    {Method::kGet, "/api/v1/portfolios"},
    {Method::kPost, "/api/v1/portfolios"},
    {Method::kGet, "/api/v1/portfolios/summary"},
    {Method::kGet, "/api/v1/portfolios/{id}"},
    {Method::kDelete, "/api/v1/portfolios/{id}"},
    {Method::kGet, "/api/v1/portfolios/{id}/holdings"},
    {Method::kGet, "/api/v1/portfolios/{id}/transactions"},
    {Method::kPost, "/api/v1/portfolios/{id}/transactions"},
    {Method::kPost, "/api/v1/portfolios/{id}/transactions/import"},
    {Method::kPut, "/api/v1/portfolios/{id}/transactions/{tid}"},
    {Method::kDelete, "/api/v1/portfolios/{id}/transactions/{tid}"},
    {Method::kGet, "/api/v1/portfolios/{id}/reports/{report_id}"},
    {Method::kPatch, "/api/v1/portfolios/{id}/allocation-rules/{rule_id}"},
    {Method::kGet, "/api/v1/watchlists"},
    {Method::kPatch, "/api/v1/watchlists/{id}/items/{item_id}"},
    {Method::kPost, "/api/v1/notifications/read-all"},
    {Method::kPost, "/api/v1/notifications/{id}/read"},
    {Method::kOptions, "/api/v1/goals/{id}"},
    {Method::kHead, "/api/v1/goals"},
};

const http::Router& TheRouter() {
    static const http::Router router = [] {
        http::Router r;
        // Never called: matching only needs a non-empty handler.
        const http::Handler handler = [](http::Request&) -> boost::asio::awaitable<http::Response> {
            throw std::logic_error("not called");
        };
        for (const auto& [method, pattern] : kRoutes) r.Add(method, pattern, handler);
        return r;
    }();
    return router;
}

void CheckBadRequest(const http::HttpError& e) {
    NN_FUZZ_CHECK(e.Status() == 400 || e.Status() == 422);
}

void MatchPath(Method method, std::string_view path) {
    try {
        const http::RouteMatch m = TheRouter().Match(method, path);
        if (m.route == nullptr) {
            NN_FUZZ_CHECK(m.params.empty());
            return;
        }
        NN_FUZZ_CHECK(!m.allow.empty());
        const std::string& pattern = m.route->pattern;
        std::size_t names = 0;
        for (char c : pattern) names += c == '{' ? 1 : 0;
        NN_FUZZ_CHECK(m.params.size() == names);
        for (const auto& [name, value] : m.params) {
            NN_FUZZ_CHECK(pattern.find("{" + name + "}") != std::string::npos);
            NN_FUZZ_CHECK(!value.empty() && value != "." && value != "..");
            NN_FUZZ_CHECK(value.find('\0') == std::string::npos);
        }
    } catch (const http::HttpError& e) {
        NN_FUZZ_CHECK(e.Status() == 400 && e.Code() == "http.bad_path");
    }
}

void ParseQuery(std::string_view query) {
    try {
        const http::QueryParams params = http::QueryParams::Parse(query);
        for (const auto& [name, value] : params.Items()) {
            NN_FUZZ_CHECK(params.Has(name));
            NN_FUZZ_CHECK(name.find('\0') == std::string::npos && value.find('\0') == std::string::npos);
        }
    } catch (const http::HttpError& e) {
        NN_FUZZ_CHECK(e.Status() == 400 && e.Code() == "http.bad_query");
    }
    if (const auto bytes = http::Base64UrlDecode(query)) {
        NN_FUZZ_CHECK(http::Base64UrlEncode(*bytes) == query);
    }
    const auto back = http::Base64UrlDecode(http::Base64UrlEncode(query));
    NN_FUZZ_CHECK(back && *back == query);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto method = static_cast<Method>(data[0] % 8);
    const std::string_view target(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto q = target.find('?');
    MatchPath(method, target.substr(0, q));
    if (q != std::string_view::npos) ParseQuery(target.substr(q + 1));

    // The same through a Request, as handlers see it.
    http::Request request(method == Method::kOther ? Method::kGet : method, std::string(target));
    NN_FUZZ_CHECK(request.Path() == target.substr(0, q));
    try {
        const http::PageRequest page = http::ParsePage(request);
        NN_FUZZ_CHECK(page.limit >= 1 && page.limit <= 200);
    } catch (const http::HttpError& e) {
        CheckBadRequest(e);
    }
    return 0;
}
