#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "market/model.hpp"
#include "market/repository.hpp"

namespace nn::db {
class Pool;
class QueryRunner;
}  // namespace nn::db

namespace nn::market {

// The market data SQL (repository.hpp says what each call does), on the timescale database as
// nexanest_market. One per pool (shard).
class PgRepository : public Repository {
public:
    explicit PgRepository(db::Pool& pool);
    // History (bars over a range) reads through `history`, which may be a read replica
    // (db::ReadRouter, docs/scale-out.md); everything else on `pool`, the primary.
    PgRepository(db::Pool& pool, db::QueryRunner& history) : pool_(pool), history_(history) {}

    boost::asio::awaitable<StoredBatch> StorePrices(SeriesKind kind,
                                                    const std::vector<PriceRow>& rows,
                                                    const std::vector<std::uint32_t>& order,
                                                    const std::string& batch_id) override;
    boost::asio::awaitable<StoredBatch> StoreFx(const std::vector<FxRow>& rows,
                                                const std::string& batch_id) override;

    boost::asio::awaitable<std::vector<OutboxEvent>> PendingEvents(std::chrono::seconds min_age,
                                                                   int limit) override;
    boost::asio::awaitable<void> MarkPublished(std::int64_t outbox_id) override;
    boost::asio::awaitable<void> MarkFailed(std::int64_t outbox_id, const std::string& error) override;
    boost::asio::awaitable<std::int64_t> DeletePublishedBefore(std::chrono::hours age) override;

    boost::asio::awaitable<std::vector<LatestPrice>> Latest(const std::vector<std::string>& symbols) override;
    boost::asio::awaitable<std::optional<std::string>> PreviousClose(const std::string& symbol,
                                                                     const std::string& time) override;
    boost::asio::awaitable<std::vector<Bar>> History(SeriesKind kind,
                                                     const std::string& symbol,
                                                     Timestamp from,
                                                     Timestamp to,
                                                     Interval interval,
                                                     int limit) override;
    boost::asio::awaitable<std::optional<FxQuote>> Fx(const std::string& base,
                                                      const std::string& quote,
                                                      std::optional<Timestamp> at) override;

    boost::asio::awaitable<Instrument> CreateInstrument(const Instrument& instrument) override;
    boost::asio::awaitable<std::optional<Instrument>> UpdateInstrument(const std::string& symbol,
                                                                       const InstrumentPatch& patch) override;
    boost::asio::awaitable<std::optional<Instrument>> GetInstrument(const std::string& symbol) override;
    boost::asio::awaitable<std::vector<Instrument>> SearchInstruments(const InstrumentQuery& query) override;

    boost::asio::awaitable<std::int64_t> Reconcile(Timestamp from, Timestamp to) override;
    boost::asio::awaitable<void> Maintain(const RetentionWindows& windows) override;
    boost::asio::awaitable<std::vector<std::pair<std::string, std::int64_t>>> DefaultPartitionRows() override;

private:
    db::Pool& pool_;
    db::QueryRunner& history_;
};

}  // namespace nn::market
