#include "portfolio/json_io.hpp"
#include "portfolio/value_totals.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <regex>

namespace nn::portfolio {
namespace json = boost::json;
namespace js = http::schema;

namespace {

bool IsSymbol(const std::string& s) {
    static const std::regex kSymbol("^[A-Za-z0-9^.=_:-]{1,32}$");
    return std::regex_match(s, kSymbol);
}

// A decimal field within numeric(p, s) limits; nullopt (and an error) otherwise.
std::optional<Decimal> Amount(http::FieldReader& in,
                              const char* field,
                              const std::optional<std::string>& text,
                              int max_scale = kAmountScale,
                              int max_integer = kAmountIntegerDigits) {
    if (!text) return std::nullopt;
    auto d = Decimal::Parse(*text);
    if (!d) return std::nullopt;  // FieldReader already recorded the syntax error
    if (d->Normalized().Scale() > max_scale) {
        in.AddError(field, "too_precise",
                    fmt::format("at most {} digits after the decimal point", max_scale));
        return std::nullopt;
    }
    if (d->IntegerDigits() > max_integer) {
        in.AddError(field, "too_large",
                    fmt::format("at most {} digits before the decimal point", max_integer));
        return std::nullopt;
    }
    return d->Normalized();
}

void Put(json::object& o, const char* key, const std::optional<Decimal>& d) {
    if (d) {
        o[key] = d->ToNormalizedString();
    } else {
        o[key] = nullptr;
    }
}

// Amounts that must be positive (or not negative) wherever they appear.
void CheckSigns(http::FieldReader& in, const Transaction& t) {
    if (t.quantity && !t.quantity->IsPositive())
        in.AddError("quantity", "not_positive", "must be greater than zero");
    if (t.price && t.price->IsNegative()) in.AddError("price", "negative", "must not be negative");
    if (t.amount && !t.amount->IsPositive())
        in.AddError("amount", "not_positive", "must be greater than zero");
    if (t.fee.IsNegative()) in.AddError("fee", "negative", "must not be negative");
    if (t.fx_rate && !t.fx_rate->IsPositive())
        in.AddError("fx_rate", "not_positive", "must be greater than zero");
    if (t.split_ratio && !t.split_ratio->IsPositive()) {
        in.AddError("split_ratio", "not_positive", "must be greater than zero");
    }
}

// The fields each type needs and those it must not have.
void CheckFieldsOfType(http::FieldReader& in, const Transaction& t, const std::string& type) {
    auto need = [&](bool ok, const char* field, const char* what) {
        if (!ok) in.AddError(field, "required", fmt::format("{} {}", type, what));
    };
    auto forbid = [&](bool present, const char* field) {
        if (present) in.AddError(field, "not_allowed", fmt::format("a {} has no {}", type, field));
    };
    switch (t.type) {
        case TransactionType::kBuy:
        case TransactionType::kSell:
            need(t.symbol.has_value(), "symbol", "needs a symbol");
            need(t.quantity.has_value(), "quantity", "needs a quantity");
            need(t.price.has_value(), "price", "needs a price");
            forbid(t.amount.has_value(), "amount");
            break;
        case TransactionType::kSplit:
            need(t.symbol.has_value(), "symbol", "needs a symbol");
            need(t.split_ratio.has_value(), "split_ratio", "needs a split_ratio");
            break;
        case TransactionType::kDividend:
            need(t.symbol.has_value(), "symbol", "needs a symbol");
            need(t.amount.has_value(), "amount", "needs an amount");
            break;
        case TransactionType::kInterest:
            need(t.amount.has_value(), "amount", "needs an amount");
            break;
        case TransactionType::kFee:
            need(t.amount.has_value() || t.fee.IsPositive(), "amount", "needs an amount or a fee");
            break;
        case TransactionType::kDeposit:
        case TransactionType::kWithdrawal:
            forbid(t.symbol.has_value(), "symbol");
            need(t.amount.has_value(), "amount", "needs an amount");
            break;
        case TransactionType::kTransferIn:
        case TransactionType::kTransferOut:
            if (t.symbol) {
                need(t.quantity.has_value(), "quantity", "of securities needs a quantity");
            } else {
                need(t.amount.has_value(), "amount", "of cash needs an amount");
            }
            break;
    }
    if (t.type != TransactionType::kSplit) forbid(t.split_ratio.has_value(), "split_ratio");
}

}  // namespace

Transaction ReadTransaction(http::FieldReader& in, Timestamp now, std::chrono::seconds max_future) {
    Transaction t;
    auto type = in.Enum("type", {"BUY", "SELL", "DIVIDEND", "INTEREST", "FEE", "DEPOSIT", "WITHDRAWAL",
                                 "SPLIT", "TRANSFER_IN", "TRANSFER_OUT"});
    auto symbol = in.OptionalString("symbol", {.min_length = 1, .max_length = kMaxSymbol});
    auto quantity = Amount(in, "quantity", in.OptionalDecimal("quantity"));
    auto price = Amount(in, "price", in.OptionalDecimal("price"));
    auto amount = Amount(in, "amount", in.OptionalDecimal("amount"));
    auto fee = Amount(in, "fee", in.OptionalDecimal("fee"));
    auto fx_rate = Amount(in, "fx_rate", in.OptionalDecimal("fx_rate"), 12, 12);
    auto split_ratio = Amount(in, "split_ratio", in.OptionalDecimal("split_ratio"), 10, 10);
    auto currency = in.String("currency", {.min_length = 3, .max_length = 3});
    auto executed_at = in.Timestamp("executed_at");
    t.notes = in.OptionalString("notes", {.min_length = 0, .max_length = kMaxText});
    in.AllowOnly({"type", "symbol", "quantity", "price", "amount", "fee", "fx_rate", "split_ratio",
                  "currency", "executed_at", "notes"});

    t.type = ParseType(type).value_or(TransactionType::kBuy);
    if (symbol) {
        if (!IsSymbol(*symbol)) {
            in.AddError("symbol", "invalid", "1-32 characters of A-Z, a-z, 0-9 and ^.=_:-");
        }
        t.symbol = symbol;
    }
    if (!currency.empty()) {
        if (auto c = Currency::Parse(currency)) {
            t.currency = *c;
        } else {
            in.AddError("currency", "unknown_currency", "not an ISO 4217 currency code");
        }
    }
    if (!executed_at.empty()) {
        if (auto ts = ParseRfc3339(executed_at)) {
            t.executed_at = *ts;
            if (*ts > now + max_future)
                in.AddError("executed_at", "in_future", "a transaction cannot be in the future");
            // A day-by-day history from year 1 is 740 000 days: /performance once took 800 MB
            // and 7 s for one deposit dated 0001-01-01.
            if (*ts < kEarliestTransaction)
                in.AddError("executed_at", "too_early", "a transaction cannot be dated before 1900-01-01");
        } else {
            in.AddError("executed_at", "not_timestamp",
                        "\"executed_at\" is not a time this server can store");
        }
    }
    t.quantity = quantity;
    t.price = price;
    t.amount = amount;
    t.fee = fee.value_or(Decimal());
    t.fx_rate = fx_rate;
    t.split_ratio = split_ratio;

    CheckSigns(in, t);
    CheckFieldsOfType(in, t, type);
    return t;
}

json::object ToJson(const Transaction& t, PortfolioId portfolio) {
    json::object o;
    o["id"] = t.id.ToString();
    o["portfolio_id"] = portfolio.ToString();
    o["type"] = TypeName(t.type);
    if (t.symbol) {
        o["symbol"] = *t.symbol;
    } else {
        o["symbol"] = nullptr;
    }
    Put(o, "quantity", t.quantity);
    Put(o, "price", t.price);
    Put(o, "amount", t.amount);
    o["fee"] = t.fee.ToNormalizedString();
    o["currency"] = t.currency.Code();
    Put(o, "fx_rate", t.fx_rate);
    Put(o, "split_ratio", t.split_ratio);
    o["executed_at"] = FormatRfc3339(t.executed_at);
    if (t.notes) {
        o["notes"] = *t.notes;
    } else {
        o["notes"] = nullptr;
    }
    o["created_at"] = FormatRfc3339(t.created_at);
    return o;
}

json::object ToJson(const Portfolio& p) {
    json::object o;
    o["id"] = p.id.ToString();
    o["user_id"] = p.user_id.ToString();
    o["name"] = p.name;
    if (p.description) {
        o["description"] = *p.description;
    } else {
        o["description"] = nullptr;
    }
    o["portfolio_type"] = p.portfolio_type;
    o["currency"] = p.currency.Code();
    o["cost_basis_method"] = MethodName(p.cost_basis_method);
    o["allow_short"] = p.allow_short;
    o["min_trade_amount"] = p.min_trade_amount.ToNormalizedString();
    o["is_active"] = p.is_active;
    json::array benchmarks;
    for (const auto& b : p.benchmarks) benchmarks.push_back(json::value(b));
    o["benchmarks"] = std::move(benchmarks);
    o["created_at"] = FormatRfc3339(p.created_at);
    o["updated_at"] = FormatRfc3339(p.updated_at);
    return o;
}

json::object ToJson(const HoldingsView& v) {
    json::array holdings;
    for (const auto& h : v.holdings) {
        json::object o;
        o["symbol"] = h.row.symbol;
        o["currency"] = h.row.currency;
        o["quantity"] = h.row.quantity.ToNormalizedString();
        o["average_cost"] = h.row.average_cost.ToNormalizedString();
        o["cost_basis"] = h.row.cost_basis.ToNormalizedString();
        Put(o, "cost_basis_base", h.row.cost_basis_base);
        o["realized_pnl"] = h.row.realized_pnl.ToNormalizedString();
        o["income"] = h.row.income.ToNormalizedString();
        o["fees"] = h.row.fees.ToNormalizedString();
        Put(o, "current_price", h.row.current_price);
        Put(o, "previous_close", h.row.previous_close);
        Put(o, "market_value", h.value.market_value);
        Put(o, "unrealized_pnl", h.value.unrealized_pnl);
        Put(o, "day_change", h.value.day_change);
        Put(o, "market_value_base", h.value.market_value_base);
        Put(o, "unrealized_pnl_base", h.value.unrealized_pnl_base);
        Put(o, "price_effect_base", h.value.price_effect_base);
        Put(o, "currency_effect_base", h.value.currency_effect_base);
        Put(o, "weight", h.weight);
        o["fx_status"] = h.value.fx_status;
        holdings.push_back(std::move(o));
    }
    json::array cash;
    for (const auto& [currency, balance] : v.cash) {
        cash.push_back(json::object{{"currency", currency}, {"balance", balance.ToNormalizedString()}});
    }
    json::object out;
    out["portfolio_id"] = v.portfolio.id.ToString();
    out["currency"] = v.portfolio.currency.Code();
    out["cost_basis_method"] = MethodName(v.portfolio.cost_basis_method);
    out["holdings"] = std::move(holdings);
    out["cash"] = std::move(cash);
    PutTotals(out, v.totals);
    return out;
}

// Long on purpose: one component schema per declaration, each the shape a ToJson above writes.
void AddSchemas(http::Router& routes) {
    auto symbol = js::Pattern("^[A-Za-z0-9^.=_:-]{1,32}$", "1-32 characters of A-Z, a-z, 0-9 and ^.=_:-")
                      .Example("AAPL");
    auto currency = js::Pattern("^[A-Z]{3}$", "an ISO 4217 currency code").Example("USD");
    auto types = js::Enum({"BUY", "SELL", "DIVIDEND", "INTEREST", "FEE", "DEPOSIT", "WITHDRAWAL", "SPLIT",
                           "TRANSFER_IN", "TRANSFER_OUT"});
    routes.AddComponent("Symbol", symbol);
    routes.AddComponent("Currency", currency);
    routes.AddComponent("TransactionType", types);
    routes.AddComponent(
        "TransactionInput",
        js::Object(
            {{"type", js::Ref("TransactionType")},
             js::OptNull("symbol", js::Ref("Symbol")),
             js::OptNull("quantity",
                         js::Decimal().Describe("> 0; at most 18 integer and 10 fractional digits")),
             js::OptNull("price", js::Decimal().Describe(">= 0")),
             js::OptNull("amount", js::Decimal().Describe("> 0 (cash flows)")),
             js::OptNull("fee", js::Decimal().Describe(">= 0; default 0")),
             js::OptNull("fx_rate", js::Decimal().Describe("portfolio currency per unit of `currency`")),
             js::OptNull("split_ratio", js::Decimal().Describe("new shares per old share (SPLIT)")),
             {"currency", js::String(3, 3)},
             {"executed_at", js::DateTime()},
             js::OptNull("notes", js::String(0, 2000))})
            .Describe("BUY/SELL need symbol, quantity, price; DIVIDEND symbol and amount; INTEREST, DEPOSIT, "
                      "WITHDRAWAL amount; FEE amount or fee; SPLIT symbol and split_ratio; TRANSFER_IN/OUT "
                      "symbol and quantity, or amount (docs/portfolio.md).")
            .Example(json::object{{"type", "BUY"},
                                  {"symbol", "AAPL"},
                                  {"quantity", "10"},
                                  {"price", "187.50"},
                                  {"fee", "1.00"},
                                  {"currency", "USD"},
                                  {"executed_at", "2024-03-01T14:30:00Z"}}));
    routes.AddComponent("Transaction", js::Object({{"id", js::Uuid()},
                                                   {"portfolio_id", js::Uuid()},
                                                   {"type", js::Ref("TransactionType")},
                                                   {"symbol", js::Ref("Symbol").Nullable()},
                                                   {"quantity", js::Decimal().Nullable()},
                                                   {"price", js::Decimal().Nullable()},
                                                   {"amount", js::Decimal().Nullable()},
                                                   {"fee", js::Decimal()},
                                                   {"currency", js::Ref("Currency")},
                                                   {"fx_rate", js::Decimal().Nullable()},
                                                   {"split_ratio", js::Decimal().Nullable()},
                                                   {"executed_at", js::DateTime()},
                                                   {"notes", js::String(0, 2000).Nullable()},
                                                   {"created_at", js::DateTime()}}));
    auto portfolio_types = js::Enum({"INVESTMENT", "RETIREMENT", "SAVINGS", "TRADING", "EDUCATION", "OTHER"});
    routes.AddComponent("Portfolio", js::Object({{"id", js::Uuid()},
                                                 {"user_id", js::Uuid()},
                                                 {"name", js::String(1, 100)},
                                                 {"description", js::String(0, 2000).Nullable()},
                                                 {"portfolio_type", portfolio_types},
                                                 {"currency", js::Ref("Currency")},
                                                 {"cost_basis_method", js::Enum({"AVERAGE", "FIFO"})},
                                                 {"allow_short", js::Boolean()},
                                                 {"min_trade_amount", js::Decimal()},
                                                 {"is_active", js::Boolean()},
                                                 {"benchmarks", js::Array(js::Ref("Symbol"), 10)},
                                                 {"created_at", js::DateTime()},
                                                 {"updated_at", js::DateTime()}}));
    auto holding =
        js::Object({{"symbol", js::Ref("Symbol")},
                    {"currency", js::Ref("Currency")},
                    {"quantity", js::Decimal()},
                    {"average_cost", js::Decimal()},
                    {"cost_basis", js::Decimal()},
                    {"cost_basis_base", js::Decimal().Nullable()},
                    {"realized_pnl", js::Decimal()},
                    {"income", js::Decimal()},
                    {"fees", js::Decimal()},
                    {"current_price", js::Decimal().Nullable()},
                    {"previous_close", js::Decimal().Nullable()},
                    {"market_value", js::Decimal().Nullable()},
                    {"unrealized_pnl", js::Decimal().Nullable()},
                    {"day_change", js::Decimal().Nullable()},
                    {"market_value_base", js::Decimal().Nullable()},
                    {"unrealized_pnl_base", js::Decimal().Nullable()},
                    {"price_effect_base", js::Decimal().Nullable()},
                    {"currency_effect_base", js::Decimal().Nullable()},
                    {"weight", js::Decimal().Nullable()},
                    {"fx_status", js::Enum({"ok", "missing_price", "missing_rate", "missing_trade_rate"})}});
    routes.AddComponent("Holding", std::move(holding));
    std::vector<http::Field> holdings_view{
        {"portfolio_id", js::Uuid()},
        {"currency", js::Ref("Currency")},
        {"cost_basis_method", js::Enum({"AVERAGE", "FIFO"})},
        {"holdings", js::Array(js::Ref("Holding"))},
        {"cash", js::Array(js::Object({{"currency", js::Ref("Currency")}, {"balance", js::Decimal()}}))}};
    for (auto& f : TotalsSchemaFields()) holdings_view.push_back(std::move(f));
    routes.AddComponent("Holdings", js::Object(holdings_view));
    routes.AddComponent(
        "ImportResult",
        js::Object(
            {{"lines", js::Integer(0)},
             {"valid", js::Integer(0)},
             {"errors", js::Array(js::Object(
                            {{"line", js::Integer(0)}, {"field", js::String()}, {"message", js::String()}}))},
             {"error_count", js::Integer(0)},
             {"errors_truncated", js::Boolean()},
             {"dry_run", js::Boolean()},
             {"imported", js::Integer(0)}}));
}

}  // namespace nn::portfolio
