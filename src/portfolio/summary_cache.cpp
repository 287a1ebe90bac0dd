#include "portfolio/summary_cache.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "infra/crypto/encoding.hpp"
#include "infra/crypto/random.hpp"
#include "infra/redis/client.hpp"
#include "infra/redis/pipeline.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

// The generation of a user no write has touched (or whose generation expired).
constexpr std::string_view kNoGeneration = "-";

std::string NewGeneration() {
    return crypto::HexEncode(crypto::RandomBytes(8));
}

asio::awaitable<void> Set(redis::Client& redis,
                          std::string key,
                          std::string value,
                          std::chrono::milliseconds ttl) {
    try {
        redis::SetOptions set;
        set.ttl = ttl;
        co_await redis.Set(key, value, set);
    } catch (const std::exception& e) {
        spdlog::debug("portfolio: summary not cached: {}", e.what());
    }
}

}  // namespace

SummaryCache::SummaryCache(std::string prefix, std::chrono::milliseconds ttl)
    : prefix_(std::move(prefix)),
      ttl_(std::clamp(ttl, std::chrono::milliseconds(0), std::chrono::milliseconds(std::chrono::hours(1)))) {}

std::string SummaryCache::ValueKey(UserId user) const {
    return prefix_ + "summary:{" + user.ToString() + "}";
}

std::string SummaryCache::GenerationKey(UserId user) const {
    return prefix_ + "summary:{" + user.ToString() + "}:generation";
}

asio::awaitable<SummaryCache::Lookup> SummaryCache::Find(redis::Client& redis, UserId user) const {
    Lookup out;
    out.generation = std::string(kNoGeneration);
    if (!Enabled()) co_return out;
    std::vector<std::string> keys;
    keys.push_back(ValueKey(user));
    keys.push_back(GenerationKey(user));
    auto values = co_await redis.MGet(keys);
    if (values.size() == 2 && values[1]) out.generation = *values[1];
    // A stored value is "<generation>\n<body>".
    if (values.size() == 2 && values[0]) {
        std::string& stored = *values[0];
        const auto newline = stored.find('\n');
        if (newline != std::string::npos && std::string_view(stored).substr(0, newline) == out.generation) {
            stored.erase(0, newline + 1);
            out.body = std::move(stored);
        }
    }
    co_return out;
}

void SummaryCache::Store(const asio::any_io_executor& executor,
                         redis::Client& redis,
                         UserId user,
                         std::string generation,
                         std::string body) const {
    if (!Enabled()) return;
    std::string value;
    value.reserve(generation.size() + 1 + body.size());
    value.append(generation).append(1, '\n').append(body);
    asio::co_spawn(executor, Set(redis, ValueKey(user), std::move(value), ttl_), asio::detached);
}

asio::awaitable<void> SummaryCache::Invalidate(redis::Client& redis, const std::vector<UserId>& users) const {
    if (users.empty()) co_return;
    const std::string ttl = std::to_string(std::chrono::milliseconds(kGenerationTtl).count());
    redis::Pipeline p;
    for (const UserId& user : users) {
        const std::vector<std::string> argv{"SET", GenerationKey(user), NewGeneration(), "PX", ttl};
        p.Add(argv);
    }
    const std::vector<redis::Reply> replies = co_await redis.Execute(std::move(p));
    for (const redis::Reply& reply : replies) reply.ThrowIfError();
}

}  // namespace nn::portfolio
