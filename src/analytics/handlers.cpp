#include "analytics/handlers.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

#include <fmt/format.h>

#include <boost/json/parse.hpp>

#include "analytics/allocation.hpp"
#include "auth/principal.hpp"
#include "auth/user_directory.hpp"
#include "core/error.hpp"
#include "infra/http/http_error.hpp"
#include "infra/http/json.hpp"

namespace nn::analytics {
namespace asio = boost::asio;
using http::Request;
using http::Response;

namespace {

constexpr std::string_view kRead = "portfolio:read";
constexpr std::string_view kAnalyticsRead = "analytics:read";
// Generating a statement writes it (analytics.reports).
constexpr std::string_view kWrite = "portfolio:write";

[[noreturn]] void Invalid(std::string_view code, const std::string& message) {
    throw Error(ErrorKind::kUnprocessable, std::string(code), message);
}

asio::awaitable<portfolio::Actor> ActorOf(const Request& req,
                                          const std::shared_ptr<auth::UserDirectory>& directory,
                                          std::string_view scope = kRead) {
    const auto* p = req.PrincipalAs<auth::Principal>();
    if (!p) {
        throw http::HttpError(401, "auth.required", "authentication required");
    }
    // Every analytics route reads analytics (analytics:read) of a portfolio (`scope`).
    for (std::string_view needed : {kAnalyticsRead, scope}) {
        if (!p->Has(needed)) {
            throw Error(ErrorKind::kForbidden, "auth.insufficient_scope", fmt::format("needs {}", needed));
        }
    }
    portfolio::Actor actor;
    actor.user_id = p->user_id;
    actor.role = std::string(auth::RoleName(p->role));
    if (p->role == auth::Role::kAdvisor && directory) {
        auto grants = co_await directory->GrantsOf(p->user_id, req.shard);
        actor.read_client_ids = auth::ClientIdsSetting(grants.read);
        actor.manage_client_ids = auth::ClientIdsSetting(grants.manage);
    }
    co_return actor;
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

}  // namespace

void AddRoutes(http::Router& routes, Services services, std::shared_ptr<auth::UserDirectory> directory) {
    std::shared_ptr<PerformanceService> service = services.performance;
    routes.Get("/api/v1/portfolios/{id}/performance",
               [service, directory](Request& req) -> asio::awaitable<Response> {
                   const portfolio::Actor actor = co_await ActorOf(req, directory);
                   const PortfolioId id = PortfolioParam(req);
                   PerformanceQuery query = ParseQuery(req);
                   co_return http::JsonResponse(
                       co_await service->Performance(actor, id, std::move(query), req.shard));
               },
               {.name = "analytics.performance", .require_auth = true});
    std::shared_ptr<AllocationService> allocation = services.allocation;
    routes.Get("/api/v1/portfolios/{id}/allocation",
               [allocation, directory](Request& req) -> asio::awaitable<Response> {
                   const portfolio::Actor actor = co_await ActorOf(req, directory);
                   const PortfolioId id = PortfolioParam(req);
                   std::vector<std::string> dimensions = ParseDimensions(req);
                   co_return http::JsonResponse(
                       co_await allocation->Allocation(actor, id, std::move(dimensions), req.shard));
               },
               {.name = "analytics.allocation", .require_auth = true});

    std::shared_ptr<ReportService> reports = services.reports;
    routes.Post("/api/v1/portfolios/{id}/reports",
                [reports, directory](Request& req) -> asio::awaitable<Response> {
                    const portfolio::Actor actor = co_await ActorOf(req, directory, kWrite);
                    const PortfolioId id = PortfolioParam(req);
                    const StatementPeriod period = ParsePeriod(req);
                    const GeneratedReport generated =
                        co_await reports->Generate(actor, id, period, req.shard);
                    boost::json::object body = ToJson(generated.report);
                    body["content"] = boost::json::parse(generated.content);
                    co_return http::JsonResponse(body, generated.created ? 201 : 200);
                },
                {.name = "analytics.reports.generate", .require_auth = true, .expensive = true});
    routes.Get("/api/v1/portfolios/{id}/reports",
               [reports, directory](Request& req) -> asio::awaitable<Response> {
                   const portfolio::Actor actor = co_await ActorOf(req, directory);
                   const PortfolioId id = PortfolioParam(req);
                   const std::vector<StoredReport> list = co_await reports->List(actor, id, req.shard);
                   boost::json::array items;
                   for (const StoredReport& r : list) items.push_back(ToJson(r));
                   boost::json::object body;
                   body["items"] = std::move(items);
                   co_return http::JsonResponse(body);
               },
               {.name = "analytics.reports.list", .require_auth = true});
    routes.Get("/api/v1/portfolios/{id}/reports/{report_id}",
               [reports, directory](Request& req) -> asio::awaitable<Response> {
                   const portfolio::Actor actor = co_await ActorOf(req, directory);
                   const PortfolioId id = PortfolioParam(req);
                   const bool csv = WantsCsv(req);
                   const std::optional<Uuid> report_id = Uuid::Parse(req.PathParam("report_id"));
                   std::optional<ReportDocument> doc;
                   if (report_id) doc = co_await reports->Get(actor, id, *report_id, req.shard);
                   if (!doc) {
                       throw Error(ErrorKind::kNotFound, "analytics.report_not_found", "no such report");
                   }
                   if (!csv) co_return Response(200, std::move(doc->json), "application/json");
                   Response r(200, std::move(doc->csv), "text/csv; charset=utf-8; header=present");
                   r.SetHeader(
                       "Content-Disposition",
                       fmt::format("attachment; filename=\"statement-{}-{}-{}.csv\"", doc->report.type,
                                   FormatDate(doc->report.period_start), id.ToString()));
                   co_return r;
               },
               {.name = "analytics.reports.get", .require_auth = true});
    routes.Post(
        "/api/v1/portfolios/{id}/history/rebuild",
        [service, directory](Request& req) -> asio::awaitable<Response> {
            const portfolio::Actor actor = co_await ActorOf(req, directory, kWrite);
            const PortfolioId id = PortfolioParam(req);
            const std::optional<Date> from = DateParam(req, "from");
            const std::optional<Date> to = DateParam(req, "to");
            co_return http::JsonResponse(co_await service->StoreHistoryRange(actor, id, from, to, req.shard));
        },
        {.name = "analytics.history.rebuild", .require_auth = true, .expensive = true});
}

}  // namespace nn::analytics
