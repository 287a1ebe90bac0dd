#include "analytics/insights.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace nn::analytics {
namespace {

constexpr int kRatioScale = 6;  // the weights' precision (allocation §12)

Decimal D(std::string_view text) {
    return Decimal::FromString(text);
}

std::optional<Decimal> Share(const Decimal& part, const Decimal& whole) {
    if (!whole.IsPositive()) return std::nullopt;
    return Decimal::Div(part, whole, kRatioScale);
}

// "ok" up to `warning`, "warning" above it, "critical" above `critical` (when given).
std::string Grade(const std::optional<Decimal>& figure,
                  std::string_view warning,
                  std::optional<std::string_view> critical = std::nullopt) {
    if (!figure) return "info";
    if (critical && *figure > D(*critical)) return "critical";
    if (*figure > D(warning)) return "warning";
    return "ok";
}

std::string Percent(const std::optional<Decimal>& fraction) {
    if (!fraction) return "unknown";
    return Decimal::Mul(*fraction, Decimal::FromInt(100), 2).ToString() + " %";
}

}  // namespace

Decimal InsightsTotal(const InsightInputs& in) {
    Decimal total;
    for (const InsightPosition& p : in.positions) total += p.value;
    for (const auto& [currency, value] : in.cash) total += value;
    return total;
}

