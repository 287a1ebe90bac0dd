#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/secret.hpp"

namespace nn::redis {

// Where and as whom to connect: redis://[user][:password]@host[:port][/db].
struct Url {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string user;  // empty: AUTH with the password only (the "default" user)
    Secret password;   // empty: no AUTH
    int db = 0;
};

// Parses a redis:// URL; user and password may be percent-encoded. Throws nn::Error
// (kInternal, "redis.bad_url") with a message that never repeats the password.
// rediss:// (TLS) and unix sockets are refused: hiredis 0.14 and our server set-up have neither.
Url ParseUrl(std::string_view url);

}  // namespace nn::redis
