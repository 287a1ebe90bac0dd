#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nn {

// An instant in UTC at PostgreSQL's resolution (timestamptz keeps microseconds).
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;
// A calendar date without a time zone (PostgreSQL date). Valid dates only: every function
// below that returns one returns a date with ok() == true.
using Date = std::chrono::year_month_day;

// The system clock, truncated to microseconds.
Timestamp Now() noexcept;

// RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)". 'T' and 'Z' may be
// lower case (RFC 3339 §5.6); up to 9 fractional digits, truncated to microseconds. Rejects
// impossible dates (2023-02-29), hours > 23, leap seconds (":60", which std::chrono cannot hold),
// a space instead of 'T', and a missing offset.
std::optional<Timestamp> ParseRfc3339(std::string_view text) noexcept;
// Parse or throw nn::Error(kUnprocessable, "time.invalid").
Timestamp TimestampFromString(std::string_view text);
// UTC with 'Z'; the fraction is printed only when non-zero and then always as six digits:
// "2024-02-29T13:45:00Z", "2024-02-29T13:45:00.250000Z".
std::string FormatRfc3339(Timestamp t);

// "YYYY-MM-DD", years 0000-9999; rejects dates that do not exist.
std::optional<Date> ParseDate(std::string_view text) noexcept;
// Parse or throw nn::Error(kUnprocessable, "date.invalid").
Date DateFromString(std::string_view text);
std::string FormatDate(Date date);

// The UTC calendar date of an instant, and the instant a UTC day starts.
Date ToDate(Timestamp t) noexcept;
Timestamp StartOfDay(Date date) noexcept;

// to - from in days (negative when `to` is earlier).
int DaysBetween(Date from, Date to) noexcept;
Date AddDays(Date date, int days) noexcept;
// Calendar months; the day is clamped to the end of a shorter month (Jan 31 + 1 month = Feb 28/29).
Date AddMonths(Date date, int months) noexcept;
bool IsLeapYear(int year) noexcept;
int DaysInMonth(int year, int month) noexcept;
std::chrono::weekday DayOfWeek(Date date) noexcept;

// PostgreSQL's binary timestamptz is int64 microseconds and its date int32 days, both counted
// from 2000-01-01 (UTC). The extreme values mean ±infinity, which FromPg* report as nullopt,
// as they do values outside what Timestamp/Date hold. ToPg* throw "time.out_of_range" on
// values PostgreSQL cannot represent as an integer.
inline constexpr std::int64_t kPgEpochUnixMicros = 946'684'800'000'000;
inline constexpr std::int32_t kPgEpochUnixDays = 10'957;

std::int64_t ToPgMicros(Timestamp t);
std::optional<Timestamp> FromPgMicros(std::int64_t micros) noexcept;
std::int32_t ToPgDays(Date date);
std::optional<Date> FromPgDays(std::int32_t days) noexcept;

}  // namespace nn
