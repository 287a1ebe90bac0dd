#pragma once

#include "notify/repository.hpp"

namespace nn::notify {

// Notify's statements (repository.hpp says what each does) on the notifications and timescale
// databases as nexanest_notify. Holds no state: one serves every shard.
class PgRepository final : public Repository {
public:
    boost::asio::awaitable<bool> ClaimDedupe(db::Transaction& tx,
                                             UserId user,
                                             const std::string& key) override;
    boost::asio::awaitable<Channels> ChannelsOf(db::Transaction& tx,
                                                UserId user,
                                                const std::string& kind) override;
    boost::asio::awaitable<Uuid> InsertNotification(db::Transaction& tx,
                                                    const NotificationDraft& draft) override;
    boost::asio::awaitable<void> InsertDelivery(db::Transaction& tx, const NewDelivery& delivery) override;
    boost::asio::awaitable<void> AddOutbox(db::Transaction& tx,
                                           std::optional<UserId> actor,
                                           UserId user,
                                           std::string_view aggregate_type,
                                           const std::string& aggregate_id,
                                           std::string_view event_type,
                                           const std::string& payload) override;
    boost::asio::awaitable<std::vector<Notification>> List(db::Transaction& tx,
                                                           UserId user,
                                                           bool unread_only,
                                                           std::optional<std::pair<Timestamp, Uuid>> after,
                                                           std::size_t limit) override;
    boost::asio::awaitable<std::int64_t> MarkRead(db::Transaction& tx, UserId user, Uuid id) override;
    boost::asio::awaitable<std::int64_t> MarkAllRead(db::Transaction& tx, UserId user) override;
    boost::asio::awaitable<std::vector<Preference>> Preferences(db::Transaction& tx, UserId user) override;
    boost::asio::awaitable<void> UpsertPreference(db::Transaction& tx,
                                                  UserId user,
                                                  const Preference& preference) override;
    boost::asio::awaitable<std::vector<ClaimedDelivery>> ClaimDeliveries(db::Transaction& tx,
                                                                         int batch) override;
    boost::asio::awaitable<void> DeliverySent(db::Transaction& tx, Uuid id) override;
    boost::asio::awaitable<void> DeliveryFailed(db::Transaction& tx,
                                                Uuid id,
                                                const std::string& error,
                                                std::chrono::seconds backoff,
                                                std::chrono::seconds backoff_max) override;
    boost::asio::awaitable<void> RecordEvents(db::Transaction& tx,
                                              const std::string& source,
                                              const std::string& events) override;
    boost::asio::awaitable<std::vector<AuditEntry>> Audit(db::Transaction& tx,
                                                          const AuditFilter& filter,
                                                          std::size_t limit) override;
    boost::asio::awaitable<std::vector<TradingEvent>> TradingEvents(
        db::Transaction& tx,
        PortfolioId portfolio,
        std::optional<std::pair<Timestamp, std::int64_t>> after,
        std::size_t limit) override;
};

}  // namespace nn::notify
