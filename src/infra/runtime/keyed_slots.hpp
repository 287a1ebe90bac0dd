#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace nn::runtime {

// Counts what each key (a user) holds at once, across threads: the per-user cap on expensive
// requests and on live streams. A slot is held while the guard Take returned lives.
class KeyedSlots {
public:
    // A slot of `key`, or nullptr when `key` already holds `max`. The guard may be copied; the
    // slot is released when the last copy goes. The KeyedSlots must outlive every guard.
    std::shared_ptr<const void> Take(const std::string& key, std::size_t max) {
        std::lock_guard lock(mutex_);
        std::size_t& n = held_[key];
        if (n >= max) return nullptr;
        ++n;
        return std::make_shared<const Guard>(*this, key);
    }

private:
    struct Guard {
        Guard(KeyedSlots& s, std::string k) : slots(s), key(std::move(k)) {}
        ~Guard() {
            std::lock_guard lock(slots.mutex_);
            auto it = slots.held_.find(key);
            if (it != slots.held_.end() && --it->second == 0) slots.held_.erase(it);
        }
        KeyedSlots& slots;
        std::string key;
    };
    std::mutex mutex_;
    std::map<std::string, std::size_t> held_;
};

}  // namespace nn::runtime
