#include "core/time.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/error.hpp"

namespace nn {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;

// Reads `count` digits at `pos`; -1 if any is not a digit or the text is too short.
int ReadNumber(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) return -1;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return -1;
        value = value * 10 + (c - '0');
    }
    return value;
}

bool Expect(std::string_view text, std::size_t pos, char c) {
    return pos < text.size() && text[pos] == c;
}

std::optional<Date> ParseDatePrefix(std::string_view text) {
    const int year = ReadNumber(text, 0, 4);
    const int month = ReadNumber(text, 5, 2);
    const int day = ReadNumber(text, 8, 2);
    // Year 0 is PostgreSQL's 1 BC: refused, as every date before the common era.
    if (year < 1 || month < 0 || day < 0 || !Expect(text, 4, '-') || !Expect(text, 7, '-'))
        return std::nullopt;
    const Date date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                    std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok()) return std::nullopt;
    return date;
}

constexpr sys_days kPgEpoch =
    sys_days(Date{std::chrono::year(2000), std::chrono::January, std::chrono::day(1)});
// The range std::chrono::year holds.
constexpr sys_days kMinDate =
    sys_days(Date{std::chrono::year::min(), std::chrono::January, std::chrono::day(1)});
constexpr sys_days kMaxDate =
    sys_days(Date{std::chrono::year::max(), std::chrono::December, std::chrono::day(31)});

}  // namespace

Timestamp Now() noexcept {
    return std::chrono::floor<microseconds>(std::chrono::system_clock::now());
}

