#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "notify/model.hpp"

namespace nn::db {
class Transaction;
}

namespace nn::notify {

// Every SQL statement of notify on its own tables: the notifications database
// (notifications.notifications, notification_preferences, deliveries, processed_events, outbox)
// and the recorded events on the timescale database (events.system_events, trading_events).
// Each call runs inside the transaction the service opened as the acting user (row-level
// security decides what it sees); PgRepository (pg_repository.hpp) is the implementation. The
// relay (relay.hpp) reads the other services' outboxes through db::OutboxDrain and records their
// events here (RecordEvents).
class Repository {
public:
    virtual ~Repository() = default;

    // --- notifications database ---

    // Claims the dedupe key of (user, key) in processed_events; false when it was claimed before.
    virtual boost::asio::awaitable<bool> ClaimDedupe(db::Transaction& tx,
                                                     UserId user,
                                                     const std::string& key) = 0;
    virtual boost::asio::awaitable<Channels> ChannelsOf(db::Transaction& tx,
                                                        UserId user,
                                                        const std::string& kind) = 0;
    // The inbox row of the draft; its id.
    virtual boost::asio::awaitable<Uuid> InsertNotification(db::Transaction& tx,
                                                            const NotificationDraft& draft) = 0;
    virtual boost::asio::awaitable<void> InsertDelivery(db::Transaction& tx, const NewDelivery& delivery) = 0;
    // One notifications.outbox row: the audit trail of this database's own writes.
    virtual boost::asio::awaitable<void> AddOutbox(db::Transaction& tx,
                                                   std::optional<UserId> actor,
                                                   UserId user,
                                                   std::string_view aggregate_type,
                                                   const std::string& aggregate_id,
                                                   std::string_view event_type,
                                                   const std::string& payload) = 0;

    // The user's inbox, newest first, after the (created_at, id) keyset position; at most `limit`.
    virtual boost::asio::awaitable<std::vector<Notification>> List(
        db::Transaction& tx,
        UserId user,
        bool unread_only,
        std::optional<std::pair<Timestamp, Uuid>> after,
        std::size_t limit) = 0;
    // Rows matched (0 or 1; an already read notification keeps its read_at but counts).
    virtual boost::asio::awaitable<std::int64_t> MarkRead(db::Transaction& tx, UserId user, Uuid id) = 0;
    // Rows that were unread.
    virtual boost::asio::awaitable<std::int64_t> MarkAllRead(db::Transaction& tx, UserId user) = 0;
    // The stored rows, by kind and channel.
    virtual boost::asio::awaitable<std::vector<Preference>> Preferences(db::Transaction& tx, UserId user) = 0;
    virtual boost::asio::awaitable<void> UpsertPreference(db::Transaction& tx,
                                                          UserId user,
                                                          const Preference& preference) = 0;

    // The email job: claims up to `batch` due deliveries (and SENDING ones a crashed sender left
    // past their 5-minute lock), then marks each SENT, or failed: retried after
    // min(backoff * 2^(attempts-1), backoff_max), DEAD after max_attempts.
    virtual boost::asio::awaitable<std::vector<ClaimedDelivery>> ClaimDeliveries(db::Transaction& tx,
                                                                                 int batch) = 0;
    virtual boost::asio::awaitable<void> DeliverySent(db::Transaction& tx, Uuid id) = 0;
    virtual boost::asio::awaitable<void> DeliveryFailed(db::Transaction& tx,
                                                        Uuid id,
                                                        const std::string& error,
                                                        std::chrono::seconds backoff,
                                                        std::chrono::seconds backoff_max) = 0;

    // --- events (timescale database) ---

    // Records a batch of outbox events of `source` (auth, portfolio, analytics, notifications):
    // `events` is a JSON array of db::OutboxDrain event records. Each goes into
    // events.system_events; a portfolio transaction's events also into events.trading_events (a
    // deletion takes its type from the transaction's earlier trading event, one never seen is
    // skipped). Repeating a batch inserts nothing twice (ON CONFLICT DO NOTHING on the keys).
    virtual boost::asio::awaitable<void> RecordEvents(db::Transaction& tx,
                                                      const std::string& source,
                                                      const std::string& events) = 0;

    // The audit trail, newest first (time, source, source event id); at most `limit`.
    virtual boost::asio::awaitable<std::vector<AuditEntry>> Audit(db::Transaction& tx,
                                                                  const AuditFilter& filter,
                                                                  std::size_t limit) = 0;
    // A portfolio's trading events, newest first, after the (time, source event id) position.
    virtual boost::asio::awaitable<std::vector<TradingEvent>> TradingEvents(
        db::Transaction& tx,
        PortfolioId portfolio,
        std::optional<std::pair<Timestamp, std::int64_t>> after,
        std::size_t limit) = 0;
};

}  // namespace nn::notify
