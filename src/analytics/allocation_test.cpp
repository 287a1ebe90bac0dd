// The allocation view's grouping and drift on hand-computed examples (docs/analytics.md §12).
#include "analytics/allocation.hpp"
#include "core/testing.hpp"

#include <gtest/gtest.h>

namespace nn::analytics {
namespace {

using nn::testing::D;

const AllocationGroup* Find(const Allocation& a,
                            const std::string& dimension,
                            std::optional<std::string> key) {
    for (const auto& [d, groups] : a.groupings) {
        if (d != dimension) continue;
        for (const auto& g : groups) {
            if (g.key == key) return &g;
        }
    }
    return nullptr;
}

std::vector<std::string> All() {
    return {kAllocationDimensions.begin(), kAllocationDimensions.end()};
}

// USD portfolio: 10 AAA at 110 (1,100, EQUITY, Technology, US); 5 BBB at 40 EUR x 1.1 = 220
// (ETF, no sector, DE); cash 500 USD and 100 EUR x 1.1 = 110. Total 1,930.
struct Expected {
    const char* dimension;
    std::optional<std::string> key;
    const char* value;
    const char* weight;  // value / 1930 to 6 places, half-even
};

TEST(Allocation, WorkedExampleEveryGrouping) {
    const std::vector<AllocationPosition> positions{
        {"AAA", D("1100"), "USD", "EQUITY", "Technology", "US"},
        {"BBB", D("220"), "EUR", "ETF", std::nullopt, "DE"},
    };
    const std::vector<CashValue> cash{{"USD", D("500")}, {"EUR", D("110")}};
    const Allocation a = ComputeAllocation(positions, cash, {}, All());
    EXPECT_EQ(a.total.ToString(), "1930");
    ASSERT_EQ(a.groupings.size(), 5u);
    EXPECT_EQ(a.groupings[0].first, "symbol");
    EXPECT_EQ(a.groupings[4].first, "currency");

    const Expected table[] = {
        {"symbol", "AAA", "1100", "0.569948"},  // 0.56994818...
        {"symbol", "CASH", "610", "0.316062"},  // 0.31606217...
        {"symbol", "BBB", "220", "0.11399"},    // 0.11398963... -> 0.113990
        {"asset_class", "EQUITY", "1100", "0.569948"},
        {"asset_class", "CASH", "610", "0.316062"},
        {"asset_class", "ETF", "220", "0.11399"},
        {"sector", "Technology", "1100", "0.569948"},
        {"sector", std::nullopt, "220", "0.11399"},  // no sector known
        {"country", "DE", "220", "0.11399"},
        {"currency", "USD", "1600", "0.829016"},  // 0.82901554...
        {"currency", "EUR", "330", "0.170984"},   // 0.17098445...
    };
    for (const Expected& e : table) {
        const AllocationGroup* g = Find(a, e.dimension, e.key);
        ASSERT_NE(g, nullptr) << e.dimension << " " << e.key.value_or("null");
        EXPECT_EQ(g->value.ToString(), e.value) << e.dimension << " " << e.key.value_or("null");
        ASSERT_TRUE(g->weight.has_value());
        EXPECT_EQ(g->weight->Normalized().ToString(), e.weight)
            << e.dimension << " " << e.key.value_or("null");
    }
    // Largest first.
    EXPECT_EQ(a.groupings[0].second.front().key, "AAA");
    EXPECT_EQ(a.groupings[0].second.back().key, "BBB");
}

TEST(Allocation, RuleDriftIncludesCash) {
    const std::vector<AllocationPosition> positions{
        {"AAA", D("1100"), "USD", "EQUITY", "Technology", "US"},
        {"BBB", D("220"), "EUR", "ETF", std::nullopt, "DE"},
    };
    const std::vector<CashValue> cash{{"USD", D("500")}, {"EUR", D("110")}};
    const std::vector<portfolio::AllocationRule> rules{
        {"ASSET_CLASS", "EQUITY", D("0.5"), D("0.05")},  // 0.569948: drift +0.069948, breached
        {"CURRENCY", "EUR", D("0.2"), D("0.05")},        // 0.170984 (cash included): -0.029016
        {"ASSET_CLASS", "CASH", D("0.3"), D("0.01")},    // 0.316062: +0.016062, breached
        {"SYMBOL", "ZZZ", D("0.1"), D("0.1")},           // not held: 0, drift -0.1, within
    };
    const Allocation a = ComputeAllocation(positions, cash, rules, {"symbol"});
    ASSERT_EQ(a.rules.size(), 4u);
    struct Row {
        const char* weight;
        const char* drift;
        bool breached;
    };
    const Row expected[] = {
        {"0.569948", "0.069948", true},
        {"0.170984", "-0.029016", false},
        {"0.316062", "0.016062", true},
        {"0", "-0.1", false},
    };
    for (std::size_t i = 0; i < 4; ++i) {
        ASSERT_TRUE(a.rules[i].weight && a.rules[i].drift) << i;
        EXPECT_EQ(a.rules[i].weight->Normalized().ToString(), expected[i].weight) << i;
        EXPECT_EQ(a.rules[i].drift->Normalized().ToString(), expected[i].drift) << i;
        EXPECT_EQ(a.rules[i].breached, expected[i].breached) << i;
    }
}

// Everything sold: only cash is left, and it is the whole portfolio.
TEST(Allocation, EverythingSoldIsAllCash) {
    const std::vector<CashValue> cash{{"USD", D("1234.5")}};
    const std::vector<portfolio::AllocationRule> rules{{"SYMBOL", "AAA", D("0.5"), D("0.05")}};
    const Allocation a = ComputeAllocation({}, cash, rules, {"symbol", "currency"});
    ASSERT_EQ(a.groupings[0].second.size(), 1u);
    EXPECT_EQ(a.groupings[0].second[0].key, "CASH");
    EXPECT_EQ(a.groupings[0].second[0].weight->ToString(), "1.000000");
    EXPECT_EQ(a.groupings[1].second[0].key, "USD");
    EXPECT_TRUE(a.rules[0].breached);
    EXPECT_EQ(a.rules[0].drift->Normalized().ToString(), "-0.5");
}

// Nothing (or a negative total, from cash overdrawn beyond the holdings): no weight is defined.
TEST(Allocation, NoPositiveTotalHasNoWeights) {
    const std::vector<portfolio::AllocationRule> rules{{"SYMBOL", "AAA", D("0.5"), D("0.05")}};
    Allocation a = ComputeAllocation({}, {}, rules, {"symbol"});
    EXPECT_EQ(a.total.ToString(), "0");
    EXPECT_TRUE(a.groupings[0].second.empty());
    EXPECT_FALSE(a.rules[0].weight);
    EXPECT_FALSE(a.rules[0].breached);

    a = ComputeAllocation({{"AAA", D("100"), "USD", "EQUITY", std::nullopt, std::nullopt}},
                          {{"USD", D("-150")}}, rules, {"symbol"});
    EXPECT_EQ(a.total.ToString(), "-50");
    ASSERT_EQ(a.groupings[0].second.size(), 2u);
    EXPECT_FALSE(a.groupings[0].second[0].weight);
    EXPECT_EQ(a.groupings[0].second[1].value.ToString(), "-150");
}

}  // namespace
}  // namespace nn::analytics
