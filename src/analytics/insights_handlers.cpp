#include "analytics/insights_handlers.hpp"

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

namespace {

// The acting user as the portfolio service's RLS needs it (advisors with their grants), as the
// other analytics routes build it.
asio::awaitable<Actor> ReaderOf(const Request& req, const std::shared_ptr<auth::UserDirectory>& directory) {
    // Like every analytics route: analytics:read of a portfolio the caller may read.
    return auth::ActorOfRequest(req, directory, "analytics:read", "portfolio:read");
}

// The schema of one insight as InsightsService::Insights writes it.
http::Schema InsightSchema() {
    namespace js = http::schema;
    return js::Object({{"rule", js::String()},
                       {"severity", js::Enum({"ok", "info", "warning", "critical"})},
                       {"figure", js::Decimal().Nullable()},
                       {"threshold", js::Decimal().Nullable()},
                       js::Opt("effect", js::Decimal().Nullable()),
                       {"subjects", js::Array(js::String())},
                       {"detail", js::String()}});
}

}  // namespace

void AddInsightsRoutes(http::Router& routes,
                       std::shared_ptr<InsightsService> service,
                       std::shared_ptr<auth::UserDirectory> directory) {
    routes.Get(
        "/api/v1/portfolios/{id}/insights",
        [service, directory](Request& req) -> asio::awaitable<Response> {
            const Actor actor = co_await ReaderOf(req, directory);
            const auto id = PortfolioId::Parse(req.PathParam("id"));
            if (!id) {
                throw Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
            }
            co_return http::JsonResponse(co_await service->Insights(actor, *id, req.shard));
        },
        {.name = "analytics.insights",
         .require_auth = true,
         .contract = {
             .responses = {{200, http::schema::Object({{"portfolio_id", http::schema::Uuid()},
                                                       {"currency", http::schema::Ref("Currency")},
                                                       {"as_of", http::schema::Date()},
                                                       {"total_value", http::schema::Decimal()},
                                                       {"insights", http::schema::Array(InsightSchema())},
                                                       {"definitions", http::schema::String()}})}},
             .codes = {"portfolio.not_found"}}});
}

}  // namespace nn::analytics
