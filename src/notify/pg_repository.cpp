#include "notify/pg_repository.hpp"

#include <fmt/format.h>

#include "infra/db/transaction.hpp"

namespace nn::notify {
namespace asio = boost::asio;

namespace {

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

constexpr db::Query kAudit{
    "SELECT time, source, source_event_id, actor_id, user_id, entity_type, entity_id, action, before::text, "
    "after::text, request_id, host(ip) FROM events.system_events "
    "WHERE ($1::uuid IS NULL OR user_id = $1::uuid OR actor_id = $1::uuid) "
    "AND ($2::text IS NULL OR entity_type = $2) AND ($3::text IS NULL OR entity_id = $3) "
    "AND ($4::text IS NULL OR action = $4) "
    "AND ($5::timestamptz IS NULL OR time >= $5) AND ($6::timestamptz IS NULL OR time < $6) "
    "AND ($7::timestamptz IS NULL OR (time, source, source_event_id) < ($7, $8::text, $9::bigint)) "
    "ORDER BY time DESC, source DESC, source_event_id DESC LIMIT $10",
    "notify.audit"};

constexpr db::Query kTradingEvents{
    "SELECT time, source_event_id, event_type, action, transaction_id, actor_id, symbol, quantity::text, "
    "price::text, amount::text, fee::text, currency::text FROM events.trading_events "
    "WHERE portfolio_id = $1 AND ($2::timestamptz IS NULL OR (time, source_event_id) < ($2, $3::bigint)) "
    "ORDER BY time DESC, source_event_id DESC LIMIT $4",
    "notify.trading_events"};

// The columns of a db::OutboxDrain event record.
constexpr std::string_view kRecordColumns =
    "r(source_event_id bigint, time timestamptz, actor_id uuid, user_id uuid, entity_type text, entity_id "
    "text, "
    "action text, before jsonb, after jsonb, request_id text, ip inet, payload jsonb)";

const std::string kInsertSystemSql = fmt::format(
    "INSERT INTO events.system_events (time, source, source_event_id, actor_id, user_id, entity_type, "
    "entity_id, action, before, after, request_id, ip) "
    "SELECT r.time, $2, r.source_event_id, r.actor_id, r.user_id, r.entity_type, r.entity_id, r.action, "
    "r.before, r.after, r.request_id, r.ip FROM jsonb_to_recordset($1::jsonb) AS {} "
    "ON CONFLICT DO NOTHING",
    kRecordColumns);
const db::Query kInsertSystem{kInsertSystemSql, "notify.relay.insert_system"};

// Transaction events of the portfolio service. A deletion's payload carries no type: it is taken
// from the transaction's earlier trading event (a deletion of one never seen is skipped).
const std::string kInsertTradingSql = fmt::format(
    "INSERT INTO events.trading_events (time, portfolio_id, source_event_id, user_id, actor_id, "
    "transaction_id, event_type, action, symbol, quantity, price, amount, fee, currency, details) "
    "SELECT * FROM (SELECT r.time, (r.payload->>'portfolio_id')::uuid, r.source_event_id, r.user_id, "
    "r.actor_id, (r.payload->>'transaction_id')::uuid AS transaction_id, "
    "coalesce(r.payload->>'type', (SELECT t.event_type FROM events.trading_events t "
    "  WHERE t.transaction_id = (r.payload->>'transaction_id')::uuid ORDER BY t.time DESC LIMIT 1)) "
    "  AS event_type, "
    "upper(split_part(r.action, '.', 2)), r.payload->>'symbol', (r.payload->>'quantity')::numeric, "
    "(r.payload->>'price')::numeric, (r.payload->>'amount')::numeric, (r.payload->>'fee')::numeric, "
    "r.payload->>'currency', r.payload "
    "FROM jsonb_to_recordset($1::jsonb) AS {} "
    "WHERE $2 = 'portfolio' AND r.entity_type = 'transaction' AND r.user_id IS NOT NULL "
    "AND r.action IN ('transaction.created', 'transaction.updated', 'transaction.deleted') "
    "AND r.payload ? 'portfolio_id' AND r.payload ? 'transaction_id') e "
    "WHERE e.event_type IS NOT NULL ORDER BY e.time "
    "ON CONFLICT DO NOTHING",
    kRecordColumns);
const db::Query kInsertTrading{kInsertTradingSql, "notify.relay.insert_trading"};

Notification NotificationOfRow(const db::Row& row) {
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

AuditEntry AuditEntryOfRow(const db::Row& row) {
    AuditEntry e;
    e.time = row.Get<Timestamp>(0);
    e.source = row.Get<std::string>(1);
    e.source_event_id = row.Get<std::int64_t>(2);
    e.actor_id = row.Get<std::optional<Uuid>>(3);
    e.user_id = row.Get<std::optional<Uuid>>(4);
    e.entity_type = row.Get<std::string>(5);
    e.entity_id = row.Get<std::string>(6);
    e.action = row.Get<std::string>(7);
    e.before = row.Get<std::optional<std::string>>(8);
    e.after = row.Get<std::optional<std::string>>(9);
    e.request_id = row.Get<std::optional<std::string>>(10);
    e.ip = row.Get<std::optional<std::string>>(11);
    return e;
}

TradingEvent TradingEventOfRow(const db::Row& row) {
    TradingEvent e;
    e.time = row.Get<Timestamp>(0);
    e.source_event_id = row.Get<std::int64_t>(1);
    e.type = row.Get<std::string>(2);
    e.action = row.Get<std::string>(3);
    e.transaction_id = row.Get<std::optional<Uuid>>(4);
    e.actor_id = row.Get<std::optional<Uuid>>(5);
    e.symbol = row.Get<std::optional<std::string>>(6);
    e.quantity = row.Get<std::optional<std::string>>(7);
    e.price = row.Get<std::optional<std::string>>(8);
    e.amount = row.Get<std::optional<std::string>>(9);
    e.fee = row.Get<std::optional<std::string>>(10);
    e.currency = row.Get<std::optional<std::string>>(11);
    return e;
}

}  // namespace

asio::awaitable<bool> PgRepository::ClaimDedupe(db::Transaction& tx, UserId user, const std::string& key) {
    auto claimed = co_await tx.Execute(kClaimDedupe, user.ToString(), key);
    co_return claimed.RowsAffected() > 0;
}

asio::awaitable<Channels> PgRepository::ChannelsOf(db::Transaction& tx,
                                                   UserId user,
                                                   const std::string& kind) {
    Channels channels;
    auto rows = co_await tx.Execute(kChannels, user, kind);
    for (db::Row row : rows) {
        auto channel = row.Get<std::string>(0);
        bool on = row.Get<bool>(1);
        if (channel == kChannelInApp) channels.in_app = on;
        if (channel == kChannelEmail) channels.email = on;
        if (channel == kChannelLive) channels.live = on;
    }
    co_return channels;
}

asio::awaitable<Uuid> PgRepository::InsertNotification(db::Transaction& tx, const NotificationDraft& draft) {
    auto row = co_await tx.Execute(kInsertNotification, draft.user, draft.kind, draft.title, draft.body,
                                   draft.data_json, draft.dedupe_key);
    co_return std::get<0>(row.AsSingleRow<Uuid, Timestamp>());
}

asio::awaitable<void> PgRepository::InsertDelivery(db::Transaction& tx, const NewDelivery& d) {
    co_await tx.Execute(kInsertDelivery, d.user, d.notification, d.kind, d.to, d.subject, d.text_body,
                        d.html_body);
}

asio::awaitable<void> PgRepository::AddOutbox(db::Transaction& tx,
                                              std::optional<UserId> actor,
                                              UserId user,
                                              std::string_view aggregate_type,
                                              const std::string& aggregate_id,
                                              std::string_view event_type,
                                              const std::string& payload) {
    co_await tx.Execute(kInsertOutbox, actor, user, aggregate_type, aggregate_id, event_type, payload);
}

asio::awaitable<std::vector<Notification>> PgRepository::List(db::Transaction& tx,
                                                              UserId user,
                                                              bool unread_only,
                                                              std::optional<std::pair<Timestamp, Uuid>> after,
                                                              std::size_t limit) {
    std::optional<Timestamp> after_time;
    std::optional<Uuid> after_id;
    if (after) {
        after_time = after->first;
        after_id = after->second;
    }
    auto rows =
        co_await tx.Execute(kList, user, unread_only, after_time, after_id, static_cast<std::int64_t>(limit));
    std::vector<Notification> out;
    for (db::Row row : rows) out.push_back(NotificationOfRow(row));
    co_return out;
}

asio::awaitable<std::int64_t> PgRepository::MarkRead(db::Transaction& tx, UserId user, Uuid id) {
    auto r = co_await tx.Execute(kMarkRead, id, user);
    co_return r.RowsAffected();
}

asio::awaitable<std::int64_t> PgRepository::MarkAllRead(db::Transaction& tx, UserId user) {
    auto r = co_await tx.Execute(kMarkAllRead, user);
    co_return r.RowsAffected();
}

asio::awaitable<std::vector<Preference>> PgRepository::Preferences(db::Transaction& tx, UserId user) {
    auto rows = co_await tx.Execute(kPreferences, user);
    std::vector<Preference> out;
    for (db::Row row : rows) {
        Preference p;
        p.kind = row.Get<std::string>(0);
        p.channel = row.Get<std::string>(1);
        p.enabled = row.Get<bool>(2);
        out.push_back(std::move(p));
    }
    co_return out;
}

asio::awaitable<void> PgRepository::UpsertPreference(db::Transaction& tx, UserId user, const Preference& p) {
    co_await tx.Execute(kUpsertPreference, user, p.kind, p.channel, p.enabled);
}

asio::awaitable<std::vector<ClaimedDelivery>> PgRepository::ClaimDeliveries(db::Transaction& tx, int batch) {
    auto rows = co_await tx.Execute(kClaimDeliveries, static_cast<std::int64_t>(batch));
    std::vector<ClaimedDelivery> out;
    for (db::Row row : rows) {
        ClaimedDelivery c;
        c.id = row.Get<Uuid>(0);
        c.to = row.Get<std::string>(1);
        c.subject = row.Get<std::string>(2);
        c.text_body = row.Get<std::string>(3);
        c.html_body = row.Get<std::optional<std::string>>(4);
        c.kind = row.Get<std::string>(5);
        out.push_back(std::move(c));
    }
    co_return out;
}

asio::awaitable<void> PgRepository::DeliverySent(db::Transaction& tx, Uuid id) {
    co_await tx.Execute(kDeliverySent, id);
}

asio::awaitable<void> PgRepository::DeliveryFailed(db::Transaction& tx,
                                                   Uuid id,
                                                   const std::string& error,
                                                   std::chrono::seconds backoff,
                                                   std::chrono::seconds backoff_max) {
    co_await tx.Execute(kDeliveryFailed, id, error, static_cast<double>(backoff.count()),
                        static_cast<double>(backoff_max.count()));
}

asio::awaitable<void> PgRepository::RecordEvents(db::Transaction& tx,
                                                 const std::string& source,
                                                 const std::string& events) {
    co_await tx.Execute(kInsertSystem, events, source);
    co_await tx.Execute(kInsertTrading, events, source);
}

asio::awaitable<std::vector<AuditEntry>> PgRepository::Audit(db::Transaction& tx,
                                                             const AuditFilter& f,
                                                             std::size_t limit) {
    auto rows =
        co_await tx.Execute(kAudit, f.user, f.entity, f.entity_id, f.action, f.from, f.to, f.after_time,
                            f.after_source, f.after_id, static_cast<std::int64_t>(limit));
    std::vector<AuditEntry> out;
    for (db::Row row : rows) out.push_back(AuditEntryOfRow(row));
    co_return out;
}

asio::awaitable<std::vector<TradingEvent>> PgRepository::TradingEvents(
    db::Transaction& tx,
    PortfolioId portfolio,
    std::optional<std::pair<Timestamp, std::int64_t>> after,
    std::size_t limit) {
    std::optional<Timestamp> after_time;
    std::optional<std::int64_t> after_id;
    if (after) {
        after_time = after->first;
        after_id = after->second;
    }
    auto rows = co_await tx.Execute(kTradingEvents, portfolio, after_time, after_id,
                                    static_cast<std::int64_t>(limit));
    std::vector<TradingEvent> out;
    for (db::Row row : rows) out.push_back(TradingEventOfRow(row));
    co_return out;
}

}  // namespace nn::notify
