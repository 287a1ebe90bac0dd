// IngestOrder and FoldPartials (model.hpp): the client-side half of the rollup merge.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include "market/model.hpp"

namespace nn::market {
namespace {

PriceRow Tick(std::string symbol, const char* time, const char* close, std::optional<std::int64_t> volume) {
    return PriceRow{TimestampFromString(time),
                    std::move(symbol),
                    std::nullopt,
                    std::nullopt,
                    std::nullopt,
                    Decimal::FromString(close),
                    volume};
}

TEST(IngestOrder, SortsBySymbolThenTimeAndDropsIdenticalRepeats) {
    std::vector<PriceRow> rows{
        Tick("MSFT", "2024-05-01T14:30:02Z", "2", 1), Tick("AAPL", "2024-05-01T14:30:05Z", "5", 1),
        Tick("MSFT", "2024-05-01T14:30:01Z", "1", 1), Tick("AAPL", "2024-05-01T14:30:03Z", "3", 1),
        Tick("AAPL", "2024-05-01T14:30:05Z", "5", 1),  // repeat of [1]
        Tick("A", "2024-05-01T14:31:00Z", "9", 1)};
    EXPECT_EQ(IngestOrder(rows), (std::vector<std::uint32_t>{5, 3, 1, 2, 0}));
    EXPECT_TRUE(IngestOrder({}).empty());
}

// The fold written the obvious way: every tick of a (symbol, minute) at once.
struct Expected {
    Decimal open, high, low, close;
    std::int64_t volume = 0;
    std::int32_t ticks = 0;
    Timestamp open_time, close_time;
    std::optional<std::int64_t> close_volume;
};

std::map<std::pair<std::string, Timestamp>, Expected> NaiveFold(const std::vector<PriceRow>& rows) {
    std::map<std::pair<std::string, Timestamp>, std::vector<const PriceRow*>> groups;
    for (const auto& r : rows)
        groups[{r.symbol, std::chrono::floor<std::chrono::minutes>(r.time)}].push_back(&r);
    std::map<std::pair<std::string, Timestamp>, Expected> out;
    for (auto& [key, ticks] : groups) {
        auto first =
            *std::min_element(ticks.begin(), ticks.end(), [](auto a, auto b) { return a->time < b->time; });
        auto last =
            *std::max_element(ticks.begin(), ticks.end(), [](auto a, auto b) { return a->time < b->time; });
        Expected e{first->open.value_or(first->close),
                   first->high.value_or(first->close),
                   first->low.value_or(first->close),
                   last->close,
                   0,
                   0,
                   first->time,
                   last->time,
                   last->volume};
        for (auto t : ticks) {
            e.high = std::max(e.high, t->high.value_or(t->close));
            e.low = std::min(e.low, t->low.value_or(t->close));
            e.volume += t->volume.value_or(0);
            ++e.ticks;
        }
        out[key] = e;
    }
    return out;
}

TEST(FoldPartials, MinutePartialsEqualANaiveFoldOfShuffledTicksAndBars) {
    std::mt19937_64 rng(42);
    const Timestamp start = TimestampFromString("2024-05-01T23:58:30Z");  // crosses a UTC midnight
    std::vector<PriceRow> rows;
    for (int i = 0; i < 3000; ++i) {
        PriceRow r;
        r.symbol = "S" + std::to_string(rng() % 7);
        r.time = start + std::chrono::milliseconds(static_cast<std::int64_t>(rng() % 240'000));
        r.close = Decimal::FromUnscaled(static_cast<std::int64_t>(10'000 + rng() % 5'000), 2);
        if (rng() % 3 == 0) {  // a bar: open, high and low around the close
            r.open = Decimal::FromUnscaled(static_cast<std::int64_t>(10'000 + rng() % 5'000), 2);
            r.high = std::max(*r.open, r.close) + Decimal::FromString("0.5");
            r.low = std::min(*r.open, r.close) - Decimal::FromString("0.25");
        }
        if (rng() % 4 != 0) r.volume = static_cast<std::int64_t>(rng() % 1000);
        rows.push_back(r);
    }
    // identical repeats are dropped, not counted twice
    rows.push_back(rows[17]);
    rows.push_back(rows[1234]);
    std::vector<PriceRow> unique_rows;
    {
        std::map<std::pair<std::string, Timestamp>, PriceRow> by_key;
        for (const auto& r : rows) by_key.emplace(std::make_pair(r.symbol, r.time), r);
        for (auto& [k, r] : by_key) unique_rows.push_back(r);
    }
    const auto order = IngestOrder(rows);
    ASSERT_EQ(order.size(), unique_rows.size());
    const auto expected = NaiveFold(unique_rows);
    const auto partials = FoldPartials(rows, order, PartialGrouping::kMinute);
    ASSERT_EQ(partials.size(), expected.size());
    for (const auto& p : partials) {
        auto it = expected.find({std::string(p.symbol), p.bucket});
        ASSERT_NE(it, expected.end()) << p.symbol << " " << FormatRfc3339(p.bucket);
        const Expected& e = it->second;
        EXPECT_EQ(p.open, e.open);
        EXPECT_EQ(p.high, e.high);
        EXPECT_EQ(p.low, e.low);
        EXPECT_EQ(p.close, e.close);
        EXPECT_EQ(p.volume, e.volume);
        EXPECT_EQ(p.tick_count, e.ticks);
        EXPECT_EQ(p.open_time, e.open_time);
        EXPECT_EQ(p.close_time, e.close_time);
        EXPECT_EQ(p.close_volume, e.close_volume);
    }
    // ordered by (symbol, bucket), which is the lock order of the rollup merge
    EXPECT_TRUE(std::is_sorted(partials.begin(), partials.end(), [](const auto& a, const auto& b) {
        return std::tie(a.symbol, a.bucket) < std::tie(b.symbol, b.bucket);
    }));
}

TEST(FoldPartials, TickGroupingKeepsOnePartialPerTick) {
    std::vector<PriceRow> rows{Tick("X", "1971-06-01T00:44:50Z", "2", 3),
                               Tick("X", "1971-06-01T00:44:10Z", "1", 4)};
    const auto order = IngestOrder(rows);
    const auto minute = FoldPartials(rows, order, PartialGrouping::kMinute);
    ASSERT_EQ(minute.size(), 1u);
    EXPECT_EQ(minute[0].tick_count, 2);
    EXPECT_EQ(minute[0].open, Decimal::FromString("1"));
    EXPECT_EQ(minute[0].close_volume, 3);
    const auto ticks = FoldPartials(rows, order, PartialGrouping::kTick);
    ASSERT_EQ(ticks.size(), 2u);
    EXPECT_EQ(ticks[0].open_time, ticks[0].close_time);
    EXPECT_EQ(ticks[0].bucket, ticks[1].bucket);
    EXPECT_EQ(ticks[0].close, Decimal::FromString("1"));
    EXPECT_EQ(ticks[1].close, Decimal::FromString("2"));
}

TEST(FoldPartials, AVolumeSumBeyondBigintIsRefusedNamingTheTick) {
    const std::int64_t big = std::numeric_limits<std::int64_t>::max() - 5;
    std::vector<PriceRow> rows{Tick("X", "2024-05-01T14:30:01Z", "1", big),
                               Tick("X", "2024-05-01T14:30:02Z", "1", 6)};
    try {
        FoldPartials(rows, IngestOrder(rows), PartialGrouping::kMinute);
        ADD_FAILURE() << "an overflowing volume sum was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
        EXPECT_EQ(e.Code(), "validation.failed");
        ASSERT_EQ(e.FieldErrors().size(), 1u);
        EXPECT_EQ(e.FieldErrors()[0].field, "prices[1].volume");
    }
}

}  // namespace
}  // namespace nn::market
