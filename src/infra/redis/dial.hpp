#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>

#include "infra/redis/url.hpp"

namespace nn::redis::detail {

// Resolves and connects `socket`, then sends AUTH, SELECT and CLIENT SETNAME as the URL and
// name ask, all within `timeout`. Returns an empty string on success, otherwise why it failed
// (never containing the password); the socket is then closed.
boost::asio::awaitable<std::string> Dial(boost::asio::ip::tcp::socket& socket,
                                         const Url& url,
                                         const std::string& client_name,
                                         std::chrono::milliseconds timeout);

// 50..100 % of `base`, so many clients do not reconnect in lockstep.
std::chrono::milliseconds Jitter(std::chrono::milliseconds base);

}  // namespace nn::redis::detail
