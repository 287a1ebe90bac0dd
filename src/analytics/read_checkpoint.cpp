#include "analytics/read_checkpoint.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "portfolio/holdings.hpp"
#include "portfolio/ledger_state.hpp"

namespace nn::analytics {
namespace json = boost::json;
using portfolio::Transaction;

namespace {

// Part of the encoding: a checkpoint of another version is not decoded (and so derived again).
constexpr std::int64_t kEncodingVersion = 1;

Date MonthEnd(Date day) {
    return Date{std::chrono::year_month_day_last(day.year(), std::chrono::month_day_last(day.month()))};
}

json::object DecimalMap(const std::map<std::string, Decimal>& m) {
    json::object o;
    for (const auto& [key, value] : m) o[key] = value.ToString();
    return o;
}

json::object TextMap(const std::map<std::string, std::string>& m) {
    json::object o;
    for (const auto& [key, value] : m) o[key] = value;
    return o;
}

bool ReadDecimalMap(const json::value& v, std::map<std::string, Decimal>& out) {
    if (!v.is_object()) return false;
    for (const auto& [key, value] : v.as_object()) {
        if (!value.is_string()) return false;
        const std::optional<Decimal> d = Decimal::Parse(value.as_string());
        if (!d) return false;
        out[std::string(key)] = *d;
    }
    return true;
}

bool ReadTextMap(const json::value& v, std::map<std::string, std::string>& out) {
    if (!v.is_object()) return false;
    for (const auto& [key, value] : v.as_object()) {
        if (!value.is_string()) return false;
        out[std::string(key)] = std::string(value.as_string());
    }
    return true;
}

std::int64_t OpenLots(const ReadCheckpoint& cp) {
    std::size_t lots = 0;
    for (const auto& [symbol, holding] : cp.ledger.holdings) lots += holding.fifo.lots.size();
    return static_cast<std::int64_t>(lots);
}

}  // namespace

Date LatestOpening(Date first) {
    return AddDays(first, -kLookbackDays - 1);
}

ReadCheckpoint EmptyCheckpoint(const portfolio::Portfolio& p) {
    ReadCheckpoint cp;
    cp.base_currency = std::string(p.currency.Code());
    cp.method = std::string(portfolio::MethodName(p.cost_basis_method));
    cp.allow_short = p.allow_short;
    return cp;
}

bool Usable(const ReadCheckpoint& cp,
            const portfolio::Portfolio& p,
            const std::map<std::string, std::string>& instrument_currency) {
    if (cp.base_currency != p.currency.Code() || cp.method != portfolio::MethodName(p.cost_basis_method) ||
        cp.allow_short != p.allow_short) {
        return false;
    }
    for (const auto& [symbol, currency] : cp.transfer_currency) {
        const auto now = instrument_currency.find(symbol);
        if ((now == instrument_currency.end() ? cp.base_currency : now->second) != currency) return false;
    }
    return true;
}

void Advance(ReadCheckpoint& cp,
             const portfolio::Portfolio& p,
             Date day,
             const std::vector<Transaction>& ordered,
             const std::map<std::string, std::string>& instrument_currency) {
    const portfolio::LedgerSettings settings{p.currency, p.cost_basis_method, p.allow_short};
    if (!cp.refused) {
        auto ledger = portfolio::Replay(ordered, settings, std::move(cp.ledger));
        if (ledger) {
            cp.ledger = std::move(ledger).Value();
        } else {
            cp.refused = ledger.Error();
            cp.ledger = portfolio::Ledger{};
        }
    }
    // Only holdings and cash are kept: a period reads the sales it made itself. Under the
    // average method nothing reads the FIFO lots (a sale without lots realizes its FIFO figures
    // against nothing, and those are not shown).
    const bool average = p.cost_basis_method == portfolio::CostBasisMethod::kAverage;
    for (auto& [symbol, holding] : cp.ledger.holdings) {
        holding.sales.clear();
        if (average) holding.fifo.lots.clear();
    }
    cp.ledger.net_deposits.clear();
    cp.ledger.interest.clear();
    for (const Transaction& tx : ordered) {
        if (tx.symbol && tx.price) cp.trade_price[*tx.symbol] = *tx.price;
        if (tx.fx_rate && tx.currency != p.currency)
            cp.trade_rate[std::string(tx.currency.Code())] = *tx.fx_rate;
    }
    AddCurrencies(cp.currencies, ordered);
    const std::vector<Movement> movements = ToMovements(ordered, p.currency);
    for (const Movement& m : movements) {
        if (!m.securities_transfer) continue;
        const auto it = instrument_currency.find(m.symbol);
        cp.transfer_currency[m.symbol] = it == instrument_currency.end() ? cp.base_currency : it->second;
    }
    AdvanceHistoryState(cp.history, movements, cp.base_currency, instrument_currency);
    cp.day = day;
    cp.transactions += static_cast<std::int64_t>(ordered.size());
}

std::vector<EncodedCheckpoint> AdvanceTo(ReadCheckpoint& cp,
                                         const portfolio::Portfolio& p,
                                         Date opening,
                                         std::vector<Transaction>& ordered,
                                         const std::map<std::string, std::string>& instrument_currency,
                                         std::int64_t spacing) {
    std::vector<EncodedCheckpoint> worth_storing;
    std::int64_t stored = cp.transactions;
    std::size_t next = 0;
    auto advance = [&](Date day) {
        std::size_t end = next;
        while (end < ordered.size() && ToDate(ordered[end].executed_at) <= day) ++end;
        const std::vector<Transaction> batch(ordered.begin() + static_cast<std::ptrdiff_t>(next),
                                             ordered.begin() + static_cast<std::ptrdiff_t>(end));
        Advance(cp, p, day, batch, instrument_currency);
        next = end;
    };
    while (next < ordered.size()) {
        const Date month_end = MonthEnd(ToDate(ordered[next].executed_at));
        if (month_end > opening) break;
        advance(month_end);
        if (cp.transactions - stored >= spacing && cp.transactions - stored >= OpenLots(cp) / 8) {
            worth_storing.push_back({*cp.day, EncodeCheckpoint(cp)});
            stored = cp.transactions;
        }
    }
    if (!cp.day || *cp.day < opening) advance(opening);
    ordered.erase(ordered.begin(), ordered.begin() + static_cast<std::ptrdiff_t>(next));
    return worth_storing;
}

std::string EncodeCheckpoint(const ReadCheckpoint& cp) {
    json::object o;
    o["v"] = kEncodingVersion;
    o["day"] = cp.day ? json::value(FormatDate(*cp.day)) : json::value(nullptr);
    o["n"] = cp.transactions;
    o["base"] = cp.base_currency;
    o["method"] = cp.method;
    o["short"] = cp.allow_short;
    o["refused"] =
        cp.refused ? json::value(json::array{json::value(cp.refused->code), json::value(cp.refused->message),
                                             json::value(cp.refused->transaction_id.ToString())})
                   : json::value(nullptr);
    json::object holdings;
    for (const auto& [symbol, holding] : cp.ledger.holdings)
        holdings[symbol] = portfolio::EncodeHolding(holding);
    o["holdings"] = std::move(holdings);
    json::object cash;
    for (const auto& [currency, balance] : cp.ledger.cash) cash[currency.Code()] = balance.ToString();
    o["cash"] = std::move(cash);
    o["trade_price"] = DecimalMap(cp.trade_price);
    o["trade_rate"] = DecimalMap(cp.trade_rate);
    o["traded"] = TextMap(cp.currencies.traded);
    o["split_only"] = TextMap(cp.currencies.split_only);
    o["transfer_currency"] = TextMap(cp.transfer_currency);
    json::object positions;
    for (const auto& [symbol, position] : cp.history.positions) {
        positions[symbol] =
            json::array{json::value(position.quantity.ToString()),
                        position.last_trade_price ? json::value(position.last_trade_price->ToString())
                                                  : json::value(nullptr)};
    }
    json::object history;
    history["positions"] = std::move(positions);
    history["cash"] = DecimalMap(cp.history.cash);
    history["trade_rate"] = DecimalMap(cp.history.last_trade_rate);
    json::array new_money;
    for (const std::string& currency : cp.history.new_money) new_money.push_back(json::value(currency));
    history["new_money"] = std::move(new_money);
    json::array gaps;
    for (const HistoryGap& gap : cp.history.gaps)
        gaps.push_back(json::array{json::value(FormatDate(gap.date)), json::value(gap.what)});
    history["gaps"] = std::move(gaps);
    o["history"] = std::move(history);
    return json::serialize(o);
}

std::optional<ReadCheckpoint> DecodeCheckpoint(std::string_view text) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(text, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    const json::object& o = parsed.as_object();
    ReadCheckpoint cp;
    try {
        if (o.at("v").as_int64() != kEncodingVersion) return std::nullopt;
        if (!o.at("day").is_null()) cp.day = DateFromString(o.at("day").as_string());
        cp.transactions = o.at("n").as_int64();
        cp.base_currency = std::string(o.at("base").as_string());
        cp.method = std::string(o.at("method").as_string());
        cp.allow_short = o.at("short").as_bool();
        if (!o.at("refused").is_null()) {
            const json::array& r = o.at("refused").as_array();
            const std::optional<TransactionId> tx = TransactionId::Parse(r.at(2).as_string());
            if (!tx) return std::nullopt;
            cp.refused = portfolio::LedgerError{std::string(r.at(0).as_string()),
                                                std::string(r.at(1).as_string()), *tx};
        }
        for (const auto& [symbol, encoded] : o.at("holdings").as_object()) {
            std::optional<portfolio::Holding> h =
                portfolio::DecodeHolding(encoded.as_string(), std::string(symbol));
            if (!h) return std::nullopt;
            cp.ledger.holdings.emplace(std::string(symbol), std::move(*h));
        }
        std::map<std::string, Decimal> cash;
        if (!ReadDecimalMap(o.at("cash"), cash)) return std::nullopt;
        for (const auto& [currency, balance] : cash) cp.ledger.cash[Currency::FromCode(currency)] = balance;
        if (!ReadDecimalMap(o.at("trade_price"), cp.trade_price) ||
            !ReadDecimalMap(o.at("trade_rate"), cp.trade_rate) ||
            !ReadTextMap(o.at("traded"), cp.currencies.traded) ||
            !ReadTextMap(o.at("split_only"), cp.currencies.split_only) ||
            !ReadTextMap(o.at("transfer_currency"), cp.transfer_currency)) {
            return std::nullopt;
        }
        const json::object& history = o.at("history").as_object();
        for (const auto& [symbol, position] : history.at("positions").as_object()) {
            const json::array& pair = position.as_array();
            HistoryPosition hp;
            hp.quantity = Decimal::FromString(pair.at(0).as_string());
            if (!pair.at(1).is_null()) hp.last_trade_price = Decimal::FromString(pair.at(1).as_string());
            cp.history.positions.emplace(std::string(symbol), hp);
        }
        if (!ReadDecimalMap(history.at("cash"), cp.history.cash) ||
            !ReadDecimalMap(history.at("trade_rate"), cp.history.last_trade_rate)) {
            return std::nullopt;
        }
        for (const json::value& currency : history.at("new_money").as_array()) {
            cp.history.new_money.insert(std::string(currency.as_string()));
        }
        for (const json::value& gap : history.at("gaps").as_array()) {
            cp.history.gaps.push_back({DateFromString(gap.as_array().at(0).as_string()),
                                       std::string(gap.as_array().at(1).as_string())});
        }
    } catch (const std::exception&) {
        return std::nullopt;  // a missing member, a wrong type, a malformed date or amount
    }
    return cp;
}

}  // namespace nn::analytics
