#include "core/time.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace nn {
namespace {

using std::chrono::microseconds;

struct TimeParseCase {
    std::string input;
    std::int64_t unix_micros;
    std::string formatted;
};

TEST(Rfc3339, ParsesOffsetsAndFractions) {
    const std::vector<TimeParseCase> cases = {
        {"1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"},
        {"2024-02-29T13:45:00Z", 1709214300000000, "2024-02-29T13:45:00Z"},
        {"2024-02-29t13:45:00z", 1709214300000000, "2024-02-29T13:45:00Z"},
        {"2024-02-29T14:45:00+01:00", 1709214300000000, "2024-02-29T13:45:00Z"},
        {"2024-02-29T08:15:00-05:30", 1709214300000000, "2024-02-29T13:45:00Z"},
        {"2024-02-29T13:45:00-00:00", 1709214300000000, "2024-02-29T13:45:00Z"},
        {"2024-03-01T00:30:00+01:00", 1709249400000000, "2024-02-29T23:30:00Z"},
        {"2024-02-29T13:45:00.5Z", 1709214300500000, "2024-02-29T13:45:00.500000Z"},
        {"2024-02-29T13:45:00.123456Z", 1709214300123456, "2024-02-29T13:45:00.123456Z"},
        {"2024-02-29T13:45:00.123456789Z", 1709214300123456, "2024-02-29T13:45:00.123456Z"},  // truncated
        {"2024-02-29T13:45:00.000000Z", 1709214300000000, "2024-02-29T13:45:00Z"},
        {"2024-02-29T13:45:00.000001+00:00", 1709214300000001, "2024-02-29T13:45:00.000001Z"},
        {"1969-12-31T23:59:59.999999Z", -1, "1969-12-31T23:59:59.999999Z"},
        {"2000-01-01T00:00:00Z", 946684800000000, "2000-01-01T00:00:00Z"},
        {"9999-12-31T23:59:59Z", 253402300799000000, "9999-12-31T23:59:59Z"},
        {"0001-01-01T00:00:00Z", -62135596800000000, "0001-01-01T00:00:00Z"},
        {"2000-02-29T00:00:00Z", 951782400000000, "2000-02-29T00:00:00Z"},  // divisible by 400: leap
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.input);
        const auto t = ParseRfc3339(c.input);
        ASSERT_TRUE(t.has_value());
        EXPECT_EQ(t->time_since_epoch().count(), c.unix_micros);
        EXPECT_EQ(FormatRfc3339(*t), c.formatted);
        EXPECT_EQ(ParseRfc3339(FormatRfc3339(*t)), t);
    }
}

TEST(Rfc3339, RejectsInvalid) {
    for (const std::string bad : {
             "",
             "2023-02-29T00:00:00Z",  // not a leap year
             "1900-02-29T00:00:00Z",  // divisible by 100, not 400
             "2024-02-30T00:00:00Z",
             "2024-04-31T00:00:00Z",
             "2024-13-01T00:00:00Z",
             "2024-00-10T00:00:00Z",
             "2024-01-00T00:00:00Z",
             "2024-01-01T24:00:00Z",
             "2024-01-01T23:60:00Z",
             "2024-12-31T23:59:60Z",  // leap second
             "0000-01-01T00:00:00Z",  // year 0: PostgreSQL's 1 BC
             "2024-01-01T00:00:00",   // no offset
             "2024-01-01 00:00:00Z",  // space
             "2024-01-01T00:00Z",
             "2024-01-01T00:00:00.Z",
             "2024-01-01T00:00:00.1234567890Z",  // 10 fractional digits
             "2024-01-01T00:00:00+0100",
             "2024-01-01T00:00:00+01",
             "2024-01-01T00:00:00+24:00",
             "2024-01-01T00:00:00+01:60",
             "2024-01-01T00:00:00ZZ",
             "2024-01-01T00:00:00Z ",
             " 2024-01-01T00:00:00Z",
             "24-01-01T00:00:00Z",
             "2024-1-01T00:00:00Z",
             "2024/01/01T00:00:00Z",
             "2024-01-01",
             "+2024-01-01T00:00:00Z",
             "2024-01-01T00:00:00UTC",
         }) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(ParseRfc3339(bad).has_value());
    }
    try {
        TimestampFromString("2023-02-29T00:00:00Z");
        FAIL() << "no throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "time.invalid");
        EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
    }
}

