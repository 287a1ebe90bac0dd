#pragma once

#include <atomic>
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

struct AuditProducerOptions {
    std::string stream = "nn:events:audit";  // RelayOptions::stream
    std::string group = "notify.audit";
    std::string consumer = "notify";
    std::int64_t batch = 100;
    std::chrono::milliseconds block{2000};
    std::chrono::milliseconds claim_idle{60000};  // entries a dead consumer left pending
};

// The notification an audit event gives, if any (kind, title, body, data):
//   auth      user.login_failed with after.locked          → SECURITY_LOCKOUT
//   auth      user.password_changed, user.password_reset   → SECURITY_PASSWORD_CHANGED
//   auth      api_key.created                               → SECURITY_API_KEY_CREATED
//   auth      session.created with after.new_device         → SECURITY_NEW_DEVICE
//   portfolio allocation.drift_breached                     → ALLOCATION_DRIFT
//   portfolio goal.milestone_reached                        → GOAL_MILESTONE
struct AuditNotice {
    std::string kind;
    std::string title;
    std::string body;
    std::string data_json;  // the event's `after` object
};
std::optional<AuditNotice> NoticeOf(const std::string& source,
                                    const std::string& action,
                                    const std::string& data_json);

// Reads the relay's audit stream in a consumer group (shard 0) and notifies the account holder
// (the event's user_id) of security, drift and goal events. The event id (`<source>:<outbox
// id>`) is the dedupe key, so a redelivered entry (crash before XACK, relay replay) notifies
// once.
class AuditProducer : public std::enable_shared_from_this<AuditProducer> {
public:
    AuditProducer(App& app, std::shared_ptr<Notifier> notifier, AuditProducerOptions options = {});

    // One round: entries pending too long (XAUTOCLAIM), then new ones (XREADGROUP, blocking up to
    // `block`). Returns how many entries were handled.
    boost::asio::awaitable<std::size_t> RunOnce();
    void Start();
    void Stop();

private:
    boost::asio::awaitable<void> Handle(const std::vector<redis::StreamEntry>& entries);

    App& app_;
    std::shared_ptr<Notifier> notifier_;
    AuditProducerOptions options_;
    bool group_ready_ = false;
    std::shared_ptr<std::atomic<bool>> stop_;
};

}  // namespace nn::notify
