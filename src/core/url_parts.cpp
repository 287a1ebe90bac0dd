#include "core/url_parts.hpp"

#include <charconv>
#include <stdexcept>

#include "core/percent_coding.hpp"

namespace nn {
namespace {

[[noreturn]] void Fail(UrlFail fail, const std::string& why) {
    fail(why);
    throw std::logic_error("UrlFail returned: " + why);  // a failure function must throw
}

}  // namespace

std::string DecodeUrlPart(std::string_view text, const char* what, UrlFail fail) {
    auto out = PercentDecode(text);
    if (!out) Fail(fail, std::string("bad %-escape in the ") + what);
    return *out;
}

std::int64_t ParseUrlInteger(
    std::string_view text, std::int64_t min, std::int64_t max, const char* what, UrlFail fail) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
        Fail(fail, std::string("bad ") + what + " '" + std::string(text) + "'");
    }
    return value;
}

std::optional<UrlUserInfo> TakeUrlUserInfo(std::string_view& rest, UrlFail fail) {
    const auto at = rest.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    const std::string_view info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = info.find(':');
    UrlUserInfo out;
    out.user = DecodeUrlPart(info.substr(0, colon), "user", fail);
    if (colon != std::string_view::npos)
        out.password = DecodeUrlPart(info.substr(colon + 1), "password", fail);
    return out;
}

UrlHostPort ParseUrlHostPort(std::string_view authority, UrlFail fail) {
    UrlHostPort out;
    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) Fail(fail, "unterminated IPv6 address");
        out.host = std::string(authority.substr(1, close - 1));
        if (out.host.empty()) Fail(fail, "empty host");
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') Fail(fail, "unexpected text after the IPv6 address");
            port_text = after.substr(1);
            has_port = true;
        }
    } else {
        const auto colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            has_port = true;
        }
    }
    if (has_port) {
        if (port_text.empty()) Fail(fail, "empty port");
        out.port = static_cast<std::uint16_t>(ParseUrlInteger(port_text, 1, 65535, "port", fail));
    }
    return out;
}

}  // namespace nn
