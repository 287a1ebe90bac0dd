#include "portfolio/goals/handlers.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/error.hpp"
#include "infra/http/json.hpp"
#include "portfolio/request_actor.hpp"

namespace nn::portfolio {

namespace {

constexpr DecimalRules kTargetRules{.integer_digits = 18, .scale = 10, .positive = true};
constexpr DecimalRules kContributionRules{.integer_digits = 18, .scale = 10, .positive = false};

json::object ToJson(const Goal& g) {
    json::object o;
    o["id"] = g.id.ToString();
    o["user_id"] = g.user_id.ToString();
    o["name"] = g.name;
    o["target_amount"] = g.target_amount.Normalized().ToString();
    o["currency"] = g.currency.Code();
    o["target_date"] = FormatDate(g.target_date);
    o["monthly_contribution"] = g.monthly_contribution.Normalized().ToString();
    o["notes"] = g.notes ? json::value(*g.notes) : json::value(nullptr);
    json::array ids;
    for (const auto& id : g.portfolio_ids) ids.push_back(json::value(id.ToString()));
    o["portfolio_ids"] = std::move(ids);
    o["achieved_at"] = g.achieved_at ? json::value(FormatRfc3339(*g.achieved_at)) : json::value(nullptr);
    o["created_at"] = FormatRfc3339(g.created_at);
    o["updated_at"] = FormatRfc3339(g.updated_at);
    return o;
}

json::object ToJson(const GoalView& v) {
    json::object o = ToJson(v.goal);
    json::object progress;
    progress["current_value"] = DecimalOrNull(v.current_value);
    progress["value_status"] = v.value_status;
    json::array linked;
    for (const auto& l : v.portfolios) {
        json::array missing;
        for (const auto& m : l.missing_rates) missing.push_back(json::value(m));
        linked.push_back(json::object{{"portfolio_id", l.id.ToString()},
                                      {"value", DecimalOrNull(l.value)},
                                      {"status", l.status},
                                      {"missing_rates", std::move(missing)}});
    }
    progress["portfolios"] = std::move(linked);
    const auto& p = v.progress;
    progress["percent_of_target"] = p ? json::value(p->percent_of_target.ToString()) : json::value(nullptr);
    progress["remaining"] = p ? DecimalOrNull(p->remaining) : json::value(nullptr);
    progress["reached"] = p ? json::value(p->reached) : json::value(nullptr);
    progress["contributions_left"] = p ? json::value(p->contributions_left) : json::value(nullptr);
    progress["required_annual_growth"] = p ? DecimalOrNull(p->required_annual_growth) : json::value(nullptr);
    progress["growth_status"] = p ? json::value(p->growth_status) : json::value(v.value_status);
    progress["projected_date"] =
        p && p->projected_date ? json::value(FormatDate(*p->projected_date)) : json::value(nullptr);
    progress["projection_assumes"] = "0% growth, the monthly contribution at each month's same day";
    progress["on_track"] = p && p->on_track ? json::value(*p->on_track) : json::value(nullptr);
    o["progress"] = std::move(progress);
    return o;
}

// The schemas of the two ToJson above (components Goal and GoalWithProgress).
std::vector<http::Field> GoalFields() {
    return {{"id", js::Uuid()},
            {"user_id", js::Uuid()},
            {"name", js::String(1, 100)},
            {"target_amount", js::Decimal()},
            {"currency", js::Ref("Currency")},
            {"target_date", js::Date()},
            {"monthly_contribution", js::Decimal()},
            {"notes", js::String(0, 2000).Nullable()},
            {"portfolio_ids", js::Array(js::Uuid(), 50)},
            {"achieved_at", js::DateTime().Nullable()},
            {"created_at", js::DateTime()},
            {"updated_at", js::DateTime()}};
}

http::Schema GoalWithProgressSchema() {
    auto status = js::Enum({"ok", "missing_price", "missing_rate"});
    auto progress = js::Object(
        {{"current_value", js::Decimal().Nullable()},
         {"value_status", status},
         {"portfolios",
          js::Array(js::Object({{"portfolio_id", js::Uuid()},
                                {"value", js::Decimal().Nullable()},
                                {"status", status},
                                {"missing_rates", js::Array(js::Pattern("^[A-Z]{3}/[A-Z]{3}$",
                                                                        "a currency pair FROM/TO"))}}))},
         {"percent_of_target", js::Decimal().Nullable()},
         {"remaining", js::Decimal().Nullable()},
         {"reached", js::Boolean().Nullable()},
         {"contributions_left", js::Integer(0).Nullable()},
         {"required_annual_growth", js::Decimal().Nullable()},
         {"growth_status",
          js::Enum({"ok", "target_date_passed", "unreachable", "missing_price", "missing_rate"})},
         {"projected_date", js::Date().Nullable()},
         {"projection_assumes", js::String()},
         {"on_track", js::Boolean().Nullable()}});
    auto fields = GoalFields();
    fields.emplace_back("progress", std::move(progress));
    return js::Object(fields);
}

http::Schema GoalInputSchema(bool create) {
    auto field = [create](std::string name, http::Schema s) {
        return create ? http::Field(std::move(name), std::move(s))
                      : js::OptNull(std::move(name), std::move(s));
    };
    return js::Object(
        {field("name", js::String(1, 100)), field("target_amount", js::Decimal().Describe("> 0")),
         field("currency", js::String(3, 3)), field("target_date", js::Date().Describe("after today")),
         js::OptNull("monthly_contribution", js::Decimal().Describe(">= 0")),
         js::OptNull("notes", js::String(0, 2000)), js::OptNull("portfolio_ids", js::Array(js::Uuid(), 50))});
}

std::optional<std::optional<std::string>> NullableNotes(const json::object& body, http::FieldReader& in) {
    auto it = body.find("notes");
    if (it == body.end()) return std::nullopt;
    if (it->value().is_null()) return std::optional<std::string>();
    auto v = in.OptionalString("notes", {.min_length = 0, .max_length = 2000});
    if (!v) return std::nullopt;
    return std::optional<std::string>(*v);
}

std::optional<std::vector<PortfolioId>> ReadPortfolioIds(const json::object& body, http::FieldReader& in) {
    auto it = body.find("portfolio_ids");
    if (it == body.end()) return std::nullopt;
    std::vector<PortfolioId> out;
    if (!it->value().is_array() || it->value().as_array().size() > 50) {
        in.AddError("portfolio_ids", "invalid", "an array of at most 50 portfolio ids");
        return out;
    }
    for (const auto& v : it->value().as_array()) {
        std::optional<PortfolioId> id;
        if (v.is_string()) id = PortfolioId::Parse(v.as_string());
        if (!id) {
            in.AddError("portfolio_ids", "invalid", "portfolio ids are UUID strings");
            return out;
        }
        for (const auto& seen : out) {
            if (seen == *id) {
                in.AddError("portfolio_ids", "duplicate", "a portfolio is listed twice");
                return out;
            }
        }
        out.push_back(*id);
    }
    return out;
}

// target_date: YYYY-MM-DD after today (a goal is about the future).
std::optional<Date> ReadTargetDate(http::FieldReader& in, bool required) {
    auto text =
        required ? std::optional<std::string>(in.String("target_date", {.min_length = 10, .max_length = 10}))
                 : in.OptionalString("target_date", {.min_length = 10, .max_length = 10});
    if (!text || text->empty()) return std::nullopt;
    auto date = ParseDate(*text);
    if (!date) {
        in.AddError("target_date", "invalid", "a date YYYY-MM-DD");
        return std::nullopt;
    }
    if (*date <= ToDate(Now())) {
        in.AddError("target_date", "not_future", "must be after today");
        return std::nullopt;
    }
    return date;
}

std::optional<Currency> ReadCurrency(http::FieldReader& in, bool required) {
    auto text = required
                    ? std::optional<std::string>(in.String("currency", {.min_length = 3, .max_length = 3}))
                    : in.OptionalString("currency", {.min_length = 3, .max_length = 3});
    if (!text || text->empty()) return std::nullopt;
    auto c = Currency::Parse(*text);
    if (!c) in.AddError("currency", "unknown_currency", "not an ISO 4217 currency code");
    return c;
}

Uuid GoalId(const Request& req) {
    return PathIdOr<Uuid>(req, "id", kGoalNotFound);
}

asio::awaitable<Response> ListGoals(const SubdomainRoutes<GoalService>& ctx, Request& req) {
    Actor actor = co_await ctx.Reader(req);
    json::array arr;
    for (const auto& g : co_await ctx.service->List(actor, req.shard)) arr.push_back(ToJson(g));
    co_return http::JsonResponse(json::object{{"items", std::move(arr)}, {"next_cursor", nullptr}});
}

asio::awaitable<Response> CreateGoal(const SubdomainRoutes<GoalService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    Goal draft;
    draft.user_id = write.actor.user_id;
    draft.name = in.String("name", {.min_length = 1, .max_length = 100});
    if (body.contains("target_amount")) {
        auto target = ReadDecimalField(body, in, "target_amount", kTargetRules);
        if (target.value) draft.target_amount = *target.value;
        if (target.present && !target.value && in.Ok())
            in.AddError("target_amount", "required", "a positive amount");
    } else {
        in.AddError("target_amount", "required", "a positive amount");
    }
    if (auto c = ReadCurrency(in, true)) draft.currency = *c;
    if (auto d = ReadTargetDate(in, true)) draft.target_date = *d;
    auto contribution = ReadDecimalField(body, in, "monthly_contribution", kContributionRules);
    if (contribution.value) draft.monthly_contribution = *contribution.value;
    if (auto notes = NullableNotes(body, in)) draft.notes = *notes;
    if (auto ids = ReadPortfolioIds(body, in)) draft.portfolio_ids = *ids;
    in.AllowOnly({"name", "target_amount", "currency", "target_date", "monthly_contribution", "notes",
                  "portfolio_ids"});
    in.Finish();
    Goal g = co_await ctx.service->Create(write, draft);
    Response res = http::JsonResponse(ToJson(g), 201);
    res.SetHeader("Location", "/api/v1/goals/" + g.id.ToString());
    co_return res;
}

asio::awaitable<Response> GetGoal(const SubdomainRoutes<GoalService>& ctx, Request& req) {
    Actor actor = co_await ctx.Reader(req);
    auto view = co_await ctx.service->Get(actor, GoalId(req), ToDate(Now()), req.shard);
    co_return http::JsonResponse(ToJson(view));
}

asio::awaitable<Response> UpdateGoal(const SubdomainRoutes<GoalService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto id = GoalId(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    GoalChange change;
    change.name = in.OptionalString("name", {.min_length = 1, .max_length = 100});
    auto target = ReadDecimalField(body, in, "target_amount", kTargetRules);
    if (target.present && !target.value && in.Ok())
        in.AddError("target_amount", "required", "a positive amount");
    change.target_amount = target.value;
    change.currency = ReadCurrency(in, false);
    change.target_date = ReadTargetDate(in, false);
    auto contribution = ReadDecimalField(body, in, "monthly_contribution", kContributionRules);
    if (contribution.present && !contribution.value && in.Ok())
        in.AddError("monthly_contribution", "required", "a non-negative amount");
    change.monthly_contribution = contribution.value;
    change.notes = NullableNotes(body, in);
    change.portfolio_ids = ReadPortfolioIds(body, in);
    in.AllowOnly({"name", "target_amount", "currency", "target_date", "monthly_contribution", "notes",
                  "portfolio_ids"});
    in.Finish();
    Goal g = co_await ctx.service->Update(write, id, change);
    co_return http::JsonResponse(ToJson(g));
}

asio::awaitable<Response> DeleteGoal(const SubdomainRoutes<GoalService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    co_await ctx.service->Delete(write, GoalId(req));
    co_return Response::NoContent();
}

}  // namespace

void AddGoalRoutes(http::Router& routes, SubdomainRoutes<GoalService> context) {
    auto ctx = std::make_shared<const SubdomainRoutes<GoalService>>(std::move(context));
    routes.AddComponent("Goal", js::Object(GoalFields()));
    routes.AddComponent("GoalWithProgress", GoalWithProgressSchema());

    routes.Get("/api/v1/goals", http::Bind<ListGoals>(ctx),
               {.name = "goal.list",
                .require_auth = true,
                .contract = {.responses = {{200, js::Page(js::Ref("Goal"))}}}});

    routes.Post("/api/v1/goals", http::Bind<CreateGoal>(ctx),
                {.name = "goal.create",
                 .require_auth = true,
                 .contract = {.request = GoalInputSchema(true),
                              .responses = {{201, js::Ref("Goal")}},
                              .codes = {"goal.portfolio_not_found", "goal.duplicate_portfolio",
                                        "goal.limit_reached"}}});

    routes.Get(
        "/api/v1/goals/{id}", http::Bind<GetGoal>(ctx),
        {.name = "goal.get",
         .require_auth = true,
         .contract = {.responses = {{200, js::Ref("GoalWithProgress")}}, .codes = {"goal.not_found"}}});

    routes.Patch(
        "/api/v1/goals/{id}", http::Bind<UpdateGoal>(ctx),
        {.name = "goal.update",
         .require_auth = true,
         .contract = {.request = GoalInputSchema(false),
                      .responses = {{200, js::Ref("Goal")}},
                      .codes = {"goal.not_found", "goal.portfolio_not_found", "goal.duplicate_portfolio"}}});

    routes.Delete("/api/v1/goals/{id}", http::Bind<DeleteGoal>(ctx),
                  {.name = "goal.delete",
                   .require_auth = true,
                   .contract = {.responses = {{204}}, .codes = {"goal.not_found"}}});
}

}  // namespace nn::portfolio
