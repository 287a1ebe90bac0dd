#include "analytics/handlers.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

#include <fmt/format.h>

#include <boost/json/parse.hpp>

#include "analytics/allocation.hpp"
#include "auth/acting.hpp"
#include "auth/principal.hpp"
#include "auth/user_directory.hpp"
#include "core/error.hpp"
#include "infra/http/http_error.hpp"
#include "infra/http/json.hpp"

namespace nn::analytics {
namespace asio = boost::asio;
using http::Request;
using http::Response;
namespace js = http::schema;

namespace {

// The schemas of json_io.cpp's ToJson(PerformanceReport), AllocationService::Allocation,
// ToJson(StoredReport) and PerformanceService::StoreHistoryRange.
http::Schema PerformanceSchema() {
    auto ratio = js::Number().Nullable().Describe("a ratio (0.05 = 5%); null when undefined");
    auto money = js::Decimal();
    auto drawdown = js::Object({{"depth", js::Number()},
                                {"peak", js::Date()},
                                {"trough", js::Date()},
                                {"duration_days", js::Integer(0)},
                                {"recovery", js::Date().Nullable()},
                                {"recovery_days", js::Integer(0).Nullable()}});
    auto benchmark = js::Object({{"symbol", js::Ref("Symbol")},
                                 {"return", ratio},
                                 {"annualized", ratio},
                                 {"excess_return", ratio},
                                 {"beta", js::Number().Nullable()},
                                 {"correlation", js::Number().Nullable()},
                                 {"tracking_error", ratio},
                                 {"information_ratio", js::Number().Nullable()},
                                 {"observations", js::Integer(0)}});
    return js::Object(
        {{"portfolio_id", js::Uuid()},
         {"currency", js::Ref("Currency")},
         {"range", js::String().Nullable()},
         {"from", js::Date()},
         {"to", js::Date()},
         {"days", js::Integer(0)},
         {"years", js::Number()},
         {"returns", js::Object({{"time_weighted", js::Number()},
                                 {"time_weighted_annualized", ratio},
                                 {"money_weighted", ratio},
                                 {"money_weighted_annualized", ratio},
                                 {"money_weighted_unavailable_reason", js::String().Nullable()},
                                 {"modified_dietz", ratio},
                                 {"simple", ratio}})},
         {"gain", js::Object({{"opening_value", money},
                              {"closing_value", money},
                              {"inflows", money},
                              {"outflows", money},
                              {"total", money},
                              {"capital", money},
                              {"income", money},
                              {"currency", money}})},
         {"risk",
          js::Object({{"observations", js::Integer(0)},
                      {"risk_free_rate", js::Number()},
                      {"volatility", ratio},
                      {"downside_deviation", ratio},
                      {"sharpe_ratio", js::Number().Nullable()},
                      {"sortino_ratio", js::Number().Nullable()},
                      {"var_95", js::Number().Nullable().Describe("historical one-day value at risk at 95%")},
                      {"max_drawdown", drawdown.Nullable()}})},
         {"benchmark", benchmark.Nullable()},
         {"series", js::Array(js::Object({{"date", js::Date()},
                                          {"value", money},
                                          {"time_weighted_return", js::Number()},
                                          {"benchmark_return", js::Number().Nullable()}}))},
         {"data_gaps", js::Array(js::Object({{"date", js::Date()}, {"what", js::String()}}))},
         {"history_source", js::Enum({"stored", "rebuilt"})},
         {"definitions", js::String()}});
}

http::Schema AllocationSchema() {
    auto group = js::Object(
        {{"key", js::String().Nullable()}, {"value", js::Decimal()}, {"weight", js::Decimal().Nullable()}});
    return js::Object(
        {{"portfolio_id", js::Uuid()},
         {"currency", js::Ref("Currency")},
         {"total_value", js::Decimal()},
         {"groupings", js::Map(js::Array(std::move(group)))
                           .Describe("by dimension: symbol, asset_class, sector, country, currency")},
         {"rules", js::Array(js::Object({{"id", js::Uuid()},
                                         {"dimension", js::String()},
                                         {"key", js::String()},
                                         {"target_weight", js::Decimal()},
                                         {"tolerance", js::Decimal()},
                                         {"weight", js::Decimal().Nullable()},
                                         {"drift", js::Decimal().Nullable()},
                                         {"breached", js::Boolean()}}))},
         {"unvalued", js::Array(js::Object({{"symbol", js::Ref("Symbol")},
                                            {"reason", js::Enum({"missing_price", "missing_rate"})}}))},
         {"unvalued_cash", js::Array(js::Ref("Currency"))},
         {"unknown_instruments", js::Array(js::Ref("Symbol"))},
         {"instruments_status", js::Enum({"ok", "unavailable"})},
         {"complete", js::Boolean()}});
}

std::vector<http::Field> ReportFields() {
    return {{"id", js::Uuid()},
            {"portfolio_id", js::Uuid()},
            {"period", js::Enum({"monthly", "annual"})},
            {"report_type", js::Enum({"MONTHLY", "ANNUAL"})},
            {"period_start", js::Date()},
            {"period_end", js::Date()},
            {"currency", js::Ref("Currency")},
            {"status", js::String()},
            {"created_at", js::DateTime()},
            {"generated_at", js::DateTime().Nullable()}};
}

constexpr std::string_view kRead = "portfolio:read";
constexpr std::string_view kAnalyticsRead = "analytics:read";
// Generating a statement writes it (analytics.reports).
constexpr std::string_view kWrite = "portfolio:write";

[[noreturn]] void Invalid(std::string_view code, const std::string& message) {
    throw Error(ErrorKind::kUnprocessable, std::string(code), message);
}

// Every analytics route reads analytics (analytics:read) of a portfolio (`scope`).
asio::awaitable<Actor> ActorOf(const Request& req,
                               const std::shared_ptr<auth::UserDirectory>& directory,
                               std::string_view scope = kRead) {
    return auth::ActorOfRequest(req, directory, kAnalyticsRead, scope);
}

std::optional<Date> DateParam(const Request& req, std::string_view name) {
    const std::optional<std::string_view> raw = req.Query().Get(name);
    if (!raw) {
        return std::nullopt;
    }
    const std::optional<Date> date = ParseDate(*raw);
    if (!date) {
        Invalid("analytics.invalid_date", fmt::format("{} must be a date YYYY-MM-DD", name));
    }
    return date;
}

PerformanceQuery ParseQuery(const Request& req) {
    PerformanceQuery q;
    const http::QueryParams& params = req.Query();
    if (const auto range = params.Get("range")) {
        q.range = std::string(*range);
    }
    q.from = DateParam(req, "from");
    q.to = DateParam(req, "to");
    if (q.range && (q.from || q.to)) {
        Invalid("analytics.invalid_range", "give either range or from/to, not both");
    }
    if (const auto benchmark = params.Get("benchmark")) {
        static const std::regex kSymbol("^[A-Za-z0-9^.=_:-]{1,32}$");
        if (!std::regex_match(benchmark->begin(), benchmark->end(), kSymbol)) {
            Invalid("analytics.invalid_benchmark", "benchmark must be a symbol of 1 to 32 characters");
        }
        q.benchmark = std::string(*benchmark);
    }
    if (const auto rate = params.Get("risk_free_rate")) {
        double value = 0.0;
        const auto [end, ec] = std::from_chars(rate->data(), rate->data() + rate->size(), value);
        if (ec != std::errc() || end != rate->data() + rate->size() || !(value >= 0.0 && value <= 1.0)) {
            Invalid("analytics.invalid_risk_free_rate",
                    "risk_free_rate must be a number from 0 to 1 (0.03 = 3%)");
        }
        q.risk_free_rate = value;
    }
    return q;
}

PortfolioId PortfolioParam(const Request& req) {
    const auto id = PortfolioId::Parse(req.PathParam("id"));
    if (!id) {
        throw Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
    }
    return *id;
}

// by=symbol,currency (comma-separated, any order) or absent for every grouping; reported in
// kAllocationDimensions order.
std::vector<std::string> ParseDimensions(const Request& req) {
    std::vector<std::string> out;
    const std::optional<std::string_view> raw = req.Query().Get("by");
    std::vector<bool> wanted(kAllocationDimensions.size(), !raw.has_value());
    if (raw) {
        std::string_view rest = *raw;
        for (;;) {
            const std::size_t comma = rest.find(',');
            const std::string_view item = rest.substr(0, comma);
            const auto* found = std::find(kAllocationDimensions.begin(), kAllocationDimensions.end(), item);
            if (found == kAllocationDimensions.end()) {
                Invalid("analytics.invalid_dimension",
                        "by must be symbol, asset_class, sector, country or currency (comma-separated)");
            }
            wanted[static_cast<std::size_t>(found - kAllocationDimensions.begin())] = true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    for (std::size_t i = 0; i < kAllocationDimensions.size(); ++i) {
        if (wanted[i]) out.emplace_back(kAllocationDimensions[i]);
    }
    return out;
}

// {period: "monthly"|"annual", year, month (monthly only)}.
StatementPeriod ParsePeriod(const Request& req) {
    const boost::json::object body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    const std::string period = in.Enum("period", {"monthly", "annual"});
    const std::int64_t year = in.Int("year", {.min = 1970, .max = 9999});
    const std::optional<std::int64_t> month = in.OptionalInt("month", {.min = 1, .max = 12});
    if (period == "monthly" && !month && in.Ok()) {
        in.AddError("month", "required", "a monthly statement needs month (1-12)");
    }
    if (period == "annual" && month) {
        in.AddError("month", "not_allowed", "an annual statement covers the whole year: no month");
    }
    in.AllowOnly({"period", "year", "month"});
    in.Finish();
    return period == "monthly" ? MonthlyPeriod(static_cast<int>(year), static_cast<int>(*month))
                               : AnnualPeriod(static_cast<int>(year));
}

// ?format=json|csv wins over Accept (text/csv); JSON otherwise.
bool WantsCsv(const Request& req) {
    if (const auto format = req.Query().Get("format")) {
        if (*format == "csv") return true;
        if (*format == "json") return false;
        Invalid("analytics.invalid_format", "format must be json or csv");
    }
    return req.Header("Accept").find("text/csv") != std::string_view::npos;
}

struct Context {
    Services services;
    std::shared_ptr<auth::UserDirectory> directory;
};
using Ctx = std::shared_ptr<const Context>;

asio::awaitable<Response> GetPerformance(Ctx ctx, Request& req) {
    const Actor actor = co_await ActorOf(req, ctx->directory);
    const PortfolioId id = PortfolioParam(req);
    PerformanceQuery query = ParseQuery(req);
    co_return http::JsonResponse(
        co_await ctx->services.performance->Performance(actor, id, std::move(query), req.shard));
}

asio::awaitable<Response> GetAllocation(Ctx ctx, Request& req) {
    const Actor actor = co_await ActorOf(req, ctx->directory);
    const PortfolioId id = PortfolioParam(req);
    std::vector<std::string> dimensions = ParseDimensions(req);
    co_return http::JsonResponse(
        co_await ctx->services.allocation->Allocation(actor, id, std::move(dimensions), req.shard));
}

asio::awaitable<Response> PostReport(Ctx ctx, Request& req) {
    const Actor actor = co_await ActorOf(req, ctx->directory, kWrite);
    const PortfolioId id = PortfolioParam(req);
    const StatementPeriod period = ParsePeriod(req);
    const GeneratedReport generated = co_await ctx->services.reports->Generate(actor, id, period, req.shard);
    boost::json::object body = ToJson(generated.report);
    body["content"] = boost::json::parse(generated.content);
    co_return http::JsonResponse(body, generated.created ? 201 : 200);
}

asio::awaitable<Response> ListReports(Ctx ctx, Request& req) {
    const Actor actor = co_await ActorOf(req, ctx->directory);
    const PortfolioId id = PortfolioParam(req);
    const std::vector<StoredReport> list = co_await ctx->services.reports->List(actor, id, req.shard);
    boost::json::array items;
    for (const StoredReport& r : list) items.push_back(ToJson(r));
    boost::json::object body;
    body["items"] = std::move(items);
    body["next_cursor"] = nullptr;
    co_return http::JsonResponse(body);
}

asio::awaitable<Response> GetReport(Ctx ctx, Request& req) {
    const Actor actor = co_await ActorOf(req, ctx->directory);
    const PortfolioId id = PortfolioParam(req);
    const bool csv = WantsCsv(req);
    const std::optional<Uuid> report_id = Uuid::Parse(req.PathParam("report_id"));
    std::optional<ReportDocument> doc;
    if (report_id) doc = co_await ctx->services.reports->Get(actor, id, *report_id, req.shard);
    if (!doc) {
        throw Error(ErrorKind::kNotFound, "analytics.report_not_found", "no such report");
    }
    if (!csv) co_return Response(200, std::move(doc->json), "application/json");
    Response r(200, std::move(doc->csv), "text/csv; charset=utf-8; header=present");
    r.SetHeader("Content-Disposition",
                fmt::format("attachment; filename=\"statement-{}-{}-{}.csv\"", doc->report.type,
                            FormatDate(doc->report.period_start), id.ToString()));
    co_return r;
}

asio::awaitable<Response> PostHistoryRebuild(Ctx ctx, Request& req) {
    const Actor actor = co_await ActorOf(req, ctx->directory, kWrite);
    const PortfolioId id = PortfolioParam(req);
    const std::optional<Date> from = DateParam(req, "from");
    const std::optional<Date> to = DateParam(req, "to");
    co_return http::JsonResponse(
        co_await ctx->services.performance->StoreHistoryRange(actor, id, from, to, req.shard));
}

}  // namespace

void AddRoutes(http::Router& routes, Services services, std::shared_ptr<auth::UserDirectory> directory) {
    auto ctx = std::make_shared<const Context>(Context{std::move(services), std::move(directory)});
    routes.AddComponent("Performance", PerformanceSchema());
    routes.AddComponent("Allocation", AllocationSchema());
    routes.AddComponent("Report", js::Object(ReportFields()));
    auto with_content = ReportFields();
    with_content.emplace_back("content", js::Map({}).Describe("the statement (docs/analytics.md)"));
    auto date_query = [](std::string name, std::string text) {
        return http::QueryParam{std::move(name), js::Date(), false, std::move(text)};
    };
    routes.Get("/api/v1/portfolios/{id}/performance", http::Bind<GetPerformance>(ctx),
               {.name = "analytics.performance",
                .require_auth = true,
                .contract = {.query = {{"range", js::String(1, 8), false,
                                        "1m, 3m, 6m, ytd, 1y, 3y, 5y, max or a year"},
                                       date_query("from", "instead of range"),
                                       date_query("to", "instead of range"),
                                       {"benchmark", js::Ref("Symbol"), false, "an index symbol"},
                                       {"risk_free_rate", js::String(), false, "a number from 0 to 1"}},
                             .responses = {{200, js::Ref("Performance")}},
                             .codes = {"portfolio.not_found", "analytics.invalid_range",
                                       "analytics.invalid_date", "analytics.invalid_benchmark",
                                       "analytics.invalid_risk_free_rate", "analytics.no_history"}}});
    routes.Get("/api/v1/portfolios/{id}/allocation", http::Bind<GetAllocation>(ctx),
               {.name = "analytics.allocation",
                .require_auth = true,
                .contract = {
                    .query = {{"by", js::String(), false,
                               "comma list of symbol, asset_class, sector, country, currency (default all)"}},
                    .responses = {{200, js::Ref("Allocation")}},
                    .codes = {"portfolio.not_found", "analytics.invalid_dimension"}}});

    routes.Post(
        "/api/v1/portfolios/{id}/reports", http::Bind<PostReport>(ctx),
        {.name = "analytics.reports.generate",
         .require_auth = true,
         .expensive = true,
         .contract = {.request = js::Object({{"period", js::Enum({"monthly", "annual"})},
                                             {"year", js::Integer(1970, 9999)},
                                             js::OptNull("month", js::Integer(1, 12))}),
                      .responses = {{201, js::Object(with_content), "application/json", "generated"},
                                    {200, js::Object(with_content), "application/json", "already stored"}},
                      .codes = {"portfolio.not_found", "analytics.period_in_future"}}});
    routes.Get(
        "/api/v1/portfolios/{id}/reports", http::Bind<ListReports>(ctx),
        {.name = "analytics.reports.list",
         .require_auth = true,
         .contract = {.responses = {{200, js::Page(js::Ref("Report"))}}, .codes = {"portfolio.not_found"}}});
    routes.Get("/api/v1/portfolios/{id}/reports/{report_id}", http::Bind<GetReport>(ctx),
               {.name = "analytics.reports.get",
                .require_auth = true,
                .headers = {"Accept"},
                .contract = {.query = {{"format", js::Enum({"json", "csv"}), false,
                                        "default json, or csv when Accept asks for text/csv"}},
                             .responses = {{200, js::Map({}).Describe("the statement (docs/analytics.md)")},
                                           {200, js::String(), "text/csv", "the statement as CSV"}},
                             .codes = {"analytics.report_not_found", "analytics.invalid_format"}}});
    routes.Post("/api/v1/portfolios/{id}/history/rebuild", http::Bind<PostHistoryRebuild>(ctx),
                {.name = "analytics.history.rebuild",
                 .require_auth = true,
                 .expensive = true,
                 .contract = {
                     .query = {date_query("from", "first day (default: the first transaction)"),
                               date_query("to", "last day (default: today)")},
                     .responses = {{200, js::Object({{"portfolio_id", js::Uuid()},
                                                     {"from", js::Date()},
                                                     {"to", js::Date()},
                                                     {"days", js::Integer(0)},
                                                     {"stored_from", js::Date()},
                                                     {"stored_to", js::Date()},
                                                     {"fingerprint", js::String()}})}},
                     .codes = {"portfolio.not_found", "analytics.invalid_date", "analytics.invalid_range"}}});
}

}  // namespace nn::analytics
