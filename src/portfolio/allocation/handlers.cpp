#include "portfolio/allocation/handlers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/currency.hpp"
#include "core/error.hpp"
#include "infra/http/json.hpp"
#include "portfolio/request_actor.hpp"

namespace nn::portfolio {

namespace {

// numeric(9, 6) in [0, 1].
constexpr DecimalRules kWeightRules{.integer_digits = 1, .scale = 6, .positive = false};

json::object ToJson(const StoredRule& s) {
    return json::object{{"id", s.id.ToString()},
                        {"dimension", s.rule.dimension},
                        {"key", s.rule.key},
                        {"target_weight", s.rule.target_weight.ToString()},
                        {"tolerance", s.rule.tolerance.ToString()},
                        {"created_at", FormatRfc3339(s.created_at)},
                        {"updated_at", FormatRfc3339(s.updated_at)}};
}

json::array Strings(const std::vector<std::string>& items) {
    json::array out;
    for (const auto& s : items) out.push_back(json::value(s));
    return out;
}

json::object ToJson(const RebalanceView& v) {
    json::object o;
    o["portfolio_id"] = v.portfolio.ToString();
    o["currency"] = v.currency;
    o["executed"] = false;
    o["total_value"] = v.proposal.total_value.Normalized().ToString();
    o["cash_before"] = v.proposal.cash_before.Normalized().ToString();
    o["cash_after"] = v.proposal.cash_after.Normalized().ToString();
    o["min_trade_amount"] = v.min_trade_amount.Normalized().ToString();
    json::array trades;
    for (const auto& t : v.proposal.trades) {
        trades.push_back(json::object{{"symbol", t.symbol},
                                      {"side", t.side},
                                      {"quantity", t.quantity.ToString()},
                                      {"price", t.price.Normalized().ToString()},
                                      {"amount", t.amount.ToString()}});
    }
    o["trades"] = std::move(trades);
    json::array rules;
    for (std::size_t i = 0; i < v.proposal.rules.size(); ++i) {
        const auto& r = v.proposal.rules[i];
        rules.push_back(json::object{{"id", v.rule_ids[i].ToString()},
                                     {"dimension", r.rule.dimension},
                                     {"key", r.rule.key},
                                     {"target_weight", r.rule.target_weight.ToString()},
                                     {"tolerance", r.rule.tolerance.ToString()},
                                     {"weight_before", r.weight_before.ToString()},
                                     {"weight_after", r.weight_after.ToString()},
                                     {"within_before", r.within_before},
                                     {"within_after", r.within_after},
                                     {"reason", r.reason ? json::value(*r.reason) : json::value(nullptr)}});
    }
    o["rules"] = std::move(rules);
    o["instruments_status"] = v.instruments_status;
    o["unknown_instruments"] = Strings(v.unknown_instruments);
    o["unpriced"] = Strings(v.unpriced);
    return o;
}

// The schemas of the two ToJson above.
http::Schema RuleSchema() {
    return js::Object({{"id", js::Uuid()},
                       {"dimension", js::Enum({"SYMBOL", "ASSET_CLASS", "SECTOR", "CURRENCY", "COUNTRY"})},
                       {"key", js::String(1, 64)},
                       {"target_weight", js::Decimal().Describe("a fraction between 0 and 1")},
                       {"tolerance", js::Decimal()},
                       {"created_at", js::DateTime()},
                       {"updated_at", js::DateTime()}});
}

http::Schema RebalanceSchema() {
    auto symbols = js::Array(js::Ref("Symbol"));
    return js::Object({{"portfolio_id", js::Uuid()},
                       {"currency", js::Ref("Currency")},
                       {"executed", js::Boolean().Describe("always false: a proposal, nothing is traded")},
                       {"total_value", js::Decimal()},
                       {"cash_before", js::Decimal()},
                       {"cash_after", js::Decimal()},
                       {"min_trade_amount", js::Decimal()},
                       {"trades", js::Array(js::Object({{"symbol", js::Ref("Symbol")},
                                                        {"side", js::Enum({"BUY", "SELL"})},
                                                        {"quantity", js::Decimal()},
                                                        {"price", js::Decimal()},
                                                        {"amount", js::Decimal()}}))},
                       {"rules", js::Array(js::Object({{"id", js::Uuid()},
                                                       {"dimension", js::String()},
                                                       {"key", js::String()},
                                                       {"target_weight", js::Decimal()},
                                                       {"tolerance", js::Decimal()},
                                                       {"weight_before", js::Decimal()},
                                                       {"weight_after", js::Decimal()},
                                                       {"within_before", js::Boolean()},
                                                       {"within_after", js::Boolean()},
                                                       {"reason", js::String().Nullable()}}))},
                       {"instruments_status", js::Enum({"ok", "unavailable"})},
                       {"unknown_instruments", symbols},
                       {"unpriced", symbols}});
}

bool ValidKey(const std::string& dimension, const std::string& key) {
    if (dimension == "SYMBOL") return IsValidSymbol(key);
    if (dimension == "CURRENCY") return Currency::Parse(key).has_value();
    if (dimension == "COUNTRY")
        return key.size() == 2 && key[0] >= 'A' && key[0] <= 'Z' && key[1] >= 'A' && key[1] <= 'Z';
    if (dimension == "ASSET_CLASS") {
        for (const char* c :
             {"EQUITY", "ETF", "FUND", "BOND", "CRYPTO", "COMMODITY", "CASH", "INDEX", "OTHER"})
            if (key == c) return true;
        return false;
    }
    return !key.empty() && key.size() <= 64;
}

void CheckWeight(http::FieldReader& in, const char* field, const std::optional<Decimal>& d) {
    if (d && *d > Decimal::FromInt(1)) in.AddError(field, "out_of_range", "a fraction between 0 and 1");
}

PortfolioId PortfolioOf(const Request& req) {
    return PathIdOr<PortfolioId>(req, "id", kPortfolioNotFound);
}

Uuid RuleId(const Request& req) {
    return PathIdOr<Uuid>(req, "rule_id", kRuleNotFound);
}

asio::awaitable<Response> ListRules(const SubdomainRoutes<AllocationService>& ctx, Request& req) {
    Actor actor = co_await ctx.Reader(req);
    json::array arr;
    for (const auto& r : co_await ctx.service->List(actor, PortfolioOf(req), req.shard))
        arr.push_back(ToJson(r));
    co_return http::JsonResponse(json::object{{"items", std::move(arr)}, {"next_cursor", nullptr}});
}

asio::awaitable<Response> CreateRule(const SubdomainRoutes<AllocationService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto pid = PortfolioOf(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    AllocationRule rule;
    rule.dimension = in.Enum("dimension", {"SYMBOL", "ASSET_CLASS", "SECTOR", "CURRENCY", "COUNTRY"});
    rule.key = in.String("key", {.min_length = 1, .max_length = 64});
    if (!rule.dimension.empty() && !rule.key.empty() && !ValidKey(rule.dimension, rule.key)) {
        in.AddError("key", "invalid", "not a valid key for " + rule.dimension);
    }
    auto target = ReadDecimalField(body, in, "target_weight", kWeightRules);
    if (!target.present || (!target.value && in.Ok()))
        in.AddError("target_weight", "required", "a fraction between 0 and 1");
    CheckWeight(in, "target_weight", target.value);
    if (target.value) rule.target_weight = *target.value;
    auto tolerance = ReadDecimalField(body, in, "tolerance", kWeightRules);
    CheckWeight(in, "tolerance", tolerance.value);
    rule.tolerance = tolerance.value.value_or(Decimal::FromString("0.05"));
    in.AllowOnly({"dimension", "key", "target_weight", "tolerance"});
    in.Finish();
    StoredRule stored = co_await ctx.service->Create(write, pid, rule);
    co_return http::JsonResponse(ToJson(stored), 201);
}

asio::awaitable<Response> UpdateRule(const SubdomainRoutes<AllocationService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto pid = PortfolioOf(req);
    auto rid = RuleId(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    auto target = ReadDecimalField(body, in, "target_weight", kWeightRules);
    auto tolerance = ReadDecimalField(body, in, "tolerance", kWeightRules);
    CheckWeight(in, "target_weight", target.value);
    CheckWeight(in, "tolerance", tolerance.value);
    if ((target.present && !target.value) || (tolerance.present && !tolerance.value)) {
        if (in.Ok()) in.AddError("target_weight", "required", "null is not a weight");
    }
    in.AllowOnly({"target_weight", "tolerance"});
    in.Finish();
    StoredRule stored = co_await ctx.service->Update(write, pid, rid, target.value, tolerance.value);
    co_return http::JsonResponse(ToJson(stored));
}

asio::awaitable<Response> DeleteRule(const SubdomainRoutes<AllocationService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    co_await ctx.service->Delete(write, PortfolioOf(req), RuleId(req));
    co_return Response::NoContent();
}

asio::awaitable<Response> GetRebalance(const SubdomainRoutes<AllocationService>& ctx, Request& req) {
    Actor actor = co_await ctx.Reader(req);
    auto view = co_await ctx.service->Rebalance(actor, PortfolioOf(req), req.shard);
    co_return http::JsonResponse(ToJson(view));
}

}  // namespace

void AddAllocationRoutes(http::Router& routes, SubdomainRoutes<AllocationService> context) {
    auto ctx = std::make_shared<const SubdomainRoutes<AllocationService>>(std::move(context));
    routes.AddComponent("AllocationRule", RuleSchema());
    auto weight = js::Decimal().Describe("a fraction between 0 and 1, at most 6 decimals");

    routes.Get("/api/v1/portfolios/{id}/allocation-rules", http::Bind<ListRules>(ctx),
               {.name = "allocation.list",
                .require_auth = true,
                .contract = {.responses = {{200, js::Page(js::Ref("AllocationRule"))}},
                             .codes = {"portfolio.not_found"}}});

    routes.Post("/api/v1/portfolios/{id}/allocation-rules", http::Bind<CreateRule>(ctx),
                {.name = "allocation.create",
                 .require_auth = true,
                 .contract = {
                     .request = js::Object(
                         {{"dimension", js::Enum({"SYMBOL", "ASSET_CLASS", "SECTOR", "CURRENCY", "COUNTRY"})},
                          {"key", js::String(1, 64)},
                          {"target_weight", weight},
                          js::OptNull("tolerance", weight)}),
                     .responses = {{201, js::Ref("AllocationRule")}},
                     .codes = {"portfolio.not_found", "allocation.duplicate", "allocation.weights_exceed_one",
                               "allocation.limit_reached"}}});

    routes.Patch(
        "/api/v1/portfolios/{id}/allocation-rules/{rule_id}", http::Bind<UpdateRule>(ctx),
        {.name = "allocation.update",
         .require_auth = true,
         .contract = {
             .request = js::Object({js::Opt("target_weight", weight), js::Opt("tolerance", weight)}),
             .responses = {{200, js::Ref("AllocationRule")}},
             .codes = {"portfolio.not_found", "allocation.not_found", "allocation.weights_exceed_one"}}});

    routes.Delete(
        "/api/v1/portfolios/{id}/allocation-rules/{rule_id}", http::Bind<DeleteRule>(ctx),
        {.name = "allocation.delete",
         .require_auth = true,
         .contract = {.responses = {{204}}, .codes = {"portfolio.not_found", "allocation.not_found"}}});

    routes.Get("/api/v1/portfolios/{id}/rebalance", http::Bind<GetRebalance>(ctx),
               {.name = "portfolio.rebalance",
                .require_auth = true,
                .contract = {.responses = {{200, RebalanceSchema()}},
                             .codes = {"portfolio.not_found", "rebalance.missing_price",
                                       "rebalance.missing_rate", "rebalance.short_position"}}});
}

}  // namespace nn::portfolio
