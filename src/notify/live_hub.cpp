#include "notify/live_hub.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace nn::notify {
namespace asio = boost::asio;

LiveHub::LiveHub(asio::any_io_executor executor, redis::Options options, std::string wake_prefix)
    : executor_(executor), wake_prefix_(std::move(wake_prefix)), subscriber_(executor, std::move(options)) {}

LiveHub::~LiveHub() {
    subscriber_.Close();
}

void LiveHub::Start() {
    if (started_) return;
    started_ = true;
    asio::co_spawn(
        executor_,
        [self = shared_from_this()]() -> asio::awaitable<void> {
            std::vector<std::string> patterns{self->wake_prefix_ + "*"};
            std::string error;
            try {
                co_await self->subscriber_.PSubscribe(patterns);
            } catch (const std::exception& e) {
                // Remembered by the Subscriber and subscribed once Redis is back.
                error = e.what();
            }
            if (!error.empty()) spdlog::warn("notify: live wake-ups not subscribed yet: {}", error);
            for (;;) {
                redis::Message message;
                try {
                    message = co_await self->subscriber_.Next();
                } catch (const std::exception&) {
                    co_return;  // closed
                }
                if (message.channel.size() > self->wake_prefix_.size()) {
                    self->Wake(message.channel.substr(self->wake_prefix_.size()));
                }
            }
        },
        asio::detached);
}

void LiveHub::Stop() {
    subscriber_.Close();
}

std::shared_ptr<LiveHub::Waiter> LiveHub::Watch(const std::string& user) {
    auto waiter = std::make_shared<Waiter>(executor_);
    waiters_.emplace(user, waiter);
    watching_.fetch_add(1, std::memory_order_relaxed);
    return waiter;
}

void LiveHub::Unwatch(const std::string& user, const std::shared_ptr<Waiter>& waiter) {
    SetSymbols(waiter, {});
    auto [begin, end] = waiters_.equal_range(user);
    for (auto it = begin; it != end; ++it) {
        if (it->second == waiter) {
            waiters_.erase(it);
            watching_.fetch_sub(1, std::memory_order_relaxed);
            return;
        }
    }
}

void LiveHub::Wake(const std::string& user) {
    auto [begin, end] = waiters_.equal_range(user);
    for (auto it = begin; it != end; ++it) {
        it->second->pending = true;
        it->second->timer.cancel();
    }
}

}  // namespace nn::notify

namespace nn::notify {

void LiveHub::SetSymbols(const std::shared_ptr<Waiter>& waiter, std::set<std::string> symbols) {
    for (const auto& s : waiter->symbols) {
        auto it = by_symbol_.find(s);
        if (it == by_symbol_.end()) continue;
        it->second.erase(waiter.get());
        if (it->second.empty()) by_symbol_.erase(it);
    }
    waiter->symbols = std::move(symbols);
    for (const auto& s : waiter->symbols) by_symbol_[s].insert(waiter.get());
}

void LiveHub::WakeLive(Waiter& w) {
    if (w.waiting_for_due) return;  // its timer fires when the next update is due anyway
    w.live_pending = true;
    w.timer.cancel();
}

void LiveHub::Prices(const std::vector<PriceUpdate>& updates) {
    for (const auto& u : updates) {
        auto it = by_symbol_.find(u.symbol);
        if (it == by_symbol_.end()) continue;
        std::string data;
        for (Waiter* w : it->second) {
            if (!w->prices) continue;
            if (data.empty()) {
                boost::json::object o{{"symbol", u.symbol}, {"price", u.price}, {"time", u.time}};
                data = boost::json::serialize(o);
            }
            w->pending_prices[u.symbol] = data;
            WakeLive(*w);
        }
    }
}

void LiveHub::Values(const std::vector<ValueUpdate>& updates) {
    for (const auto& u : updates) {
        auto [begin, end] = waiters_.equal_range(u.user);
        for (auto it = begin; it != end; ++it) {
            Waiter& w = *it->second;
            // A value moves after a price batch or a transaction: the held symbols may have changed.
            w.refresh_interest = true;
            if (!w.values) continue;
            w.pending_values[u.portfolio] = u.data;
            WakeLive(w);
        }
    }
}

}  // namespace nn::notify
