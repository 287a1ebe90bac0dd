#include "analytics/json_io.hpp"

#include <boost/json/array.hpp>

#include "analytics/json_values.hpp"

namespace nn::analytics {
namespace json = boost::json;
namespace {

json::object ReturnsJson(const PeriodPerformance& perf) {
    json::object returns;
    returns["time_weighted"] = perf.time_weighted;
    returns["time_weighted_annualized"] = NumberJson(perf.time_weighted_annualised);
    returns["money_weighted"] = NumberJson(perf.money_weighted);
    returns["money_weighted_annualized"] = NumberJson(perf.money_weighted_annualised);
    returns["money_weighted_unavailable_reason"] =
        perf.money_weighted ? json::value(nullptr) : json::value(perf.money_weighted_unavailable);
    returns["modified_dietz"] = NumberJson(perf.modified_dietz);
    returns["simple"] = NumberJson(perf.simple);
    return returns;
}

json::object GainJson(const PeriodPerformance& perf) {
    json::object gain;
    gain["opening_value"] = MoneyJson(perf.gain.opening_value);
    gain["closing_value"] = MoneyJson(perf.gain.closing_value);
    gain["inflows"] = MoneyJson(perf.gain.inflows);
    gain["outflows"] = MoneyJson(perf.gain.outflows);
    gain["total"] = MoneyJson(perf.gain.total);
    gain["capital"] = MoneyJson(perf.gain.capital);
    gain["income"] = MoneyJson(perf.gain.income);
    gain["currency"] = MoneyJson(perf.gain.currency);
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
    d["recovery"] = DateJson(dd.recovery);
    d["recovery_days"] = dd.recovery_days ? json::value(*dd.recovery_days) : json::value(nullptr);
    return d;
}

json::object RiskJson(const PerformanceReport& report, const ReportContext& context) {
    json::object risk;
    risk["observations"] = report.risk.observations;
    risk["risk_free_rate"] = context.risk_free_rate;
    risk["volatility"] = NumberJson(report.risk.volatility);
    risk["downside_deviation"] = NumberJson(report.risk.downside_deviation);
    risk["sharpe_ratio"] = NumberJson(report.risk.sharpe);
    risk["sortino_ratio"] = NumberJson(report.risk.sortino);
    risk["var_95"] = NumberJson(report.risk.var_95);
    risk["max_drawdown"] = DrawdownJson(report.risk.max_drawdown);
    return risk;
}

json::value BenchmarkJson(const std::optional<BenchmarkFigures>& benchmark) {
    if (!benchmark) return nullptr;
    const BenchmarkFigures& b = *benchmark;
    json::object bench;
    bench["symbol"] = b.symbol;
    bench["return"] = NumberJson(b.period_return);
    bench["annualized"] = NumberJson(b.annualised);
    bench["excess_return"] = NumberJson(b.excess_return);
    bench["beta"] = NumberJson(b.relation.beta);
    bench["correlation"] = NumberJson(b.relation.correlation);
    bench["tracking_error"] = NumberJson(b.relation.tracking_error);
    bench["information_ratio"] = NumberJson(b.relation.information_ratio);
    bench["observations"] = b.relation.observations;
    return bench;
}

json::array SeriesJson(const std::vector<ChartPoint>& chart) {
    json::array series;
    for (const ChartPoint& p : chart) {
        json::object point;
        point["date"] = FormatDate(p.date);
        point["value"] = MoneyJson(p.value);
        point["time_weighted_return"] = p.time_weighted;
        point["benchmark_return"] = NumberJson(p.benchmark_return);
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
