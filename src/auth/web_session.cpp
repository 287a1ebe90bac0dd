#include "auth/web_session.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/text.hpp"
#include "infra/http/request.hpp"

namespace nn::auth {
namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

[[noreturn]] void Refuse(const std::string& detail) {
    throw Error(ErrorKind::kForbidden, "auth.csrf", detail);
}

// "host:80" for http and "host:443" for https are the host alone (the form Origin uses).
std::string WithoutDefaultPort(std::string_view scheme, std::string authority) {
    const std::string_view port = scheme == "https" ? ":443" : ":80";
    if (authority.ends_with(port)) authority.resize(authority.size() - port.size());
    return authority;
}

}  // namespace

bool IsWebClient(const http::Request& request) {
    return AsciiLower(Trim(request.Header(kClientHeader))) == kWebClient;
}

std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name) {
    while (!cookie_header.empty()) {
        const auto semi = cookie_header.find(';');
        const auto pair = Trim(cookie_header.substr(0, semi));
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
            auto value = Trim(pair.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                value = value.substr(1, value.size() - 2);
            }
            return std::string(value);
        }
        if (semi == std::string_view::npos) break;
        cookie_header.remove_prefix(semi + 1);
    }
    return std::nullopt;
}

std::optional<std::string> RefreshCookieOf(const http::Request& request) {
    return CookieValue(request.Header("Cookie"), kRefreshCookie);
}

std::string RefreshCookieHeader(std::string_view token, std::chrono::seconds max_age) {
    return std::string(kRefreshCookie) + "=" + std::string(token) +
           "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count());
}

std::string ClearRefreshCookieHeader() {
    return std::string(kRefreshCookie) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

std::string OriginOf(std::string_view url) {
    const auto colon = url.find("://");
    if (colon == std::string_view::npos) return {};
    const std::string scheme = AsciiLower(url.substr(0, colon));
    if (scheme != "http" && scheme != "https") return {};
    auto rest = url.substr(colon + 3);
    auto authority = AsciiLower(rest.substr(0, rest.find_first_of("/?#")));
    if (authority.empty() || authority.find('@') != std::string::npos) return {};
    return scheme + "://" + WithoutDefaultPort(scheme, std::move(authority));
}

void CheckWebRequest(const http::Request& request, std::string_view public_url) {
    if (request.HasHeader("Sec-Fetch-Site")) {
        if (AsciiLower(Trim(request.Header("Sec-Fetch-Site"))) != "same-origin") {
            Refuse("a browser-mode request must come from the dashboard's own origin (Sec-Fetch-Site)");
        }
        return;
    }
    if (!request.HasHeader("Origin")) return;
    const std::string origin = OriginOf(Trim(request.Header("Origin")));
    if (!origin.empty() && origin == OriginOf(public_url)) return;
    if (!origin.empty()) {
        const std::string scheme = origin.substr(0, origin.find(':'));
        const std::string host = WithoutDefaultPort(scheme, AsciiLower(Trim(request.Header("Host"))));
        if (!host.empty() && origin == scheme + "://" + host) return;
    }
    Refuse("a browser-mode request must come from the dashboard's own origin (Origin)");
}

void RefuseCookieWithoutHeader(const http::Request& request) {
    if (RefreshCookieOf(request) && !IsWebClient(request)) {
        Refuse(std::string("a request carrying the session cookie must send ") + std::string(kClientHeader) +
               ": web");
    }
}

}  // namespace nn::auth
