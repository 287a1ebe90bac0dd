#include "notify/notifier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "auth/user_directory.hpp"
#include "infra/app/app.hpp"
#include "infra/db/transaction.hpp"
#include "infra/mail/mailer.hpp"
#include "notify/email.hpp"

namespace nn::notify {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

db::TransactionOptions System() {
    return db::TransactionOptions().ActingAs(Actor::System());
}

db::TransactionOptions AsUser(UserId user) {
    return db::TransactionOptions().ActingAs(Actor(user, Role::kUser));
}

}  // namespace

Notifier::Notifier(App& app, std::shared_ptr<Repository> repository, NotifierOptions options)
    : app_(app), repo_(std::move(repository)), options_(std::move(options)) {}

asio::awaitable<NotifyResult> Notifier::Notify(const NotificationDraft& draft, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    bool live = false;
    NotifyResult result = co_await db::RunInTransaction(
        pool, System(), [&](db::Transaction& tx) -> asio::awaitable<NotifyResult> {
            NotifyResult r;
            live = false;
            if (draft.dedupe_key) {
                const bool claimed = co_await repo_->ClaimDedupe(tx, draft.user, *draft.dedupe_key);
                if (!claimed) {
                    r.duplicate = true;
                    co_return r;
                }
            }
            const Channels channels = co_await repo_->ChannelsOf(tx, draft.user, draft.kind);
            live = channels.live;
            std::optional<Uuid> id;
            if (channels.in_app) {
                id = co_await repo_->InsertNotification(tx, draft);
                r.notification = id;
                json::object payload{{"kind", draft.kind}, {"title", draft.title}};
                co_await repo_->AddOutbox(tx, std::nullopt, draft.user, "notification", id->ToString(),
                                          "notification.created", json::serialize(payload));
            }
            std::optional<std::string> address = draft.email;
            if (channels.email && !address) address = co_await AddressOf(draft.user, shard);
            if (channels.email && address) {
                mail::Message m = NotificationEmail(app_.Config().public_url, *address, draft.kind,
                                                    draft.title, draft.body);
                if (draft.email_subject) m.subject = *draft.email_subject;
                if (draft.email_text) {
                    m.text_body = *draft.email_text;
                    m.html_body = draft.email_html;
                }
                NewDelivery delivery;
                delivery.user = draft.user;
                delivery.notification = id;
                delivery.kind = draft.kind;
                delivery.to = *address;
                delivery.subject = m.subject;
                delivery.text_body = m.text_body;
                delivery.html_body = m.html_body;
                co_await repo_->InsertDelivery(tx, delivery);
                r.emailed = true;
            }
            co_return r;
        });
    if (live && !result.duplicate) {
        // The inbox row is committed; a Redis outage costs the live push only (the client sees
        // the notification on its next inbox read).
        std::string error;
        try {
            json::object o;
            if (result.notification) {
                o["id"] = result.notification->ToString();
            } else {
                o["id"] = nullptr;
            }
            o["kind"] = draft.kind;
            o["title"] = draft.title;
            o["body"] = draft.body;
            o["data"] = json::parse(draft.data_json);
            std::string data = json::serialize(o);
            co_await PushLive(draft.user, "notification", data, shard);
            result.pushed = true;
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (!error.empty()) spdlog::warn("notify: live push to {} failed: {}", draft.user.ToString(), error);
    }
    co_return result;
}

asio::awaitable<std::optional<std::string>> Notifier::AddressOf(UserId user, std::size_t shard) {
    if (!directory_) co_return std::nullopt;
    auto status = co_await directory_->GetUser(user, shard);
    if (!status || !status->is_active || !status->email_verified || !status->email) co_return std::nullopt;
    co_return status->email;
}

asio::awaitable<std::string> Notifier::PushLive(UserId user,
                                                const std::string& type,
                                                const std::string& data_json,
                                                std::size_t shard) {
    auto& redis = app_.Redis(shard);
    redis::XAddOptions xadd;
    xadd.max_len = options_.live_max_len;
    redis::FieldValues fields{{"type", type}, {"data", data_json}};
    std::string id = co_await redis.XAdd(LiveKey(user), fields, xadd);
    co_await redis.Publish(WakeChannel(user), id);
    co_return id;
}

asio::awaitable<std::vector<Notification>> Notifier::List(UserId user,
                                                          bool unread_only,
                                                          std::optional<std::pair<Timestamp, Uuid>> after,
                                                          std::size_t limit,
                                                          std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    std::vector<Notification> out;
    co_await db::RunInTransaction(pool, AsUser(user), [&](db::Transaction& tx) -> asio::awaitable<void> {
        out = co_await repo_->List(tx, user, unread_only, after, limit);
    });
    co_return out;
}

asio::awaitable<bool> Notifier::MarkRead(UserId user, Uuid id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    auto body = [&](db::Transaction& tx) -> asio::awaitable<std::int64_t> {
        const std::int64_t n = co_await repo_->MarkRead(tx, user, id);
        if (n > 0) {
            co_await repo_->AddOutbox(tx, user, user, "notification", id.ToString(), "notification.read",
                                      "{}");
        }
        co_return n;
    };
    std::int64_t n = co_await db::RunInTransaction(pool, AsUser(user), body);
    co_return n > 0;
}

asio::awaitable<std::int64_t> Notifier::MarkAllRead(UserId user, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    auto body = [&](db::Transaction& tx) -> asio::awaitable<std::int64_t> {
        const std::int64_t n = co_await repo_->MarkAllRead(tx, user);
        if (n > 0) {
            json::object payload{{"count", n}};
            co_await repo_->AddOutbox(tx, user, user, "notification", "*", "notification.all_read",
                                      json::serialize(payload));
        }
        co_return n;
    };
    co_return co_await db::RunInTransaction(pool, AsUser(user), body);
}

asio::awaitable<std::vector<Preference>> Notifier::Preferences(UserId user, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    std::vector<Preference> out;
    co_await db::RunInTransaction(pool, AsUser(user), [&](db::Transaction& tx) -> asio::awaitable<void> {
        out = co_await repo_->Preferences(tx, user);
    });
    co_return out;
}

asio::awaitable<void> Notifier::SetPreferences(UserId user,
                                               const std::vector<Preference>& prefs,
                                               std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    auto body = [&](db::Transaction& tx) -> asio::awaitable<void> {
        json::array after;
        for (const auto& p : prefs) {
            co_await repo_->UpsertPreference(tx, user, p);
            json::object o{{"kind", p.kind}, {"channel", p.channel}, {"enabled", p.enabled}};
            after.push_back(std::move(o));
        }
        json::object state{{"preferences", std::move(after)}};
        json::object payload{{"after", std::move(state)}};
        co_await repo_->AddOutbox(tx, user, user, "notification_preferences", user.ToString(),
                                  "notification_preferences.updated", json::serialize(payload));
    };
    co_await db::RunInTransaction(pool, AsUser(user), body);
}

asio::awaitable<int> Notifier::SendDueEmails(mail::Mailer& mailer, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    std::vector<ClaimedDelivery> claimed;
    co_await db::RunInTransaction(pool, System(), [&](db::Transaction& tx) -> asio::awaitable<void> {
        claimed = co_await repo_->ClaimDeliveries(tx, options_.email_batch);
    });
    int sent = 0;
    for (const auto& c : claimed) {
        std::string error;
        try {
            mail::Message message;
            message.to = c.to;
            message.subject = c.subject;
            message.text_body = c.text_body;
            message.html_body = c.html_body;
            message.kind = c.kind;
            co_await mailer.Send(message);
        } catch (const std::exception& e) {
            error = e.what();
            if (error.empty()) error = "send failed";
        }
        if (!error.empty()) spdlog::warn("notify: email {} not sent: {}", c.id.ToString(), error);
        co_await db::RunInTransaction(pool, System(), [&](db::Transaction& tx) -> asio::awaitable<void> {
            if (error.empty()) {
                co_await repo_->DeliverySent(tx, c.id);
            } else {
                co_await repo_->DeliveryFailed(tx, c.id, error, options_.email_backoff,
                                               options_.email_backoff_max);
            }
        });
        if (error.empty()) ++sent;
    }
    co_return sent;
}

}  // namespace nn::notify
