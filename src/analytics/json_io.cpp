#include "analytics/json_io.hpp"

#include <boost/json/array.hpp>

namespace nn::analytics {
namespace json = boost::json;
namespace {

json::value Number(const std::optional<double>& value) {
    if (!value) {
        return nullptr;
    }
    return *value;
}

json::value DateOrNull(const std::optional<Date>& date) {
    if (!date) {
        return nullptr;
    }
    return json::value(FormatDate(*date));
}

json::value Money(const Decimal& amount) {
    return json::value(amount.ToNormalizedString());
}

json::object ReturnsJson(const PeriodPerformance& perf) {
    json::object returns;
    returns["time_weighted"] = perf.time_weighted;
    returns["time_weighted_annualized"] = Number(perf.time_weighted_annualised);
    returns["money_weighted"] = Number(perf.money_weighted);
    returns["money_weighted_annualized"] = Number(perf.money_weighted_annualised);
    returns["money_weighted_unavailable_reason"] =
        perf.money_weighted ? json::value(nullptr) : json::value(perf.money_weighted_unavailable);
    returns["modified_dietz"] = Number(perf.modified_dietz);
    returns["simple"] = Number(perf.simple);
    return returns;
}

json::object GainJson(const PeriodPerformance& perf) {
    json::object gain;
    gain["opening_value"] = Money(perf.gain.opening_value);
    gain["closing_value"] = Money(perf.gain.closing_value);
    gain["inflows"] = Money(perf.gain.inflows);
    gain["outflows"] = Money(perf.gain.outflows);
    gain["total"] = Money(perf.gain.total);
    gain["capital"] = Money(perf.gain.capital);
    gain["income"] = Money(perf.gain.income);
    gain["currency"] = Money(perf.gain.currency);
    return gain;
}

json::value DrawdownJson(const std::optional<Drawdown>& drawdown) {
    if (!drawdown) return nullptr;
    const Drawdown& dd = *drawdown;
    json::object d;
    d["depth"] = dd.depth;
    d["peak"] = FormatDate(dd.peak);
    d["trough"] = FormatDate(dd.trough);
    d["duration_days"] = dd.duration_days;
    d["recovery"] = DateOrNull(dd.recovery);
    d["recovery_days"] = dd.recovery_days ? json::value(*dd.recovery_days) : json::value(nullptr);
    return d;
}

json::object RiskJson(const PerformanceReport& report, const ReportContext& context) {
    json::object risk;
    risk["observations"] = report.risk.observations;
    risk["risk_free_rate"] = context.risk_free_rate;
    risk["volatility"] = Number(report.risk.volatility);
    risk["downside_deviation"] = Number(report.risk.downside_deviation);
    risk["sharpe_ratio"] = Number(report.risk.sharpe);
    risk["sortino_ratio"] = Number(report.risk.sortino);
    risk["var_95"] = Number(report.risk.var_95);
    risk["max_drawdown"] = DrawdownJson(report.risk.max_drawdown);
    return risk;
}

json::value BenchmarkJson(const std::optional<BenchmarkFigures>& benchmark) {
    if (!benchmark) return nullptr;
    const BenchmarkFigures& b = *benchmark;
    json::object bench;
    bench["symbol"] = b.symbol;
    bench["return"] = Number(b.period_return);
    bench["annualized"] = Number(b.annualised);
    bench["excess_return"] = Number(b.excess_return);
    bench["beta"] = Number(b.relation.beta);
    bench["correlation"] = Number(b.relation.correlation);
    bench["tracking_error"] = Number(b.relation.tracking_error);
    bench["information_ratio"] = Number(b.relation.information_ratio);
    bench["observations"] = b.relation.observations;
    return bench;
}

json::array SeriesJson(const std::vector<ChartPoint>& chart) {
    json::array series;
    for (const ChartPoint& p : chart) {
        json::object point;
        point["date"] = FormatDate(p.date);
        point["value"] = Money(p.value);
        point["time_weighted_return"] = p.time_weighted;
        point["benchmark_return"] = Number(p.benchmark_return);
        series.push_back(std::move(point));
    }
    return series;
}

}  // namespace

json::object ToJson(const PerformanceReport& report, const ReportContext& context) {
    const PeriodPerformance& perf = report.performance;
    json::object out;
    out["portfolio_id"] = context.portfolio_id;
    out["currency"] = context.currency;
    out["range"] = context.range ? json::value(*context.range) : json::value(nullptr);
    out["from"] = FormatDate(perf.first);
    out["to"] = FormatDate(perf.last);
    out["days"] = perf.days;
    out["years"] = perf.years;
    out["returns"] = ReturnsJson(perf);
    out["gain"] = GainJson(perf);
    out["risk"] = RiskJson(report, context);
    out["benchmark"] = BenchmarkJson(report.benchmark);
    out["series"] = SeriesJson(report.chart);
    json::array gaps;
    for (const HistoryGap& gap : context.gaps) {
        gaps.push_back(json::object{{"date", FormatDate(gap.date)}, {"what", gap.what}});
    }
    out["data_gaps"] = std::move(gaps);
    out["history_source"] = context.history_source;
    out["definitions"] = "docs/analytics.md";
    return out;
}

}  // namespace nn::analytics
