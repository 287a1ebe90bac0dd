#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/currency.hpp"
#include "core/decimal.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "portfolio/model.hpp"

// Holdings derivation: pure, deterministic functions of a portfolio's transactions
// (docs/portfolio.md "Holdings"). No I/O.
namespace nn::portfolio {

struct LedgerSettings {
    Currency base = Currency::FromCode("USD");
    CostBasisMethod method = CostBasisMethod::kAverage;
    bool allow_short = false;
};

// Applies one securities transaction (BUY, SELL, DIVIDEND, FEE or INTEREST with a symbol,
// SPLIT, TRANSFER_IN/OUT with a symbol) to the holding of its symbol. Average cost and FIFO
// lots are both kept, so either method can be shown. Fails with
//   holdings.insufficient_quantity  selling or transferring out more than held (no allow_short)
//   holdings.currency_mismatch      a trade in another currency than the holding's
//   holdings.not_a_position         a transaction that does not touch a position
Result<Holding, LedgerError> ApplyTransaction(Holding holding,
                                              const Transaction& tx,
                                              const LedgerSettings& settings);

// Cash effect of a transaction, in its currency (negative: cash goes out).
Decimal CashEffect(const Transaction& tx);

// How a trade (BUY, SELL, TRANSFER_IN or TRANSFER_OUT with a quantity) moves its position's
// quantity: + in, - out; nullopt for any other transaction.
std::optional<Decimal> PositionDelta(const Transaction& tx);

// The rate that converts the transaction's currency into the base currency: 1 when they are
// equal, the transaction's fx_rate otherwise; nullopt when it is unknown.
std::optional<Decimal> TradeRate(const Transaction& tx, Currency base);

// The chronological order of replay: executed_at, then created_at, then id.
void SortForReplay(std::vector<Transaction>& transactions);

// Replays every transaction in SortForReplay order into holdings and cash.
Result<Ledger, LedgerError> Replay(std::vector<Transaction> transactions, const LedgerSettings& settings);
// The same, continuing `from` (the ledger of every transaction before these ones in that order).
Result<Ledger, LedgerError> Replay(std::vector<Transaction> transactions,
                                   const LedgerSettings& settings,
                                   Ledger from);

// Valuation of a holding at a current price and a current rate (base per instrument unit).
struct HoldingValue {
    std::optional<Decimal> market_value;       // instrument currency
    std::optional<Decimal> unrealized_pnl;     // market value - cost basis
    std::optional<Decimal> market_value_base;  // at the current rate
    std::optional<Decimal> unrealized_pnl_base;
    // unrealized_pnl_base = price_effect_base + currency_effect_base, where the price effect is
    // the instrument-currency gain at today's rate and the currency effect is what the rate
    // move since the trades did to the cost: cost x current rate - cost at trade-date rates.
    std::optional<Decimal> price_effect_base;
    std::optional<Decimal> currency_effect_base;
    std::optional<Decimal> day_change;  // quantity x (price - previous close)
    // "ok", "missing_price", "missing_rate" (current rate unknown) or "missing_trade_rate"
    // (a trade's rate unknown): which base figures could not be computed.
    std::string fx_status = "ok";
};

HoldingValue ValueHolding(const Holding& holding,
                          CostBasisMethod method,
                          const std::optional<Decimal>& price,
                          const std::optional<Decimal>& previous_close,
                          const std::optional<Decimal>& current_rate);

}  // namespace nn::portfolio
