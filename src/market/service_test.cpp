// MarketService against an in-memory market::Repository: the service's own logic (batch limits,
// validation before anything is written, the ingest order handed to the repository, the outbox
// relay and the latest-price fallback without Redis). The SQL is PgRepository's and is tested
// against PostgreSQL (ingest_redistest.cpp, market_http_redistest.cpp).
#include "market/service.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::market {
namespace {

namespace asio = boost::asio;

// Latest prices and the outbox in memory; what the service under test never calls throws.
class MemoryRepository : public Repository {
public:
    struct Stored {
        SeriesKind kind;
        std::vector<PriceRow> rows;
        std::vector<std::uint32_t> order;
        std::string batch_id;
    };
    std::vector<Stored> stored;
    std::map<std::string, LatestPrice> latest;
    std::vector<OutboxEvent> outbox;
    std::vector<std::int64_t> published;
    std::vector<std::pair<std::int64_t, std::string>> failed;

    asio::awaitable<StoredBatch> StorePrices(SeriesKind kind,
                                             const std::vector<PriceRow>& rows,
                                             const std::vector<std::uint32_t>& order,
                                             const std::string& batch_id) override {
        stored.push_back({kind, rows, order, batch_id});
        StoredBatch batch;
        for (auto i : order) {
            const PriceRow& row = rows[i];
            ++batch.inserted;
            auto it = latest.find(row.symbol);
            if (it != latest.end() && it->second.time >= row.time) continue;
            latest[row.symbol] = LatestPrice{row.symbol, row.time, row.close, row.volume, std::nullopt};
            ++batch.updated_latest;
        }
        co_return batch;
    }
    asio::awaitable<StoredBatch> StoreFx(const std::vector<FxRow>&, const std::string&) override {
        throw std::logic_error("StoreFx is not in memory");
    }
    asio::awaitable<std::vector<OutboxEvent>> PendingEvents(std::chrono::seconds, int limit) override {
        std::vector<OutboxEvent> out;
        for (const auto& e : outbox) {
            if (static_cast<int>(out.size()) == limit) break;
            out.push_back(e);
        }
        co_return out;
    }
    asio::awaitable<void> MarkPublished(std::int64_t id) override {
        published.push_back(id);
        co_return;
    }
    asio::awaitable<void> MarkFailed(std::int64_t id, const std::string& error) override {
        failed.emplace_back(id, error);
        co_return;
    }
    asio::awaitable<std::int64_t> DeletePublishedBefore(std::chrono::hours) override {
        throw std::logic_error("DeletePublishedBefore is not in memory");
    }
    asio::awaitable<std::vector<LatestPrice>> Latest(const std::vector<std::string>& symbols) override {
        std::vector<LatestPrice> out;
        for (const auto& s : symbols) {
            if (auto it = latest.find(s); it != latest.end()) out.push_back(it->second);
        }
        co_return out;
    }
    asio::awaitable<std::optional<std::string>> PreviousClose(const std::string&,
                                                              const std::string&) override {
        throw std::logic_error("PreviousClose is not in memory");
    }
    asio::awaitable<std::vector<Bar>> History(
        SeriesKind, const std::string&, Timestamp, Timestamp, Interval, int) override {
        throw std::logic_error("History is not in memory");
    }
    asio::awaitable<std::optional<FxQuote>> Fx(const std::string&,
                                               const std::string&,
                                               std::optional<Timestamp>) override {
        throw std::logic_error("Fx is not in memory");
    }
    asio::awaitable<Instrument> CreateInstrument(const Instrument&) override {
        throw std::logic_error("CreateInstrument is not in memory");
    }
    asio::awaitable<std::optional<Instrument>> UpdateInstrument(const std::string&,
                                                                const InstrumentPatch&) override {
        throw std::logic_error("UpdateInstrument is not in memory");
    }
    asio::awaitable<std::optional<Instrument>> GetInstrument(const std::string&) override {
        throw std::logic_error("GetInstrument is not in memory");
    }
    asio::awaitable<std::vector<Instrument>> SearchInstruments(const InstrumentQuery&) override {
        throw std::logic_error("SearchInstruments is not in memory");
    }
    asio::awaitable<std::int64_t> Reconcile(Timestamp, Timestamp) override {
        throw std::logic_error("Reconcile is not in memory");
    }
    asio::awaitable<void> Maintain(const RetentionWindows&) override {
        throw std::logic_error("Maintain is not in memory");
    }
    asio::awaitable<std::vector<std::pair<std::string, std::int64_t>>> DefaultPartitionRows() override {
        throw std::logic_error("DefaultPartitionRows is not in memory");
    }
};

PriceRow MemoryTick(std::string symbol, Timestamp time, const char* close) {
    PriceRow row;
    row.symbol = std::move(symbol);
    row.time = time;
    row.close = Decimal::FromString(close);
    return row;
}

// The nn::Error IngestPrices refuses `rows` with.
Error IngestRefusal(MarketService& svc, const std::vector<PriceRow>& rows) {
    try {
        test::RunAwaitable(svc.IngestPrices(SeriesKind::kStock, rows));
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "the batch was accepted";
    return Error(ErrorKind::kInternal, "test.accepted", "the batch was accepted");
}

MarketOptions SmallBatches() {
    MarketOptions options;
    options.limits.max_rows = 3;
    return options;
}

// A service on an empty in-memory repository, without Redis; batches of at most 3 rows.
class MarketServiceMemory : public ::testing::Test {
protected:
    MemoryRepository repo_;
    MarketService svc_{repo_, nullptr, SmallBatches()};
    const Timestamp t_ = Now() - std::chrono::minutes(10);
};

TEST_F(MarketServiceMemory, HandsTheRepositoryTheValidBatchInIngestOrder) {
    std::vector<PriceRow> rows{MemoryTick("MSFT", t_, "410.5"),
                               MemoryTick("AAPL", t_ + std::chrono::seconds(1), "190"),
                               MemoryTick("AAPL", t_, "189.5")};
    auto result = test::RunAwaitable(svc_.IngestPrices(SeriesKind::kStock, rows));

    ASSERT_EQ(repo_.stored.size(), 1u);
    EXPECT_EQ(repo_.stored[0].kind, SeriesKind::kStock);
    EXPECT_EQ(repo_.stored[0].rows, rows);
    EXPECT_EQ(repo_.stored[0].order, (std::vector<std::uint32_t>{2, 1, 0}));  // (symbol, time)
    EXPECT_EQ(repo_.stored[0].batch_id, result.batch_id);
    EXPECT_TRUE(Uuid::Parse(result.batch_id).has_value());
    EXPECT_EQ(result.received, 3);
    EXPECT_EQ(result.inserted, 3);
    EXPECT_EQ(result.updated_latest, 3);
    // No outbox row came back, so there was nothing to publish.
    EXPECT_FALSE(result.event_published);
    EXPECT_TRUE(repo_.published.empty());
}

TEST_F(MarketServiceMemory, RefusesAnInvalidBatchBeforeTheRepository) {
    std::vector<PriceRow> rows{MemoryTick("AAPL", t_, "190"), MemoryTick("AAPL", t_, "-1")};
    const Error e = IngestRefusal(svc_, rows);
    EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
    EXPECT_EQ(e.Code(), "validation.failed");
    EXPECT_FALSE(e.FieldErrors().empty());
    EXPECT_TRUE(repo_.stored.empty());
}

TEST_F(MarketServiceMemory, LimitsTheBatchOnlyWhenAskedTo) {
    std::vector<PriceRow> rows;
    for (int i = 0; i < 4; ++i) rows.push_back(MemoryTick("AAPL", t_ + std::chrono::seconds(i), "190"));
    const Error e = IngestRefusal(svc_, rows);
    EXPECT_EQ(e.Kind(), ErrorKind::kPayloadTooLarge);
    EXPECT_EQ(e.Code(), "market.batch_too_large");
    EXPECT_TRUE(repo_.stored.empty());
    auto result = test::RunAwaitable(svc_.IngestPricesUnlimited(SeriesKind::kIndex, rows));
    EXPECT_EQ(result.received, 4);
    ASSERT_EQ(repo_.stored.size(), 1u);
    EXPECT_EQ(repo_.stored[0].kind, SeriesKind::kIndex);
}

TEST_F(MarketServiceMemory, RelayWithoutRedisMarksTheOldestEventFailedAndStops) {
    repo_.outbox = {{7, R"({"kind":"stock","batch_id":"b","prices":[]})"},
                    {8, R"({"kind":"stock","batch_id":"c","prices":[]})"}};
    EXPECT_EQ(test::RunAwaitable(svc_.RelayOutbox()), 0);
    ASSERT_EQ(repo_.failed.size(), 1u);
    EXPECT_EQ(repo_.failed[0].first, 7);
    EXPECT_EQ(repo_.failed[0].second, "redis unavailable");
    EXPECT_TRUE(repo_.published.empty());
}

TEST_F(MarketServiceMemory, LatestWithoutRedisReadsTheRepositoryInSymbolOrder) {
    std::vector<PriceRow> rows{MemoryTick("MSFT", t_, "410.5"), MemoryTick("AAPL", t_, "190")};
    test::RunAwaitable(svc_.IngestPrices(SeriesKind::kStock, rows));

    std::vector<std::string> symbols{"MSFT", "NONE", "AAPL"};
    auto many = test::RunAwaitable(svc_.LatestMany(symbols));
    ASSERT_EQ(many.size(), 2u);
    EXPECT_EQ(many[0].symbol, "AAPL");
    EXPECT_EQ(many[1].symbol, "MSFT");
    EXPECT_EQ(many[1].price, Decimal::FromString("410.5"));
    EXPECT_FALSE(test::RunAwaitable(svc_.Latest("NONE")).has_value());
}

}  // namespace
}  // namespace nn::market
