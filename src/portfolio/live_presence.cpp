#include "portfolio/live_presence.hpp"

#include "infra/redis/client.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

asio::awaitable<void> LivePresence::Mark(redis::Client& redis, UserId user) const {
    redis::SetOptions set;
    set.ttl = options_.ttl;
    co_await redis.Set(Key(user), "1", set);
}

asio::awaitable<std::vector<bool>> LivePresence::Watched(redis::Client& redis,
                                                         const std::vector<UserId>& users) const {
    std::vector<bool> out(users.size(), false);
    if (users.empty()) co_return out;
    std::vector<std::string> keys;
    keys.reserve(users.size());
    for (const UserId& user : users) keys.push_back(Key(user));
    const std::vector<std::optional<std::string>> values = co_await redis.MGet(keys);
    for (std::size_t i = 0; i < values.size() && i < out.size(); ++i) out[i] = values[i].has_value();
    co_return out;
}

}  // namespace nn::portfolio