TEST(Date, ParseAndFormat) {
    const auto leap = ParseDate("2024-02-29");
    ASSERT_TRUE(leap.has_value());
    EXPECT_EQ(FormatDate(*leap), "2024-02-29");
    EXPECT_EQ(FormatDate(*ParseDate("0001-01-01")), "0001-01-01");
    EXPECT_EQ(FormatDate(*ParseDate("9999-12-31")), "9999-12-31");
    for (const std::string bad : {"2023-02-29", "2024-02-30", "2024-1-01", "2024-01-01T00:00:00Z", "20240101",
                                  "2024-01-01 ", "", "2024-13-01", "abcd-ef-gh"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(ParseDate(bad).has_value());
    }
    EXPECT_THROW(DateFromString("2023-02-29"), Error);
}

Date Day(std::string_view text) {
    return DateFromString(text);
}

TEST(Date, Arithmetic) {
    EXPECT_EQ(DaysBetween(Day("2024-01-01"), Day("2024-12-31")), 365);
    EXPECT_EQ(DaysBetween(Day("2023-01-01"), Day("2023-12-31")), 364);
    EXPECT_EQ(DaysBetween(Day("2024-03-01"), Day("2024-02-28")), -2);
    EXPECT_EQ(FormatDate(AddDays(Day("2024-02-28"), 1)), "2024-02-29");
    EXPECT_EQ(FormatDate(AddDays(Day("2023-02-28"), 1)), "2023-03-01");
    EXPECT_EQ(FormatDate(AddDays(Day("2024-01-01"), -1)), "2023-12-31");

    const std::vector<std::tuple<std::string, int, std::string>> months = {
        {"2024-01-31", 1, "2024-02-29"},  {"2023-01-31", 1, "2023-02-28"},  {"2024-03-31", 1, "2024-04-30"},
        {"2024-03-31", -1, "2024-02-29"}, {"2024-12-15", 1, "2025-01-15"},  {"2024-01-15", -1, "2023-12-15"},
        {"2024-02-29", 12, "2025-02-28"}, {"2024-02-29", 48, "2028-02-29"}, {"2024-05-31", -15, "2023-02-28"},
        {"2024-05-10", 0, "2024-05-10"},
    };
    for (const auto& [from, n, expected] : months) {
        SCOPED_TRACE(from + " + " + std::to_string(n));
        EXPECT_EQ(FormatDate(AddMonths(Day(from), n)), expected);
    }

    EXPECT_TRUE(IsLeapYear(2024));
    EXPECT_TRUE(IsLeapYear(2000));
    EXPECT_FALSE(IsLeapYear(1900));
    EXPECT_FALSE(IsLeapYear(2023));
    EXPECT_EQ(DaysInMonth(2024, 2), 29);
    EXPECT_EQ(DaysInMonth(2023, 2), 28);
    EXPECT_EQ(DaysInMonth(2023, 4), 30);
    EXPECT_EQ(DaysInMonth(2023, 12), 31);
    EXPECT_EQ(DayOfWeek(Day("2024-02-29")), std::chrono::Thursday);
    EXPECT_EQ(DayOfWeek(Day("2000-01-01")), std::chrono::Saturday);
    EXPECT_EQ(DayOfWeek(Day("1970-01-01")), std::chrono::Thursday);
}

TEST(Date, TimestampBridge) {
    const Timestamp t = TimestampFromString("2024-02-29T23:59:59.999999Z");
    EXPECT_EQ(FormatDate(ToDate(t)), "2024-02-29");
    EXPECT_EQ(FormatDate(ToDate(t + microseconds(1))), "2024-03-01");
    EXPECT_EQ(FormatDate(ToDate(TimestampFromString("1969-12-31T23:59:59Z"))), "1969-12-31");
    EXPECT_EQ(FormatRfc3339(StartOfDay(Day("2024-02-29"))), "2024-02-29T00:00:00Z");
    const auto before = std::chrono::floor<microseconds>(std::chrono::system_clock::now());
    const Timestamp now = Now();
    const auto after = std::chrono::system_clock::now();
    EXPECT_LE(before, now);
    EXPECT_LE(now, after);
}

TEST(PgEpoch, TimestampMicros) {
    const std::vector<std::pair<std::string, std::int64_t>> cases = {
        {"2000-01-01T00:00:00Z", 0},
        {"2000-01-01T00:00:00.000001Z", 1},
        {"1999-12-31T23:59:59.999999Z", -1},
        {"1970-01-01T00:00:00Z", -946684800000000},
        {"2024-02-29T13:45:00.123456Z", 762529500123456},
    };
    for (const auto& [text, micros] : cases) {
        SCOPED_TRACE(text);
        const Timestamp t = TimestampFromString(text);
        EXPECT_EQ(ToPgMicros(t), micros);
        const auto back = FromPgMicros(micros);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, t);
    }
    // PostgreSQL's 'infinity' and '-infinity'.
    EXPECT_FALSE(FromPgMicros(INT64_MAX).has_value());
    EXPECT_FALSE(FromPgMicros(INT64_MIN).has_value());
    EXPECT_FALSE(FromPgMicros(INT64_MAX - 1).has_value());  // would overflow the Unix epoch count
    EXPECT_THROW(ToPgMicros(Timestamp(microseconds(INT64_MIN))), Error);
}

TEST(PgEpoch, DateDays) {
    EXPECT_EQ(kPgEpochUnixDays, (std::chrono::sys_days(Day("2000-01-01")) - std::chrono::sys_days()).count());
    const std::vector<std::pair<std::string, std::int32_t>> cases = {
        {"2000-01-01", 0},    {"2000-01-02", 1},      {"1999-12-31", -1},
        {"2024-02-29", 8825}, {"1970-01-01", -10957},
    };
    for (const auto& [text, days] : cases) {
        SCOPED_TRACE(text);
        EXPECT_EQ(ToPgDays(Day(text)), days);
        const auto back = FromPgDays(days);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(FormatDate(*back), text);
    }
    EXPECT_FALSE(FromPgDays(INT32_MAX).has_value());
    EXPECT_FALSE(FromPgDays(INT32_MIN).has_value());
    EXPECT_FALSE(FromPgDays(2147483000).has_value());  // beyond the years std::chrono holds
}

}  // namespace
}  // namespace nn
