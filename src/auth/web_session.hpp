#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace nn::http {
class Request;
}

// The browser mode of login, refresh and logout (docs/auth.md "Browser mode"): the refresh
// token travels in an HttpOnly `__Host-` cookie instead of the JSON body, and every request in
// that mode passes the CSRF checks below. Pure functions over the request; no I/O.
namespace nn::auth {

// A request with this header (value "web") asks for the browser mode.
inline constexpr std::string_view kClientHeader = "X-NexaNest-Client";
inline constexpr std::string_view kWebClient = "web";
inline constexpr std::string_view kRefreshCookie = "__Host-nn_refresh";

struct WebSessionOptions {
    // Origin accepted in `Origin` besides the request's own Host (Config::public_url).
    std::string public_url = "http://127.0.0.1:8080";
    std::chrono::seconds refresh_max_age{30LL * 24 * 3600};  // the refresh token's lifetime
};

bool IsWebClient(const http::Request& request);

// The value of cookie `name` in a Cookie header ("a=1; b=2"); nullopt when absent.
std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name);
std::optional<std::string> RefreshCookieOf(const http::Request& request);

// Set-Cookie values: the refresh token for `max_age`, and its removal (Max-Age=0).
std::string RefreshCookieHeader(std::string_view token, std::chrono::seconds max_age);
std::string ClearRefreshCookieHeader();

// "https://App.example.com:443/x" → "https://app.example.com"; "" when it is not an http(s) URL.
std::string OriginOf(std::string_view url);

// The CSRF checks of a browser-mode request; throws nn::Error kForbidden "auth.csrf" when
// Sec-Fetch-Site is present and not "same-origin", or, without it, when Origin is present and
// is neither the public URL's origin nor the request's own Host.
void CheckWebRequest(const http::Request& request, std::string_view public_url);

// A cookie route (refresh, logout) refuses a request that carries the refresh cookie without
// the browser-mode header (403 "auth.csrf"): a browser attaches the cookie to any request, so
// the custom header is what proves the page's own script sent it.
void RefuseCookieWithoutHeader(const http::Request& request);

}  // namespace nn::auth
