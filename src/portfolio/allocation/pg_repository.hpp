#pragma once

#include <memory>

#include "portfolio/allocation/repository.hpp"
#include "portfolio/repository.hpp"

namespace nn::portfolio {

// The allocation statements on the portfolio database (and the instrument read).
class PgAllocationRepository final : public AllocationRepository {
public:
    // `core`: the portfolio repository, whose outbox statement and portfolio lookup this one uses.
    explicit PgAllocationRepository(std::shared_ptr<Repository> core) : core_(std::move(core)) {}

    boost::asio::awaitable<std::optional<Portfolio>> FindPortfolio(db::Transaction& tx,
                                                                   PortfolioId id,
                                                                   bool for_update) override;
    boost::asio::awaitable<std::vector<StoredRule>> ListRules(db::Transaction& tx,
                                                              PortfolioId portfolio) override;
    boost::asio::awaitable<std::optional<StoredRule>> FindRule(db::Transaction& tx,
                                                               PortfolioId portfolio,
                                                               Uuid id) override;
    boost::asio::awaitable<std::optional<StoredRule>> InsertRule(db::Transaction& tx,
                                                                 PortfolioId portfolio,
                                                                 UserId owner,
                                                                 const AllocationRule& rule) override;
    boost::asio::awaitable<StoredRule> UpdateRule(db::Transaction& tx,
                                                  PortfolioId portfolio,
                                                  Uuid id,
                                                  const AllocationRule& rule) override;
    boost::asio::awaitable<void> DeleteRule(db::Transaction& tx, PortfolioId portfolio, Uuid id) override;
    boost::asio::awaitable<Decimal> DimensionSum(db::Transaction& tx,
                                                 PortfolioId portfolio,
                                                 const std::string& dimension,
                                                 std::optional<Uuid> except) override;
    boost::asio::awaitable<void> AddEvent(db::Transaction& tx,
                                          const Actor& actor,
                                          UserId owner,
                                          Uuid rule,
                                          std::string_view event,
                                          const std::string& payload,
                                          const std::string& request_id) override;

    boost::asio::awaitable<std::vector<PortfolioId>> PortfoliosWithRules(
        db::Transaction& tx, const std::vector<PortfolioId>& portfolios) override;
    boost::asio::awaitable<std::optional<DriftClaim>> ClaimDrift(db::Transaction& tx,
                                                                 Uuid rule,
                                                                 PortfolioId portfolio,
                                                                 Timestamp started) override;
    boost::asio::awaitable<void> SetDriftArmed(db::Transaction& tx, Uuid rule, bool armed) override;
    boost::asio::awaitable<void> AddDriftEvent(db::Transaction& tx,
                                               UserId owner,
                                               Uuid rule,
                                               const std::string& event,
                                               const std::string& payload) override;

private:
    std::shared_ptr<Repository> core_;
};

}  // namespace nn::portfolio
