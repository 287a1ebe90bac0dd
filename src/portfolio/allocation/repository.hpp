#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/allocation/model.hpp"
#include "portfolio/model.hpp"

namespace nn::db {
class Pool;
class Transaction;
}  // namespace nn::db

namespace nn::portfolio {

// A rule claimed for one drift evaluation, as stored when claimed.
struct DriftClaim {
    bool armed = true;
    Decimal target_weight;
    Decimal tolerance;
    UserId owner;
};

// Every SQL statement of the allocation rules (portfolio.allocation_rules and their outbox
// rows). Each runs inside the transaction the service opened as the acting user (RLS decides
// what a call sees). The instruments' facts are the market's (market::InstrumentDirectory, given
// to the service), not this repository's.
class AllocationRepository {
public:
    virtual ~AllocationRepository() = default;

    // The portfolio the rules belong to; with `for_update` locked for a write. nullopt when the
    // actor cannot see it, or (for_update) may read but not write it.
    virtual boost::asio::awaitable<std::optional<Portfolio>> FindPortfolio(db::Transaction& tx,
                                                                           PortfolioId id,
                                                                           bool for_update) = 0;
    virtual boost::asio::awaitable<std::vector<StoredRule>> ListRules(db::Transaction& tx,
                                                                      PortfolioId portfolio) = 0;
    virtual boost::asio::awaitable<std::optional<StoredRule>> FindRule(db::Transaction& tx,
                                                                       PortfolioId portfolio,
                                                                       Uuid id) = 0;
    // nullopt when the portfolio has a rule on that dimension and key (the transaction is then
    // aborted).
    virtual boost::asio::awaitable<std::optional<StoredRule>> InsertRule(db::Transaction& tx,
                                                                         PortfolioId portfolio,
                                                                         UserId owner,
                                                                         const AllocationRule& rule) = 0;
    // Stores target and tolerance; a changed one re-arms the drift alert.
    virtual boost::asio::awaitable<StoredRule> UpdateRule(db::Transaction& tx,
                                                          PortfolioId portfolio,
                                                          Uuid id,
                                                          const AllocationRule& rule) = 0;
    virtual boost::asio::awaitable<void> DeleteRule(db::Transaction& tx, PortfolioId portfolio, Uuid id) = 0;
    // The targets of `dimension` in the portfolio, without rule `except`.
    virtual boost::asio::awaitable<Decimal> DimensionSum(db::Transaction& tx,
                                                         PortfolioId portfolio,
                                                         const std::string& dimension,
                                                         std::optional<Uuid> except) = 0;
    // One portfolio.outbox row (aggregate "allocation_rule") in the same transaction.
    virtual boost::asio::awaitable<void> AddEvent(db::Transaction& tx,
                                                  const Actor& actor,
                                                  UserId owner,
                                                  Uuid rule,
                                                  std::string_view event,
                                                  const std::string& payload,
                                                  const std::string& request_id) = 0;

    // The drift watch (drift_watch.hpp), run as SYSTEM:
    // the active portfolios among these that have rules;
    virtual boost::asio::awaitable<std::vector<PortfolioId>> PortfoliosWithRules(
        db::Transaction& tx, const std::vector<PortfolioId>& portfolios) = 0;
    // claims the rule for an evaluation that started at `started`; nullopt when a newer
    // evaluation got there first (the row lock serialises concurrent evaluations of a rule);
    virtual boost::asio::awaitable<std::optional<DriftClaim>> ClaimDrift(db::Transaction& tx,
                                                                         Uuid rule,
                                                                         PortfolioId portfolio,
                                                                         Timestamp started) = 0;
    // arms or disarms the rule's drift alert (disarming stamps last_drift_alert_at);
    virtual boost::asio::awaitable<void> SetDriftArmed(db::Transaction& tx, Uuid rule, bool armed) = 0;
    // the allocation.drift_breached / drift_rearmed outbox row (a SYSTEM write: no actor).
    virtual boost::asio::awaitable<void> AddDriftEvent(db::Transaction& tx,
                                                       UserId owner,
                                                       Uuid rule,
                                                       const std::string& event,
                                                       const std::string& payload) = 0;
};

}  // namespace nn::portfolio
