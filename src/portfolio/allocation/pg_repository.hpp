#pragma once

#include "portfolio/allocation/repository.hpp"

namespace nn::portfolio {

// The allocation statements on the portfolio database.
class PgAllocationRepository final : public AllocationRepository {
public:
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
};

}  // namespace nn::portfolio
