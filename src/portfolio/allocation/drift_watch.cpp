#include "portfolio/allocation/drift_watch.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "core/error.hpp"
#include "portfolio/allocation/service.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

asio::awaitable<DriftCheck> DriftWatch::Check(std::vector<PortfolioId> portfolios, std::size_t shard) {
    DriftCheck out;
    auto allocation = allocation_.lock();
    if (portfolios.empty() || !allocation) co_return out;
    const std::vector<PortfolioId> with_rules =
        co_await allocation->PortfoliosWithRules(std::move(portfolios), shard);
    const Actor system = Actor::System();
    for (const auto& portfolio : with_rules) {
        const Timestamp started = Now();
        std::optional<RebalanceView> view;
        std::string skipped;
        try {
            view = co_await allocation->Rebalance(system, portfolio, shard);
        } catch (const Error& e) {
            skipped = e.what();  // not valued (missing price or rate, short position): no verdict
        }
        if (!view) {
            spdlog::debug("portfolio: drift of {} not evaluated: {}", portfolio.ToString(), skipped);
            continue;
        }
        if (!view->proposal.total_value.IsPositive()) continue;
        const DriftCheck round = co_await allocation->RecordDrift(portfolio, *view, started, shard);
        out.evaluated += round.evaluated;
        out.breached += round.breached;
        out.rearmed += round.rearmed;
    }
    co_return out;
}

}  // namespace nn::portfolio
