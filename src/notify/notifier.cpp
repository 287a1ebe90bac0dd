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

// The effective switch per channel: the (kind, channel) row, else the user's "*" row, else on.
constexpr db::Query kChannels{
    "SELECT c.channel, coalesce("
    " (SELECT p.enabled FROM notifications.notification_preferences p"
    "  WHERE p.user_id = $1 AND p.kind = $2 AND p.channel = c.channel),"
    " (SELECT p.enabled FROM notifications.notification_preferences p"
    "  WHERE p.user_id = $1 AND p.kind = '*' AND p.channel = c.channel), true) "
    "FROM unnest(ARRAY['IN_APP', 'EMAIL', 'LIVE']) AS c(channel)",
    "notify.channels"};

// Dedupe through processed_events, so a key is honoured even when the inbox row is not written
// (IN_APP off); md5 keeps the id within the column's 128 characters.
constexpr db::Query kClaimDedupe{
    "INSERT INTO notifications.processed_events (consumer, event_id) "
    "VALUES ('notify.dedupe', $1::text || ':' || md5($2)) ON CONFLICT DO NOTHING",
    "notify.claim_dedupe"};

constexpr db::Query kInsertNotification{
    "INSERT INTO notifications.notifications (user_id, kind, title, body, data, dedupe_key) "
    "VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING id, created_at",
    "notify.insert_notification"};

constexpr db::Query kInsertDelivery{
    "INSERT INTO notifications.deliveries (user_id, notification_id, template, to_address, subject, "
    "body_text, body_html) "
    "VALUES ($1, $2, lower($3), $4, $5, $6, $7)",
    "notify.insert_delivery"};

constexpr db::Query kList{
    "SELECT id, user_id, kind, title, body, data::text, created_at, read_at "
    "FROM notifications.notifications "
    "WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL) "
    "AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid)) "
    "ORDER BY created_at DESC, id DESC LIMIT $5",
    "notify.list"};

constexpr db::Query kMarkRead{
    "UPDATE notifications.notifications SET read_at = coalesce(read_at, now()) "
    "WHERE id = $1 AND user_id = $2",
    "notify.mark_read"};

constexpr db::Query kMarkAllRead{
    "UPDATE notifications.notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL",
    "notify.mark_all_read"};

constexpr db::Query kPreferences{
    "SELECT kind, channel, enabled FROM notifications.notification_preferences WHERE user_id = $1 "
    "ORDER BY kind, channel",
    "notify.preferences"};

constexpr db::Query kUpsertPreference{
    "INSERT INTO notifications.notification_preferences (user_id, kind, channel, enabled) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, kind, channel) "
    "DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()",
    "notify.upsert_preference"};

// Due rows, and rows a crashed sender left SENDING past their lock.
constexpr db::Query kClaimDeliveries{
    "UPDATE notifications.deliveries d SET status = 'SENDING', attempts = d.attempts + 1, "
    "locked_until = now() + interval '5 minutes' "
    "WHERE d.id IN (SELECT id FROM notifications.deliveries "
    "  WHERE (status = 'PENDING' AND next_try_at <= now()) OR (status = 'SENDING' AND locked_until < now()) "
    "  ORDER BY next_try_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
    "RETURNING d.id, d.to_address, d.subject, d.body_text, d.body_html, d.template, d.attempts, "
    "d.max_attempts",
    "notify.claim_deliveries"};

constexpr db::Query kDeliverySent{
    "UPDATE notifications.deliveries SET status = 'SENT', sent_at = now(), locked_until = NULL, last_error = "
    "NULL "
    "WHERE id = $1",
    "notify.delivery_sent"};

constexpr db::Query kDeliveryFailed{
    "UPDATE notifications.deliveries SET locked_until = NULL, last_error = left($2, 500), "
    "status = CASE WHEN attempts >= max_attempts THEN 'DEAD' ELSE 'PENDING' END, "
    "dead_at = CASE WHEN attempts >= max_attempts THEN now() END, "
    "next_try_at = now() + make_interval(secs => least($3::float8 * power(2, attempts - 1), $4::float8)) "
    "WHERE id = $1",
    "notify.delivery_failed"};

