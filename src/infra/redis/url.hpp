#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.hpp"

namespace nn::redis {

struct HostPort {
    std::string host;
    std::uint16_t port = 6379;
};

// Where and as whom to connect: redis://[user][:password]@host[:port][/db], or a Redis Cluster:
// redis+cluster://[user][:password]@host[:port][,host[:port]...] (seed nodes; database 0 only).
struct Url {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string user;  // empty: AUTH with the password only (the "default" user)
    Secret password;   // empty: no AUTH
    int db = 0;
    bool cluster = false;         // redis+cluster://: the client discovers the slot map
    std::vector<HostPort> seeds;  // every host listed (host and port above are the first)
};

// Parses a redis:// URL; user and password may be percent-encoded. Throws nn::Error
// (kInternal, "redis.bad_url") with a message that never repeats the password.
// rediss:// (TLS) and unix sockets are refused: hiredis 0.14 and our server set-up have neither.
Url ParseUrl(std::string_view url);

// The same URL pointing at one node (`host`), e.g. a cluster master found in the slot map.
Url WithHost(const Url& url, const HostPort& host);

}  // namespace nn::redis
