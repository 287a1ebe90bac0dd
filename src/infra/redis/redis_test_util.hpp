#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>

#include "infra/redis/connection.hpp"
#include "tests/support/test_env.hpp"

// ASSERT_* return from the function, which a coroutine cannot: these end it with co_return.
#define NN_CO_ASSERT_TRUE(cond)                \
    do {                                       \
        bool nn_ok_ = static_cast<bool>(cond); \
        EXPECT_TRUE(nn_ok_) << #cond;          \
        if (!nn_ok_) co_return;                \
    } while (0)
#define NN_CO_ASSERT_EQ(a, b)                    \
    do {                                         \
        auto&& nn_a_ = (a);                      \
        auto&& nn_b_ = (b);                      \
        EXPECT_EQ(nn_a_, nn_b_) << #a " == " #b; \
        if (!(nn_a_ == nn_b_)) co_return;        \
    } while (0)

// Helpers shared by this folder's tests (not part of the library).
namespace nn::redis::test_util {

namespace asio = boost::asio;

inline asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

inline Options TestOptions() {
    Options o;
    o.url = ParseUrl(nn::test::RedisUrl());
    o.backoff_initial = std::chrono::milliseconds(20);
    o.backoff_max = std::chrono::milliseconds(500);
    return o;
}

}  // namespace nn::redis::test_util
