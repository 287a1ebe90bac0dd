#include "portfolio/watches.hpp"

#include <spdlog/spdlog.h>

namespace nn::portfolio {
namespace asio = boost::asio;

asio::awaitable<void> Watches::HoldingsChanged(std::vector<ChangedPortfolio> changed, std::size_t shard) {
    std::vector<PortfolioId> portfolios;
    portfolios.reserve(changed.size());
    for (const ChangedPortfolio& c : changed) portfolios.push_back(c.id);
    std::string error;
    try {
        co_await values->Publish(std::move(changed), shard);
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) spdlog::warn("portfolio: live values not published: {}", error);
    error.clear();
    try {
        co_await drift->Check(portfolios, shard);
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) spdlog::warn("portfolio: drift not evaluated: {}", error);
    error.clear();
    try {
        co_await goals->CheckPortfolios(portfolios, shard);
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) spdlog::warn("portfolio: goal milestones not evaluated: {}", error);
}

std::shared_ptr<Watches> MakeWatches(App& app,
                                     std::shared_ptr<Repository> repo,
                                     const std::shared_ptr<AllocationService>& allocation,
                                     const std::shared_ptr<GoalService>& goals,
                                     std::shared_ptr<market::RateDirectory> rates,
                                     ValueFeedOptions values) {
    auto w = std::make_shared<Watches>();
    w->drift = std::make_shared<DriftWatch>(app, allocation);
    w->goals = std::make_shared<GoalWatch>(app, goals);
    w->values = std::make_shared<ValueFeed>(app, std::move(repo), std::move(rates), std::move(values));
    return w;
}

}  // namespace nn::portfolio