std::optional<Timestamp> ParseRfc3339(std::string_view text) noexcept {
    const auto date = ParseDatePrefix(text);
    if (!date || !(Expect(text, 10, 'T') || Expect(text, 10, 't'))) return std::nullopt;
    const int hour = ReadNumber(text, 11, 2);
    const int minute = ReadNumber(text, 14, 2);
    const int second = ReadNumber(text, 17, 2);
    if (hour < 0 || minute < 0 || second < 0 || !Expect(text, 13, ':') || !Expect(text, 16, ':')) {
        return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;

    std::size_t pos = 19;
    std::int64_t micros = 0;
    if (Expect(text, pos, '.')) {
        ++pos;
        const std::size_t begin = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (pos - begin < 6) micros = micros * 10 + (text[pos] - '0');
            ++pos;
        }
        const std::size_t digits = pos - begin;
        if (digits == 0 || digits > 9) return std::nullopt;
        for (std::size_t i = digits; i < 6; ++i) micros *= 10;
    }

    minutes offset{0};
    if (Expect(text, pos, 'Z') || Expect(text, pos, 'z')) {
        ++pos;
    } else if (Expect(text, pos, '+') || Expect(text, pos, '-')) {
        const bool negative = text[pos] == '-';
        const int offset_hours = ReadNumber(text, pos + 1, 2);
        const int offset_minutes = ReadNumber(text, pos + 4, 2);
        if (offset_hours < 0 || offset_minutes < 0 || !Expect(text, pos + 3, ':')) return std::nullopt;
        if (offset_hours > 23 || offset_minutes > 59) return std::nullopt;
        offset = hours(offset_hours) + minutes(offset_minutes);
        if (negative) offset = -offset;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;

    // Local time minus its offset is UTC.
    return Timestamp(sys_days(*date)) + hours(hour) + minutes(minute) + seconds(second) +
           microseconds(micros) - offset;
}

Timestamp TimestampFromString(std::string_view text) {
    if (auto t = ParseRfc3339(text)) return *t;
    throw Error(ErrorKind::kUnprocessable, "time.invalid",
                "not an RFC 3339 date-time (expected e.g. 2024-02-29T13:45:00Z)");
}

std::string FormatRfc3339(Timestamp t) {
    const sys_days day = std::chrono::floor<days>(t);
    const Date date(day);
    const std::chrono::hh_mm_ss<microseconds> time(t - Timestamp(day));
    const auto fraction = time.subseconds().count();
    if (fraction == 0) {
        return fmt::format("{}T{:02}:{:02}:{:02}Z", FormatDate(date), time.hours().count(),
                           time.minutes().count(), time.seconds().count());
    }
    return fmt::format("{}T{:02}:{:02}:{:02}.{:06}Z", FormatDate(date), time.hours().count(),
                       time.minutes().count(), time.seconds().count(), fraction);
}

std::optional<Date> ParseDate(std::string_view text) noexcept {
    if (text.size() != 10) return std::nullopt;
    return ParseDatePrefix(text);
}

Date DateFromString(std::string_view text) {
    if (auto date = ParseDate(text)) return *date;
    throw Error(ErrorKind::kUnprocessable, "date.invalid", "not a date (expected YYYY-MM-DD)");
}

std::string FormatDate(Date date) {
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

Date ToDate(Timestamp t) noexcept {
    return Date(std::chrono::floor<days>(t));
}

Timestamp StartOfDay(Date date) noexcept {
    return Timestamp(sys_days(date));
}

int DaysBetween(Date from, Date to) noexcept {
    return static_cast<int>((sys_days(to) - sys_days(from)).count());
}

Date AddDays(Date date, int count) noexcept {
    return Date(sys_days(date) + days(count));
}

Date AddMonths(Date date, int months) noexcept {
    const std::chrono::year_month target =
        std::chrono::year_month(date.year(), date.month()) + std::chrono::months(months);
    const std::chrono::day last =
        std::chrono::year_month_day_last(target.year(), std::chrono::month_day_last(target.month())).day();
    return Date(target.year(), target.month(), std::min(date.day(), last));
}

bool IsLeapYear(int year) noexcept {
    return std::chrono::year(year).is_leap();
}

int DaysInMonth(int year, int month) noexcept {
    const std::chrono::year_month_day_last last(
        std::chrono::year(year),
        std::chrono::month_day_last(std::chrono::month(static_cast<unsigned>(month))));
    return static_cast<int>(static_cast<unsigned>(last.day()));
}

std::chrono::weekday DayOfWeek(Date date) noexcept {
    return std::chrono::weekday(sys_days(date));
}

std::int64_t ToPgMicros(Timestamp t) {
    std::int64_t micros = 0;
    if (__builtin_sub_overflow(static_cast<std::int64_t>(t.time_since_epoch().count()), kPgEpochUnixMicros,
                               &micros) ||
        micros == std::numeric_limits<std::int64_t>::max() ||
        micros == std::numeric_limits<std::int64_t>::min()) {
        throw Error(ErrorKind::kUnprocessable, "time.out_of_range", "timestamp outside PostgreSQL's range");
    }
    return micros;
}

std::optional<Timestamp> FromPgMicros(std::int64_t micros) noexcept {
    std::int64_t unix_micros = 0;
    if (micros == std::numeric_limits<std::int64_t>::max() ||
        micros == std::numeric_limits<std::int64_t>::min() ||
        __builtin_add_overflow(micros, kPgEpochUnixMicros, &unix_micros)) {
        return std::nullopt;
    }
    return Timestamp(microseconds(unix_micros));
}

std::int32_t ToPgDays(Date date) {
    const auto count = (sys_days(date) - kPgEpoch).count();
    if (count <= std::numeric_limits<std::int32_t>::min() ||
        count >= std::numeric_limits<std::int32_t>::max()) {
        throw Error(ErrorKind::kUnprocessable, "time.out_of_range", "date outside PostgreSQL's range");
    }
    return static_cast<std::int32_t>(count);
}

std::optional<Date> FromPgDays(std::int32_t count) noexcept {
    if (count == std::numeric_limits<std::int32_t>::max() ||
        count == std::numeric_limits<std::int32_t>::min()) {
        return std::nullopt;
    }
    const sys_days day = kPgEpoch + days(count);
    if (day < kMinDate || day > kMaxDate) return std::nullopt;
    return Date(day);
}

}  // namespace nn
