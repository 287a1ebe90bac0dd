#include "analytics/returns.hpp"

#include <cmath>

#include "analytics/day_count.hpp"
#include "core/error.hpp"

namespace nn::analytics {
namespace {

[[noreturn]] void Invalid(const std::string& message) {
    throw Error(ErrorKind::kUnprocessable, "analytics.invalid_series", message);
}

}  // namespace

void SetNetFlow(DayPoint& point, const Decimal& net_flow) {
    point.inflow = net_flow.IsPositive() ? net_flow : Decimal();
    point.outflow = net_flow.IsNegative() ? -net_flow : Decimal();
}

void ValidatePeriod(const Period& period) {
    if (period.days.empty()) {
        Invalid("a period needs at least one day");
    }
    if (period.opening_value.IsNegative()) {
        Invalid("the opening value is negative");
    }
    for (std::size_t i = 0; i < period.days.size(); ++i) {
        const DayPoint& d = period.days[i];
        if (!d.date.ok()) {
            Invalid("invalid date");
        }
        if (i > 0 && !(period.days[i - 1].date < d.date)) {
            Invalid("dates must be strictly ascending: " + FormatDate(d.date));
        }
        if (d.value.IsNegative() || d.inflow.IsNegative() || d.outflow.IsNegative()) {
            Invalid("negative value or flow on " + FormatDate(d.date));
        }
    }
}

std::vector<DayReturn> DailyReturns(const Period& period) {
    ValidatePeriod(period);
    std::vector<DayReturn> out;
    out.reserve(period.days.size());
    Decimal previous = period.opening_value;
    for (const DayPoint& d : period.days) {
        const Decimal base = previous + d.inflow;
        DayReturn r{d.date, 0.0, false};
        if (!base.IsZero()) {
            r.value = (d.value + d.outflow).ToDouble() / base.ToDouble() - 1.0;
            r.defined = true;
        }
        out.push_back(r);
        previous = d.value;
    }
    return out;
}

double TimeWeightedReturn(const std::vector<DayReturn>& daily) {
    double growth = 1.0;
    for (const DayReturn& r : daily) {
        growth *= 1.0 + r.value;
    }
    return growth - 1.0;
}

std::optional<double> ModifiedDietz(const Period& period) {
    ValidatePeriod(period);
    const Date first = period.days.front().date;
    const double total_days = DaysBetween(first, period.days.back().date) + 1;
    double net_flows = 0.0;
    double weighted = period.opening_value.ToDouble();
    for (const DayPoint& d : period.days) {
        const double elapsed = DaysBetween(first, d.date);
        const double in = d.inflow.ToDouble();
        const double out = d.outflow.ToDouble();
        net_flows += in - out;
        weighted += in * (total_days - elapsed) / total_days;
        weighted -= out * (total_days - elapsed - 1) / total_days;
    }
    if (weighted <= 0.0) {
        return std::nullopt;
    }
    const double gain = period.days.back().value.ToDouble() - period.opening_value.ToDouble() - net_flows;
    return gain / weighted;
}

GainSplit SplitGain(const Period& period) {
    ValidatePeriod(period);
    GainSplit g;
    g.opening_value = period.opening_value;
    g.closing_value = period.days.back().value;
    for (const DayPoint& d : period.days) {
        g.inflows += d.inflow;
        g.outflows += d.outflow;
        g.income += d.income;
        g.currency += d.fx_effect;
    }
    g.total = g.closing_value - g.opening_value - g.inflows + g.outflows;
    g.capital = g.total - g.income - g.currency;
    return g;
}

Decimal DayCurrencyEffect(const Decimal& local_value_today,
                          const Decimal& previous_rate,
                          const Decimal& rate) {
    return Decimal::Mul(local_value_today, rate - previous_rate, 10);
}

std::optional<double> SimpleReturn(const GainSplit& gain) {
    const Decimal at_risk = gain.opening_value + gain.inflows;
    if (at_risk.IsZero()) {
        return std::nullopt;
    }
    return gain.total.ToDouble() / at_risk.ToDouble();
}

Result<double, XirrFailure> MoneyWeightedReturn(const Period& period) {
    ValidatePeriod(period);
    // Every amount on its own day, as spreadsheet XIRR and Portfolio Performance date them: the
    // opening value on the opening day (the close of the day before the first day), each flow on
    // the day it happened, the closing value on the last day. Times are days since the opening
    // over the period's T days.
    const Date opening = AddDays(period.days.front().date, -1);
    const double total_days = DaysBetween(opening, period.days.back().date);
    std::vector<TimedFlow> flows;
    auto add = [&flows, total_days](int day, const Decimal& amount) {
        if (!amount.IsZero()) {
            flows.push_back({day / total_days, amount.ToDouble()});
        }
    };
    add(0, -period.opening_value);
    for (const DayPoint& d : period.days) {
        const int day = DaysBetween(opening, d.date);
        add(day, d.outflow - d.inflow);
    }
    add(DaysBetween(opening, period.days.back().date), period.days.back().value);
    return SolveIrr(flows);
}

PeriodPerformance Measure(const Period& period) {
    ValidatePeriod(period);
    PeriodPerformance p;
    p.first = period.days.front().date;
    p.last = period.days.back().date;
    p.days = DaysBetween(p.first, p.last) + 1;
    p.years = YearFraction(p.first, p.last);
    p.daily = DailyReturns(period);
    p.time_weighted = TimeWeightedReturn(p.daily);
    p.time_weighted_annualised = Annualise(p.time_weighted, p.years);
    const Result<double, XirrFailure> rate = MoneyWeightedReturn(period);
    if (rate) {
        p.money_weighted = *rate;
        // The annual figure is the spreadsheet XIRR of the same flows, (1 + m)^(365 / T) - 1,
        // shown only for periods of at least a year like every annualised figure.
        if (p.years >= 1.0) {
            p.money_weighted_annualised = std::pow(1.0 + *rate, 365.0 / p.days) - 1.0;
        }
    } else {
        p.money_weighted_unavailable = Describe(rate.Error());
    }
    p.modified_dietz = ModifiedDietz(period);
    p.gain = SplitGain(period);
    p.simple = SimpleReturn(p.gain);
    return p;
}

}  // namespace nn::analytics
