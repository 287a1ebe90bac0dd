#include "portfolio/value_totals.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "core/money.hpp"

namespace nn::portfolio {

ValueTotals TotalsOf(std::optional<Decimal> holdings,
                     std::string_view holdings_status,
                     const std::vector<std::pair<std::string, Decimal>>& cash,
                     const RateList& rates,
                     Currency base) {
    ValueTotals out;
    out.holdings = holdings;
    if (!holdings) out.status = std::string(holdings_status);
    std::optional<Decimal> sum = Decimal();
    for (const auto& [currency, balance] : cash) {
        if (currency == base.Code()) {
            *sum += balance;
            continue;
        }
        if (balance.IsZero()) continue;
        const Decimal* rate = nullptr;
        for (const auto& [c, r] : rates) {
            if (c == currency) rate = &r;
        }
        if (!rate) {
            out.missing_rates.push_back(currency + "/" + std::string(base.Code()));
            sum.reset();
            continue;
        }
        if (sum) *sum += Decimal::Mul(balance, *rate, kMoneyScale);
    }
    out.cash = sum;
    if (!sum && out.status == "ok") out.status = "missing_rate";
    if (out.holdings && out.cash) out.total = *out.holdings + *out.cash;
    return out;
}

namespace {
boost::json::value Text(const std::optional<Decimal>& d) {
    if (!d) return nullptr;
    return boost::json::value(d->ToNormalizedString());
}
}  // namespace

std::vector<std::pair<std::string, Decimal>> ParseBalances(std::string_view rest) {
    std::vector<std::pair<std::string, Decimal>> out;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto item = rest.substr(0, comma);
        const auto colon = item.find(':');
        out.emplace_back(std::string(item.substr(0, colon)), Decimal::FromString(item.substr(colon + 1)));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return out;
}

void PutTotals(boost::json::object& out, const ValueTotals& t) {
    out["holdings_value"] = Text(t.holdings);
    out["cash_value"] = Text(t.cash);
    out["total_value"] = Text(t.total);
    out["value_status"] = t.status;
    boost::json::array missing;
    for (const auto& m : t.missing_rates) missing.emplace_back(m);
    out["missing_rates"] = std::move(missing);
}

std::vector<http::Field> TotalsSchemaFields() {
    namespace js = http::schema;
    auto amount = js::Decimal().Nullable().Describe("null when a price or rate it needs is missing");
    return {{"holdings_value", amount},
            {"cash_value", amount},
            {"total_value", js::Decimal().Nullable().Describe("holdings_value + cash_value")},
            {"value_status", js::Enum({"ok", "missing_price", "missing_rate"})},
            {"missing_rates", js::Array(js::Pattern("^[A-Z]{3}/[A-Z]{3}$", "a currency pair FROM/TO"))}};
}

}  // namespace nn::portfolio