// The audit trail of this database's own writes (drained by the "notifications" relay).
constexpr db::Query kInsertOutbox{
    "INSERT INTO notifications.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type, payload) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
    "notify.insert_outbox"};

Notification ReadNotification(db::Row row) {
    Notification n;
    n.id = row.Get<Uuid>(0);
    n.user = row.Get<UserId>(1);
    n.kind = row.Get<std::string>(2);
    n.title = row.Get<std::string>(3);
    n.body = row.Get<std::string>(4);
    n.data_json = row.Get<std::string>(5);
    n.created_at = row.Get<Timestamp>(6);
    n.read_at = row.Get<std::optional<Timestamp>>(7);
    return n;
}

}  // namespace

Notifier::Notifier(App& app, NotifierOptions options) : app_(app), options_(std::move(options)) {}

asio::awaitable<NotifyResult> Notifier::Notify(const NotificationDraft& draft, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    bool live = false;
    NotifyResult result = co_await db::RunInTransaction(
        pool, System(), [&](db::Transaction& tx) -> asio::awaitable<NotifyResult> {
            NotifyResult r;
            live = false;
            if (draft.dedupe_key) {
                auto claimed = co_await tx.Execute(kClaimDedupe, draft.user.ToString(), *draft.dedupe_key);
                if (claimed.RowsAffected() == 0) {
                    r.duplicate = true;
                    co_return r;
                }
            }
            bool in_app = true;
            bool email = true;
            auto channels = co_await tx.Execute(kChannels, draft.user, draft.kind);
            for (db::Row row : channels) {
                auto channel = row.Get<std::string>(0);
                bool on = row.Get<bool>(1);
                if (channel == kChannelInApp) in_app = on;
                if (channel == kChannelEmail) email = on;
                if (channel == kChannelLive) live = on;
            }
            std::optional<Uuid> id;
            if (in_app) {
                auto row = co_await tx.Execute(kInsertNotification, draft.user, draft.kind, draft.title,
                                               draft.body, draft.data_json, draft.dedupe_key);
                id = std::get<0>(row.AsSingleRow<Uuid, Timestamp>());
                r.notification = id;
                json::object payload{{"kind", draft.kind}, {"title", draft.title}};
                co_await tx.Execute(kInsertOutbox, std::optional<UserId>(), draft.user, "notification",
                                    id->ToString(), "notification.created", json::serialize(payload));
            }
            std::optional<std::string> address = draft.email;
            if (email && !address) address = co_await AddressOf(draft.user, shard);
            if (email && address) {
                mail::Message m = NotificationEmail(app_.Config().public_url, *address, draft.kind,
                                                    draft.title, draft.body);
                if (draft.email_subject) m.subject = *draft.email_subject;
                if (draft.email_text) {
                    m.text_body = *draft.email_text;
                    m.html_body = draft.email_html;
                }
                co_await tx.Execute(kInsertDelivery, draft.user, id, draft.kind, *address, m.subject,
                                    m.text_body, m.html_body);
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
    std::optional<Timestamp> after_time;
    std::optional<Uuid> after_id;
    if (after) {
        after_time = after->first;
        after_id = after->second;
    }
    std::vector<Notification> out;
    co_await db::RunInTransaction(pool, AsUser(user), [&](db::Transaction& tx) -> asio::awaitable<void> {
        out.clear();
        auto rows = co_await tx.Execute(kList, user, unread_only, after_time, after_id,
                                        static_cast<std::int64_t>(limit));
        for (db::Row row : rows) out.push_back(ReadNotification(row));
    });
    co_return out;
}

asio::awaitable<bool> Notifier::MarkRead(UserId user, Uuid id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    auto body = [&](db::Transaction& tx) -> asio::awaitable<std::int64_t> {
        auto r = co_await tx.Execute(kMarkRead, id, user);
        if (r.RowsAffected() > 0) {
            co_await tx.Execute(kInsertOutbox, user, user, "notification", id.ToString(), "notification.read",
                                "{}");
        }
        co_return r.RowsAffected();
    };
    std::int64_t n = co_await db::RunInTransaction(pool, AsUser(user), body);
    co_return n > 0;
}

asio::awaitable<std::int64_t> Notifier::MarkAllRead(UserId user, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    auto body = [&](db::Transaction& tx) -> asio::awaitable<std::int64_t> {
        auto r = co_await tx.Execute(kMarkAllRead, user);
        if (r.RowsAffected() > 0) {
            json::object payload{{"count", r.RowsAffected()}};
            co_await tx.Execute(kInsertOutbox, user, user, "notification", "*", "notification.all_read",
                                json::serialize(payload));
        }
        co_return r.RowsAffected();
    };
    co_return co_await db::RunInTransaction(pool, AsUser(user), body);
}

asio::awaitable<std::vector<Preference>> Notifier::Preferences(UserId user, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    std::vector<Preference> out;
    co_await db::RunInTransaction(pool, AsUser(user), [&](db::Transaction& tx) -> asio::awaitable<void> {
        out.clear();
        auto rows = co_await tx.Execute(kPreferences, user);
        for (db::Row row : rows) {
            Preference p;
            p.kind = row.Get<std::string>(0);
            p.channel = row.Get<std::string>(1);
            p.enabled = row.Get<bool>(2);
            out.push_back(std::move(p));
        }
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
            co_await tx.Execute(kUpsertPreference, user, p.kind, p.channel, p.enabled);
            json::object o{{"kind", p.kind}, {"channel", p.channel}, {"enabled", p.enabled}};
            after.push_back(std::move(o));
        }
        json::object state{{"preferences", std::move(after)}};
        json::object payload{{"after", std::move(state)}};
        co_await tx.Execute(kInsertOutbox, user, user, "notification_preferences", user.ToString(),
                            "notification_preferences.updated", json::serialize(payload));
    };
    co_await db::RunInTransaction(pool, AsUser(user), body);
}

asio::awaitable<int> Notifier::SendDueEmails(mail::Mailer& mailer, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kNotify, Database::kNotifications, shard);
    struct Claimed {
        Uuid id;
        mail::Message message;
    };
    std::vector<Claimed> claimed;
    co_await db::RunInTransaction(pool, System(), [&](db::Transaction& tx) -> asio::awaitable<void> {
        claimed.clear();
        auto rows = co_await tx.Execute(kClaimDeliveries, static_cast<std::int64_t>(options_.email_batch));
        for (db::Row row : rows) {
            Claimed c;
            c.id = row.Get<Uuid>(0);
            c.message.to = row.Get<std::string>(1);
            c.message.subject = row.Get<std::string>(2);
            c.message.text_body = row.Get<std::string>(3);
            c.message.html_body = row.Get<std::optional<std::string>>(4);
            c.message.kind = row.Get<std::string>(5);
            claimed.push_back(std::move(c));
        }
    });
    int sent = 0;
    for (auto& c : claimed) {
        std::string error;
        try {
            mail::Message message = c.message;
            co_await mailer.Send(message);
        } catch (const std::exception& e) {
            error = e.what();
            if (error.empty()) error = "send failed";
        }
        if (!error.empty()) spdlog::warn("notify: email {} not sent: {}", c.id.ToString(), error);
        co_await db::RunInTransaction(pool, System(), [&](db::Transaction& tx) -> asio::awaitable<void> {
            if (error.empty()) {
                co_await tx.Execute(kDeliverySent, c.id);
            } else {
                co_await tx.Execute(kDeliveryFailed, c.id, error,
                                    static_cast<double>(options_.email_backoff.count()),
                                    static_cast<double>(options_.email_backoff_max.count()));
            }
        });
        if (error.empty()) ++sent;
    }
    co_return sent;
}

}  // namespace nn::notify
