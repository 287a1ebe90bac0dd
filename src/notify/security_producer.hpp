#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infra/redis/client.hpp"
#include "notify/notifier.hpp"

namespace nn {
class App;
}

namespace nn::notify {

struct SecurityProducerOptions {
    std::string stream = "nn:events:audit";  // RelayOptions::stream
    std::string group = "notify.security";
    std::string consumer = "notify";
    std::int64_t batch = 100;
    std::chrono::milliseconds block{2000};
    std::chrono::milliseconds claim_idle{60000};  // entries a dead consumer left pending
};

// The kind of security notification an audit event gives, if any:
//   user.login_failed with after.locked  → SECURITY_LOCKOUT
//   user.password_changed, user.password_reset → SECURITY_PASSWORD_CHANGED
//   api_key.created → SECURITY_API_KEY_CREATED
//   session.created with after.new_device → SECURITY_NEW_DEVICE
std::optional<std::string> SecurityKindOf(const std::string& action, const std::string& data_json);

// Reads the relay's audit stream in a consumer group (shard 0) and notifies the account holder
// of security events. The event id is the dedupe key, so a redelivered entry (crash before XACK,
// relay replay) notifies once.
class SecurityProducer : public std::enable_shared_from_this<SecurityProducer> {
public:
    SecurityProducer(App& app, std::shared_ptr<Notifier> notifier, SecurityProducerOptions options = {});

    // One round: entries pending too long (XAUTOCLAIM), then new ones (XREADGROUP, blocking up to
    // `block`). Returns how many entries were handled.
    boost::asio::awaitable<std::size_t> RunOnce();
    void Start();
    void Stop();

private:
    boost::asio::awaitable<void> Handle(const std::vector<redis::StreamEntry>& entries);

    App& app_;
    std::shared_ptr<Notifier> notifier_;
    SecurityProducerOptions options_;
    bool group_ready_ = false;
    std::shared_ptr<bool> stop_;
};

}  // namespace nn::notify
