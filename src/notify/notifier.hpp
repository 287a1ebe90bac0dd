#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "notify/model.hpp"
#include "notify/repository.hpp"

namespace nn {
class App;
}
namespace nn::mail {
class Mailer;
}
namespace nn::auth {
class UserDirectory;
}

namespace nn::notify {

struct NotifierOptions {
    // Live stream of a user: <prefix><user id>; wake-up channel: <wake_prefix><user id>.
    std::string live_prefix = "nn:notify:live:";
    std::string wake_prefix = "nn:notify:wake:";
    std::int64_t live_max_len = 1000;
    // Email deliveries: backoff base * 2^(attempts-1), capped; DEAD after max_attempts.
    std::chrono::seconds email_backoff{30};
    std::chrono::seconds email_backoff_max{3600};
    int email_batch = 20;
};

// The notifications service: the notifications database (role nexanest_notify) through its
// Repository, and the live streams in Redis. Producers call Notify in SYSTEM context; the inbox
// calls act for the user (row-level security). Each call opens its transactions on the shard's
// pool and runs the repository's statements inside them.
class Notifier {
public:
    Notifier(App& app, std::shared_ptr<Repository> repository, NotifierOptions options = {});

    // Where Notify finds addresses for the EMAIL channel (set once, before producers run).
    void SetDirectory(std::shared_ptr<auth::UserDirectory> directory) { directory_ = std::move(directory); }
    // The address to email `user` at: an active account's verified address, else nullopt.
    boost::asio::awaitable<std::optional<std::string>> AddressOf(UserId user, std::size_t shard);

    boost::asio::awaitable<NotifyResult> Notify(const NotificationDraft& draft, std::size_t shard);

    // Pushes an event (notification, price, portfolio_value) to the user's live stream and
    // wakes their SSE connections on every instance. Returns the stream entry id.
    boost::asio::awaitable<std::string> PushLive(UserId user,
                                                 const std::string& type,
                                                 const std::string& data_json,
                                                 std::size_t shard);

    boost::asio::awaitable<std::vector<Notification>> List(UserId user,
                                                           bool unread_only,
                                                           std::optional<std::pair<Timestamp, Uuid>> after,
                                                           std::size_t limit,
                                                           std::size_t shard);
    // False when no such notification of the user's exists.
    boost::asio::awaitable<bool> MarkRead(UserId user, Uuid id, std::size_t shard);
    boost::asio::awaitable<std::int64_t> MarkAllRead(UserId user, std::size_t shard);

    // Stored rows only; a missing (kind, channel) means enabled (and "*" is the user's default).
    boost::asio::awaitable<std::vector<Preference>> Preferences(UserId user, std::size_t shard);
    // Upserts each given row (others stay).
    boost::asio::awaitable<void> SetPreferences(UserId user,
                                                const std::vector<Preference>& prefs,
                                                std::size_t shard);

    // One round of the email sender: claims due deliveries, sends them with `mailer`, marks them
    // SENT, or schedules a retry with backoff, or DEAD after max_attempts. Returns how many were
    // sent.
    boost::asio::awaitable<int> SendDueEmails(mail::Mailer& mailer, std::size_t shard);

    const NotifierOptions& Options() const noexcept { return options_; }
    std::string LiveKey(UserId user) const { return options_.live_prefix + user.ToString(); }
    std::string WakeChannel(UserId user) const { return options_.wake_prefix + user.ToString(); }

private:
    App& app_;
    std::shared_ptr<Repository> repo_;
    NotifierOptions options_;
    std::shared_ptr<auth::UserDirectory> directory_;
};

}  // namespace nn::notify
