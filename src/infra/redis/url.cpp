#include "infra/redis/url.hpp"

#include <charconv>

#include "core/error.hpp"
#include "core/percent_decode.hpp"

namespace nn::redis {
namespace {

[[noreturn]] void Bad(const std::string& why) {
    throw Error(ErrorKind::kInternal, "redis.bad_url", "invalid Redis URL: " + why);
}

std::string Decoded(std::string_view in, const char* what) {
    auto out = PercentDecode(in);
    if (!out) Bad(std::string("bad escape in ") + what);
    return *out;
}

template <typename T>
T ParseNumber(std::string_view text, T min, T max, const char* what) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
        Bad(std::string("bad ") + what + " '" + std::string(text) + "'");
    }
    return value;
}

HostPort ParseHost(std::string_view authority) {
    HostPort out;
    out.host = "127.0.0.1";
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) Bad("unterminated IPv6 address");
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') Bad("unexpected text after the IPv6 address");
            port_text = after.substr(1);
            if (port_text.empty()) Bad("empty port");
        }
    } else {
        auto colon = authority.find(':');
        std::string_view host = authority.substr(0, colon);
        if (!host.empty()) out.host = std::string(host);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) Bad("empty port");
        }
    }
    if (out.host.empty()) Bad("empty host");
    if (!port_text.empty()) out.port = ParseNumber<std::uint16_t>(port_text, 1, 65535, "port");
    return out;
}

}  // namespace

Url ParseUrl(std::string_view url) {
    constexpr std::string_view kScheme = "redis://";
    constexpr std::string_view kClusterScheme = "redis+cluster://";
    Url out;
    std::string_view rest;
    if (url.substr(0, kScheme.size()) == kScheme) {
        rest = url.substr(kScheme.size());
    } else if (url.substr(0, kClusterScheme.size()) == kClusterScheme) {
        rest = url.substr(kClusterScheme.size());
        out.cluster = true;
    } else {
        Bad("expected the scheme redis:// or redis+cluster:// (rediss:// and unix sockets are not "
            "supported)");
    }
    if (auto q = rest.find_first_of("?#"); q != std::string_view::npos)
        Bad("query parameters are not supported");

    // The password may contain '@' only percent-encoded, so the last '@' ends the user info.
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        std::string_view info = rest.substr(0, at);
        rest = rest.substr(at + 1);
        auto colon = info.find(':');
        out.user = Decoded(info.substr(0, colon), "user");
        if (colon != std::string_view::npos)
            out.password = Secret(Decoded(info.substr(colon + 1), "password"));
    }

    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view path =
        authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view{};

    if (out.cluster) {
        while (true) {
            auto comma = authority.find(',');
            if (authority.substr(0, comma).empty()) Bad("empty host in the seed list");
            out.seeds.push_back(ParseHost(authority.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            authority = authority.substr(comma + 1);
        }
    } else {
        out.seeds.push_back(ParseHost(authority));
    }
    out.host = out.seeds.front().host;
    out.port = out.seeds.front().port;
    if (!path.empty()) out.db = ParseNumber<int>(path, 0, 1 << 20, "database number");
    if (out.cluster && out.db != 0) Bad("a Redis Cluster has database 0 only");
    return out;
}

Url WithHost(const Url& url, const HostPort& host) {
    Url out = url;
    out.host = host.host;
    out.port = host.port;
    return out;
}

}  // namespace nn::redis
