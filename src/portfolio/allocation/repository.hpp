#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/allocation/model.hpp"
#include "portfolio/subdomain_rows.hpp"

namespace nn::portfolio {

// A portfolio's rules are one answer (GET .../allocation-rules) and every drift check reads them
// all: at most 200.
inline constexpr std::size_t kMaxAllocationRules = 200;

// A rule claimed for one drift evaluation, as stored when claimed.
struct DriftClaim {
    bool armed = true;
    Decimal target_weight;
    Decimal tolerance;
    UserId owner;
};

// Every SQL statement of the allocation rules (portfolio.allocation_rules; their portfolio and
// outbox rows go through the Subdomain, the drift watch's SYSTEM rows are here). Rules hang off a
// portfolio, so they are read by it rather than as SubdomainRows (subdomain_rows.hpp says how
// each statement runs). The instruments' facts are the market's (market::InstrumentDirectory,
// given to the service), not this repository's.
class AllocationRepository {
public:
    virtual ~AllocationRepository() = default;

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