namespace {

// Concentration: the largest position and the five largest, as shares of the total value.
Insight LargestPosition(const std::vector<InsightPosition>& ranked, const Decimal& total) {
    Insight i{"concentration.largest_position",
              "ok",
              std::nullopt,
              D(kLargestPositionWarning),
              std::nullopt,
              {},
              ""};
    if (!ranked.empty()) {
        i.figure = Share(ranked.front().value, total);
        i.subjects = {ranked.front().symbol};
    } else {
        i.figure = Decimal();
    }
    i.severity = Grade(i.figure, kLargestPositionWarning, kLargestPositionCritical);
    i.detail = ranked.empty()
                   ? "no open position"
                   : fmt::format("{} is {} of the portfolio (warning above 20 %, critical above 40 %)",
                                 ranked.front().symbol, Percent(i.figure));
    return i;
}

Insight TopFive(const std::vector<InsightPosition>& ranked, const Decimal& total) {
    Insight i{"concentration.top5", "ok", std::nullopt, D(kTopFiveWarning), std::nullopt, {}, ""};
    Decimal top;
    for (std::size_t k = 0; k < ranked.size() && k < 5; ++k) {
        top += ranked[k].value;
        i.subjects.push_back(ranked[k].symbol);
    }
    i.figure = total.IsPositive() ? Share(top, total) : std::optional<Decimal>(Decimal());
    i.severity = Grade(i.figure, kTopFiveWarning);
    i.detail = fmt::format("the five largest positions are {} of the portfolio (warning above 60 %)",
                           Percent(i.figure));
    return i;
}

Insight Herfindahl(const std::vector<InsightPosition>& ranked, const Decimal& holdings) {
    // Herfindahl-Hirschman index of the positions' shares of the holdings (cash excluded):
    // 1 / HHI is the number of equal positions with the same concentration.
    Insight i{"concentration.herfindahl", "ok", std::nullopt, D(kHerfindahlWarning), std::nullopt, {}, ""};
    if (holdings.IsPositive()) {
        Decimal hhi;
        for (const InsightPosition& p : ranked) {
            const Decimal w = Decimal::Div(p.value, holdings, 12);
            hhi += Decimal::Mul(w, w, 18);
        }
        i.figure = hhi.Round(kRatioScale);
        i.detail = fmt::format(
            "the holdings are as concentrated as {} equal positions (warning above 0.25, "
            "fewer than 4)",
            Decimal::Div(Decimal::FromInt(1), hhi, 1).ToString());
    } else {
        i.detail = "no open position";
    }
    i.severity = holdings.IsPositive() ? Grade(i.figure, kHerfindahlWarning) : "ok";
    return i;
}

// Currency: the largest share of the total held in one currency other than the portfolio's.
Insight SingleCurrencyExposure(const InsightInputs& in, const Decimal& total) {
    std::map<std::string, Decimal> by_currency;
    for (const InsightPosition& p : in.positions) by_currency[p.currency] += p.value;
    for (const auto& [currency, value] : in.cash) by_currency[currency] += value;
    Insight i{"currency.single_exposure", "ok", Decimal(), D(kForeignCurrencyWarning), std::nullopt, {}, ""};
    std::string largest;
    Decimal largest_value;
    for (const auto& [currency, value] : by_currency) {
        if (currency == in.base_currency) continue;
        if (largest.empty() || value > largest_value) {
            largest = currency;
            largest_value = value;
        }
    }
    if (!largest.empty() && total.IsPositive()) {
        i.figure = Share(largest_value, total);
        i.subjects = {largest};
        i.detail =
            fmt::format("{} of the portfolio is held in {} (warning above 50 % in one foreign currency)",
                        Percent(i.figure), largest);
    } else {
        i.detail = fmt::format("everything is held in {}", in.base_currency);
    }
    i.severity = Grade(i.figure, kForeignCurrencyWarning);
    return i;
}

// Fees: the last 12 months' fees over the capital invested in the open positions.
Insight FeeRatio(const InsightInputs& in) {
    Insight i{"fees.ratio", "ok", std::nullopt, D(kFeeRatioWarning), std::nullopt, {}, ""};
    i.figure = Share(in.fees_12m, in.invested);
    i.severity = Grade(i.figure, kFeeRatioWarning, kFeeRatioCritical);
    i.detail = i.figure ? fmt::format(
                              "fees of the last 12 months ({}) are {} of the invested capital ({}) "
                              "(warning above 1 %, critical above 2 %)",
                              in.fees_12m.Normalized().ToString(), Percent(i.figure),
                              in.invested.Normalized().ToString())
                        : "nothing invested";
    if (in.fees_without_rate > 0) {
        i.detail += fmt::format("; {} fee(s) without a trade-date rate left out", in.fees_without_rate);
    }
    return i;
}

// Cash drag: the cash's share of the total, and what it gave up over the last year if it had
// earned what the holdings' prices did (value-weighted price return of the positions with a
// close a year ago, in their own currency, without dividends).
Insight CashDrag(const InsightInputs& in, const Decimal& total) {
    Decimal cash;
    for (const auto& [currency, value] : in.cash) cash += value;
    Insight i{"cash.drag", "ok", std::nullopt, D(kCashWeightWarning), std::nullopt, {}, ""};
    i.figure = total.IsPositive() ? Share(cash, total) : std::optional<Decimal>(Decimal());
    i.severity = Grade(i.figure, kCashWeightWarning);
    Decimal weighted;
    Decimal weight;
    for (const InsightPosition& p : in.positions) {
        const auto then = in.close_year_ago.find(p.symbol);
        const auto now = in.last_close.find(p.symbol);
        if (then == in.close_year_ago.end() || now == in.last_close.end() || !then->second.IsPositive())
            continue;
        weighted +=
            Decimal::Mul(p.value, Decimal::Div(now->second, then->second, 12) - Decimal::FromInt(1), 12);
        weight += p.value;
    }
    i.detail = fmt::format("cash is {} of the portfolio (warning above 10 %)", Percent(i.figure));
    if (weight.IsPositive() && i.figure) {
        const Decimal holdings_return = Decimal::Div(weighted, weight, kRatioScale);
        const Decimal effect = -Decimal::Mul(*i.figure, holdings_return, kRatioScale);
        i.effect = effect;
        i.detail += fmt::format(
            "; invested like the holdings ({} over the last year) it would have added {} "
            "to the return",
            Percent(holdings_return), Percent(-effect));
    }
    return i;
}

// Data health: positions and cash balances without a current price or exchange rate.
Insight MissingValuations(const InsightInputs& in) {
    Insight i{"data.missing_rates_or_prices", "ok", Decimal::FromInt(0), Decimal(), std::nullopt, {}, ""};
    for (const std::string& s : in.unvalued) i.subjects.push_back(s);
    for (const std::string& c : in.unvalued_cash) i.subjects.push_back(c);
    i.figure = Decimal::FromInt(static_cast<std::int64_t>(i.subjects.size()));
    i.severity = i.subjects.empty() ? "ok" : "critical";
    i.detail = i.subjects.empty() ? "every position and every cash balance is valued"
                                  : "left out of every figure above: no current price or exchange rate";
    return i;
}

// A data-health insight listing the positions whose date in `dates` is missing or more than
// `max_days` before today (figure: how many).
Insight PositionsDatedBefore(std::string rule,
                             const InsightInputs& in,
                             const std::map<std::string, Date>& dates,
                             int max_days,
                             std::string detail) {
    Insight i{std::move(rule), "ok", Decimal(), Decimal(), std::nullopt, {}, std::move(detail)};
    for (const InsightPosition& p : in.positions) {
        const auto at = dates.find(p.symbol);
        if (at == dates.end() || DaysBetween(at->second, in.today) > max_days) i.subjects.push_back(p.symbol);
    }
    i.figure = Decimal::FromInt(static_cast<std::int64_t>(i.subjects.size()));
    i.severity = i.subjects.empty() ? "ok" : "warning";
    return i;
}

Insight NoRecentPrice(const InsightInputs& in) {
    return PositionsDatedBefore(
        "data.no_recent_price", in, in.latest_price_date, kRecentPriceDays,
        fmt::format("positions whose latest price is more than {} days old (figure: how many)",
                    kRecentPriceDays));
}

Insight StaleCloses(const InsightInputs& in) {
    return PositionsDatedBefore(
        "data.stale_closes", in, in.last_close_date, kStaleCloseDays,
        fmt::format("positions whose last daily close is more than {} days old or missing "
                    "(figure: how many); their history and returns use older prices",
                    kStaleCloseDays));
}

Insight TradedAfterLastClose(const InsightInputs& in) {
    Insight i{"data.transactions_after_last_price", "ok", Decimal(), Decimal(), std::nullopt, {}, ""};
    for (const auto& [symbol, day] : in.last_transaction_date) {
        const auto close = in.last_close_date.find(symbol);
        if (close == in.last_close_date.end() || day > close->second) i.subjects.push_back(symbol);
    }
    i.figure = Decimal::FromInt(static_cast<std::int64_t>(i.subjects.size()));
    i.severity = i.subjects.empty() ? "ok" : "info";
    i.detail =
        "symbols traded after their last daily close (figure: how many): valued at the trade price "
        "until a close arrives";
    return i;
}

}  // namespace

std::vector<Insight> ComputeInsights(const InsightInputs& in) {
    const Decimal total = InsightsTotal(in);
    std::vector<InsightPosition> ranked = in.positions;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const InsightPosition& a, const InsightPosition& b) { return a.value > b.value; });
    Decimal holdings;
    for (const InsightPosition& p : ranked) holdings += p.value;
    return {
        LargestPosition(ranked, total),
        TopFive(ranked, total),
        Herfindahl(ranked, holdings),
        SingleCurrencyExposure(in, total),
        FeeRatio(in),
        CashDrag(in, total),
        MissingValuations(in),
        NoRecentPrice(in),
        StaleCloses(in),
        TradedAfterLastClose(in),
    };
}

}  // namespace nn::analytics
