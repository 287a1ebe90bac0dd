#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analytics/xirr.hpp"
#include "core/decimal.hpp"
#include "core/time.hpp"

namespace nn::analytics {

// One calendar day of a portfolio, in the portfolio's currency (docs/analytics.md §1).
//
// Flow timing convention: an inflow (deposit, transfer in) arrives at the START of its day and
// is invested during the day; an outflow (withdrawal, transfer out) leaves at the END of its
// day, after the day's price move. So a deposit made on a portfolio's first day, or a full
// withdrawal on its last day, still gets a well-defined daily return.
// Dividends and interest are income, not flows: they stay in the portfolio and are part of
// `value`.
struct DayPoint {
    Date date;
    Decimal value;      // market value at the end of the day: holdings + cash
    Decimal inflow;     // external money in during the day, >= 0
    Decimal outflow;    // external money out during the day, >= 0
    Decimal income;     // dividends and interest credited during the day (net of withholding tax)
    Decimal fx_effect;  // part of the day's change due to exchange-rate moves
};

// Splits a net external flow (as stored in portfolio_snapshots.net_flows) into the point's
// inflow (when positive) or outflow (when negative).
void SetNetFlow(DayPoint& point, const Decimal& net_flow);

// A period: the value at the end of the day before it starts, then every day of it.
// Preconditions (checked; nn::Error kUnprocessable "analytics.invalid_series" otherwise):
// `days` not empty, dates strictly ascending, values, inflows and outflows >= 0.
struct Period {
    Decimal opening_value;
    std::vector<DayPoint> days;
};

void ValidatePeriod(const Period& period);

// The return of one day: (V_t + out_t) / (V_{t-1} + in_t) - 1. `defined` is false (and value 0)
// when no capital was at work (V_{t-1} + in_t == 0); chaining treats such a day as 0.
struct DayReturn {
    Date date;
    double value = 0.0;
    bool defined = false;
};

std::vector<DayReturn> DailyReturns(const Period& period);

// Time-weighted return: prod(1 + r_t) - 1 over the daily returns.
double TimeWeightedReturn(const std::vector<DayReturn>& daily);

// Modified Dietz: (V_end - V_0 - sum F_i) / (V_0 + sum w_i F_i), F_i signed (+in, -out),
// w_i = (T - elapsed_i) / T, T = calendar days of the period, elapsed_i = days from the period's
// start to the flow (inflows at the start of their day, outflows at its end).
// nullopt when the weighted capital is <= 0.
std::optional<double> ModifiedDietz(const Period& period);

// The gain and its split, exact (money is Decimal):
// total    = V_end - V_0 - sum in + sum out   (includes income)
// income   = sum of income
// currency = sum of fx_effect
// capital  = total - income - currency
struct GainSplit {
    Decimal opening_value;
    Decimal closing_value;
    Decimal inflows;
    Decimal outflows;
    Decimal total;
    Decimal capital;
    Decimal income;
    Decimal currency;
};

GainSplit SplitGain(const Period& period);

// The currency effect of one foreign-currency position over one day, in the portfolio's
// currency: the change of its value splits exactly into
//   q (p_t - p_{t-1}) x_{t-1}   price effect (the move valued at yesterday's rate)
//   q p_t (x_t - x_{t-1})       currency effect (today's value revalued by the rate change)
// with q the quantity, p the price in the position's currency and x the rate (portfolio
// currency per unit). Returns the second term: local_value_today (= q p_t) * (x_t - x_{t-1}),
// rounded half-even to 10 places (the snapshots' numeric(28, 10)).
Decimal DayCurrencyEffect(const Decimal& local_value_today,
                          const Decimal& previous_rate,
                          const Decimal& rate);

// Simple return: total gain / (V_0 + sum in), the capital that was put at risk.
// nullopt when that capital is zero.
std::optional<double> SimpleReturn(const GainSplit& gain);

// The money-weighted return over the period: the rate m with
//   -V_0 + sum_t (out_t - in_t) (1 + m)^(-d_t / T) + V_end (1 + m)^(-1) = 0
// where T is the period's calendar days and d_t = days from the opening day (the day before the
// first day, whose close is V_0) to day t: every amount is dated on its own day, as spreadsheet
// XIRR and Portfolio Performance's IRR date them (a deposit and a withdrawal on one day cancel
// out). It is the XIRR of those rows expressed over the period rather than per year (the annual
// rate is (1 + m)^(365 / T) - 1), which keeps the solver in range for short periods whose
// annual rate would be astronomical.
Result<double, XirrFailure> MoneyWeightedReturn(const Period& period);

// Every figure of a period side by side (docs/analytics.md).
struct PeriodPerformance {
    Date first;
    Date last;
    int days = 0;        // calendar days, first and last included
    double years = 0.0;  // YearFraction(first, last)
    double time_weighted = 0.0;
    std::optional<double> time_weighted_annualised;
    std::optional<double> money_weighted;  // over the period (not annualised)
    std::optional<double> money_weighted_annualised;
    std::string money_weighted_unavailable;  // the reason when money_weighted is null
    std::optional<double> modified_dietz;
    std::optional<double> simple;
    GainSplit gain;
    std::vector<DayReturn> daily;
};

PeriodPerformance Measure(const Period& period);

}  // namespace nn::analytics
