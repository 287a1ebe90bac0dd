#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/history.hpp"
#include "analytics/movements.hpp"
#include "core/time.hpp"
#include "portfolio/model.hpp"

// Read checkpoints (docs/analytics.md §17, issue 16): what performance and statements need from
// every transaction dated on or before a day, so that a period opens from the nearest one before
// it plus the transactions since, never from every transaction. Pure: the services load and store
// them (portfolio.read_checkpoints, which a change dated on or before a checkpoint's day deletes).
// Opening from one gives exactly the full computation's result (read_checkpoint_test.cpp).
namespace nn::analytics {

// Closes and rates are read from this many days before a period (performance and statements):
// before that window the reconstruction knows no market data, which is why a checkpoint holds
// no market data and opens only periods starting after its day + kLookbackDays.
inline constexpr int kLookbackDays = 14;

// A checkpoint is stored at a month's end once this many transactions are past the previous one.
inline constexpr std::int64_t kReadCheckpointSpacing = 512;

struct ReadCheckpoint {
    std::optional<Date> day;        // every transaction dated on or before it; nullopt: none yet
    std::int64_t transactions = 0;  // how many
    // The portfolio settings it was derived under (another one makes it unusable).
    std::string base_currency;
    std::string method;
    bool allow_short = false;
    // Holdings (without sales; without FIFO lots under the average method, which never reads
    // them: a checkpoint of a long buy-and-hold ledger would otherwise carry every lot) and cash.
    portfolio::Ledger ledger;
    // The ledger's refusal of a transaction (only a history written around the checks can hold
    // one): the ledger stops there; a statement answers it, performance does not need the ledger.
    std::optional<portfolio::LedgerError> refused;
    std::map<std::string, Decimal> trade_price;            // last trade price by symbol (statement fallback)
    std::map<std::string, Decimal> trade_rate;             // last fx_rate by currency (statement fallback)
    SymbolCurrencies currencies;                           // for InstrumentCurrencies
    std::map<std::string, std::string> transfer_currency;  // what transfers were valued in, by symbol
    HistoryState history;
};

// The last day a period starting at `first` may open from.
Date LatestOpening(Date first);

// A checkpoint before the first transaction.
ReadCheckpoint EmptyCheckpoint(const portfolio::Portfolio& p);

// Whether `cp` was derived under the portfolio's current settings, and valued its securities
// transfers in the instruments' current currencies (`instrument_currency`, as the period uses).
bool Usable(const ReadCheckpoint& cp,
            const portfolio::Portfolio& p,
            const std::map<std::string, std::string>& instrument_currency);

// Moves `cp` to the end of `day` with `ordered`: every transaction dated after cp.day up to `day`,
// in SortForReplay order. `instrument_currency`: by symbol, as InstrumentCurrencies gives it.
// A transaction the ledger refuses sets `refused` (the first one).
void Advance(ReadCheckpoint& cp,
             const portfolio::Portfolio& p,
             Date day,
             const std::vector<portfolio::Transaction>& ordered,
             const std::map<std::string, std::string>& instrument_currency);

struct EncodedCheckpoint {
    Date day;
    std::string state;  // EncodeCheckpoint
};

// Advances `cp` to `opening` with the transactions of `ordered` (SortForReplay order, every one
// after cp.day) dated up to it, which are removed from `ordered`. Returns the checkpoints worth
// storing on the way, encoded: month ends `spacing` transactions or more after `cp`'s, and at
// least an eighth of their open FIFO lots (a checkpoint holds every open lot: the spacing grows
// with them, so the stored size stays proportional to the transactions).
std::vector<EncodedCheckpoint> AdvanceTo(ReadCheckpoint& cp,
                                         const portfolio::Portfolio& p,
                                         Date opening,
                                         std::vector<portfolio::Transaction>& ordered,
                                         const std::map<std::string, std::string>& instrument_currency,
                                         std::int64_t spacing = kReadCheckpointSpacing);

std::string EncodeCheckpoint(const ReadCheckpoint& cp);
// nullopt when the text is not an encoded checkpoint (of this version).
std::optional<ReadCheckpoint> DecodeCheckpoint(std::string_view text);

}  // namespace nn::analytics
