// The price alerts' pure arithmetic: ChangePercent and UtcTradingDate must give exactly what the
// SQL they replace gave on PostgreSQL 15.
#include "notify/model.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace nn::notify {
namespace {

struct ChangeCase {
    const char* price;
    const char* prev_close;
    const char* percent;
};

// The expectations were computed once with psql on PostgreSQL 15:
//   SELECT trim_scale(round((price::numeric / prev_close::numeric - 1) * 100, 2))::text
// and are hard-coded here; the comments give PostgreSQL's quotient where it matters.
const ChangeCase kChangeCases[] = {
    {"190.5", "180", "5.83"},
    {"190.50", "180.0000000000", "5.83"},
    {"180", "190.5", "-5.51"},
    {"180.0000000000", "190.5000000000", "-5.51"},
    {"200", "100", "100"},
    {"150.0000000000", "100.0000000000", "50"},
    {"100", "100", "0"},
    {"100.00", "100.0000", "0"},
    {"101", "100", "1"},
    {"110.10", "100", "10.1"},
    {"1", "3", "-66.67"},
    {"2", "3", "-33.33"},
    {"0.5", "0.7", "-28.57"},
    // Ties at 2 places go away from zero, both ways.
    {"100.005", "100", "0.01"},
    {"100.005", "100.000", "0.01"},
    {"99.995", "100", "-0.01"},
    {"99.994999", "100", "-0.01"},
    {"100.004999", "100", "0"},
    {"1.23456789", "1.23456788", "0"},
    // The quotient is rounded at PostgreSQL's division scale first: 1.00004999999999999967
    // (20 places); at 18 places it would be 1.00005 and the change 0.01.
    {"3.000149999999999999", "3", "0"},
    {"2.999849999999999999", "3", "-0.01"},  // 0.99994999999999999967
    // 0.000050000000000000003003 (24 places); at 18 places 0.00005 and the change -100.
    {"0.016650000000000001", "333", "-99.99"},
    {"0.01665", "333", "-100"},
    {"0.016649999999999999", "333", "-100"},
    // Large and small ratios.
    {"1000000", "0.01", "9999999900"},
    {"7", "0.000003", "233333233.33"},
    {"12345678901234.5678", "0.00000001", "123456789012345677999900"},
    {"999999999999999999", "0.0000000001", "999999999999999998999999999900"},
    {"0.0001", "123456.78", "-100"},
    {"0.00015", "1", "-99.99"},
    {"0.000149999999999999", "1", "-99.99"},
    {"0.0000000001", "999999999999999999", "-100"},
};

TEST(NotifyChangePercent, MatchesPostgresql) {
    for (const auto& c : kChangeCases) {
        EXPECT_EQ(ChangePercent(Decimal::FromString(c.price), Decimal::FromString(c.prev_close)), c.percent)
            << c.price << " / " << c.prev_close;
    }
}

TEST(NotifyChangePercent, RefusesAZeroPreviousClose) {
    try {
        ChangePercent(Decimal::FromString("1"), Decimal());
        ADD_FAILURE() << "divided by zero";
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "decimal.division_by_zero");
    }
}

// Computed with psql: SELECT ((time::timestamptz) AT TIME ZONE 'UTC')::date::text
TEST(NotifyUtcTradingDate, MatchesPostgresql) {
    EXPECT_EQ(UtcTradingDate("2024-03-01T23:59:59.999999Z"), "2024-03-01");
    EXPECT_EQ(UtcTradingDate("2024-02-29T00:00:00Z"), "2024-02-29");
    EXPECT_EQ(UtcTradingDate("1999-12-31T23:00:00Z"), "1999-12-31");
    EXPECT_EQ(UtcTradingDate("2024-06-30T22:30:00-03:00"), "2024-07-01");
    EXPECT_THROW(UtcTradingDate("yesterday"), Error);
}

}  // namespace
}  // namespace nn::notify
