// MarketService against an in-memory market::Repository: the service's own logic (batch limits,
// validation before anything is written, the ingest order handed to the repository, the outbox
// relay, the latest-price fallback without Redis, history paging and its unknown-symbol rule,
// the not-found answers of rates and instruments, and what the maintenance jobs ask for). The SQL is
// PgRepository's and is tested against PostgreSQL (ingest_redistest.cpp, market_http_redistest.cpp).
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

// Latest prices, the outbox, instruments, bars and rates in memory; what the service under test never calls
// throws.
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
    std::map<std::string, Instrument> instruments;
    std::map<std::string, std::vector<Bar>> bars;
    std::map<std::string, FxQuote> rates;  // by base + quote
    std::vector<int> history_limits;
    std::vector<std::pair<Timestamp, Timestamp>> reconciled;
    std::vector<RetentionWindows> maintained;
    std::vector<std::chrono::hours> deleted_before;

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
    asio::awaitable<std::int64_t> DeletePublishedBefore(std::chrono::hours age) override {
        deleted_before.push_back(age);
        co_return 0;
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
        SeriesKind, const std::string& symbol, Timestamp, Timestamp, Interval, int limit) override {
        history_limits.push_back(limit);
        std::vector<Bar> out;
        if (auto it = bars.find(symbol); it != bars.end()) out = it->second;
        if (static_cast<int>(out.size()) > limit) out.resize(static_cast<std::size_t>(limit));
        co_return out;
    }
    asio::awaitable<std::optional<FxQuote>> Fx(const std::string& base,
                                               const std::string& quote,
                                               std::optional<Timestamp>) override {
        if (auto it = rates.find(base + quote); it != rates.end()) co_return it->second;
        co_return std::nullopt;
    }
    asio::awaitable<Instrument> CreateInstrument(const Instrument&) override {
        throw std::logic_error("CreateInstrument is not in memory");
    }
    asio::awaitable<std::optional<Instrument>> UpdateInstrument(const std::string& symbol,
                                                                const InstrumentPatch& patch) override {
        auto it = instruments.find(symbol);
        if (it == instruments.end()) co_return std::nullopt;
        if (patch.name) it->second.name = *patch.name;
        co_return it->second;
    }
    asio::awaitable<std::optional<Instrument>> GetInstrument(const std::string& symbol) override {
        if (auto it = instruments.find(symbol); it != instruments.end()) co_return it->second;
        co_return std::nullopt;
    }
    asio::awaitable<std::vector<Instrument>> SearchInstruments(const InstrumentQuery&) override {
        throw std::logic_error("SearchInstruments is not in memory");
    }
    asio::awaitable<std::int64_t> Reconcile(Timestamp from, Timestamp to) override {
        reconciled.emplace_back(from, to);
        co_return 42;
    }
    asio::awaitable<void> Maintain(const RetentionWindows& windows) override {
        maintained.push_back(windows);
        co_return;
    }
    asio::awaitable<std::vector<std::pair<std::string, std::int64_t>>> DefaultPartitionRows() override {
        co_return std::vector<std::pair<std::string, std::int64_t>>{{"market_data.ohlcv_1m", 3}};
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

// Error the awaitable throws (a failure when it returns).
template <typename T>
Error Refusal(asio::awaitable<T> call) {
    try {
        test::RunAwaitable(std::move(call));
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "the call succeeded";
    return Error(ErrorKind::kInternal, "test.succeeded", "the call succeeded");
}

Instrument MemoryInstrument(std::string symbol) {
    Instrument i;
    i.symbol = std::move(symbol);
    i.name = "Instrument " + i.symbol;
    i.asset_class = "EQUITY";
    i.currency = "USD";
    return i;
}

Bar MemoryBar(Timestamp time, const char* close) {
    Bar b;
    b.time = time;
    b.close = Decimal::FromString(close);
    return b;
}

TEST_F(MarketServiceMemory, HistoryOfAnUnknownSymbolIsNotFound) {
    const Error e =
        Refusal(svc_.History(SeriesKind::kStock, "NONE", t_, t_ + std::chrono::hours(1), Interval::k1m, 10));
    EXPECT_EQ(e.Kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.Code(), "market.unknown_symbol");
}

TEST_F(MarketServiceMemory, HistoryOfAKnownSymbolWithoutBarsIsAnEmptyPage) {
    repo_.instruments["AAPL"] = MemoryInstrument("AAPL");
    auto page = test::RunAwaitable(
        svc_.History(SeriesKind::kStock, "AAPL", t_, t_ + std::chrono::hours(1), Interval::k1m, 10));
    EXPECT_TRUE(page.bars.empty());
    EXPECT_FALSE(page.more);
}

TEST_F(MarketServiceMemory, HistoryWithBarsNeedsNoInstrumentAndPagesOnlyWhenThereIsMore) {
    // Bars of an index with no instrument row: still answered (the instrument is read only when
    // there are no bars).
    repo_.bars["^SPX"] = {MemoryBar(t_, "1"), MemoryBar(t_ + std::chrono::minutes(1), "2"),
                          MemoryBar(t_ + std::chrono::minutes(2), "3")};
    const Timestamp to = t_ + std::chrono::hours(1);
    auto exact = test::RunAwaitable(svc_.History(SeriesKind::kIndex, "^SPX", t_, to, Interval::k1m, 3));
    EXPECT_EQ(exact.bars.size(), 3u);
    EXPECT_FALSE(exact.more);
    auto shorter = test::RunAwaitable(svc_.History(SeriesKind::kIndex, "^SPX", t_, to, Interval::k1m, 2));
    ASSERT_EQ(shorter.bars.size(), 2u);
    EXPECT_TRUE(shorter.more);
    EXPECT_EQ(shorter.bars.back().close, Decimal::FromString("2"));
    EXPECT_EQ(repo_.history_limits, (std::vector<int>{4, 3}));  // one more than asked
}

TEST_F(MarketServiceMemory, FxWithoutARateIsNotFound) {
    repo_.rates["EURUSD"] = FxQuote{"EUR", "USD", Decimal::FromString("1.0842"), t_, false};
    auto fx = test::RunAwaitable(svc_.Fx("EUR", "USD", std::nullopt));
    EXPECT_EQ(fx.rate, Decimal::FromString("1.0842"));
    const Error e = Refusal(svc_.Fx("EUR", "JPY", std::nullopt));
    EXPECT_EQ(e.Kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.Code(), "market.no_rate");
}

TEST_F(MarketServiceMemory, GetAndUpdateOfAnAbsentInstrumentAreNotFound) {
    repo_.instruments["AAPL"] = MemoryInstrument("AAPL");
    EXPECT_EQ(test::RunAwaitable(svc_.GetInstrument("AAPL")).symbol, "AAPL");
    InstrumentPatch patch;
    patch.name = "Apple";
    EXPECT_EQ(test::RunAwaitable(svc_.UpdateInstrument("AAPL", patch)).name, "Apple");
    EXPECT_EQ(Refusal(svc_.GetInstrument("NONE")).Code(), "market.unknown_symbol");
    const Error e = Refusal(svc_.UpdateInstrument("NONE", patch));
    EXPECT_EQ(e.Kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.Code(), "market.unknown_symbol");
}

TEST_F(MarketServiceMemory, MaintainAppliesTheRetentionWindowsAndDropsDayOldPublishedEvents) {
    test::RunAwaitable(svc_.Maintain());
    ASSERT_EQ(repo_.maintained.size(), 1u);
    EXPECT_EQ(repo_.maintained[0].raw, SmallBatches().retention.raw);
    EXPECT_EQ(repo_.deleted_before, (std::vector<std::chrono::hours>{std::chrono::hours(24)}));
}

TEST_F(MarketServiceMemory, ReconcileRebuildsTheWindowEndingFiveMinutesAgo) {
    const Timestamp now = t_;
    EXPECT_EQ(test::RunAwaitable(svc_.Reconcile(now)), 42);
    ASSERT_EQ(repo_.reconciled.size(), 1u);
    EXPECT_EQ(repo_.reconciled[0].second, now - std::chrono::minutes(5));
    EXPECT_EQ(repo_.reconciled[0].first, now - std::chrono::minutes(5) - std::chrono::hours(72));
}

}  // namespace
}  // namespace nn::market
