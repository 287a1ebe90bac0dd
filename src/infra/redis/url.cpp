#include "infra/redis/url.hpp"

#include "core/error.hpp"
#include "core/url_parts.hpp"

namespace nn::redis {
namespace {

[[noreturn]] void Bad(const std::string& why) {
    throw Error(ErrorKind::kInternal, "redis.bad_url", "invalid Redis URL: " + why);
}

HostPort ParseHost(std::string_view authority) {
    HostPort out;
    UrlHostPort parsed = ParseUrlHostPort(authority, Bad);
    out.host = parsed.host.empty() ? "127.0.0.1" : std::move(parsed.host);
    if (parsed.port) out.port = *parsed.port;
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

    if (auto info = TakeUrlUserInfo(rest, Bad)) {
        out.user = std::move(info->user);
        if (info->password) out.password = Secret(std::move(*info->password));
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
    if (!path.empty()) out.db = static_cast<int>(ParseUrlInteger(path, 0, 1 << 20, "database number", Bad));
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
