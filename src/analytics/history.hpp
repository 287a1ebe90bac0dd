#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analytics/returns.hpp"
#include "core/decimal.hpp"
#include "core/time.hpp"

// Daily history rebuilt from transactions and daily closes: the backfill behind a portfolio's
// performance when no daily snapshot was stored (a portfolio imported today gets its whole
// history). Pure: the caller loads the inputs.
namespace nn::analytics {

// One transaction as the reconstruction needs it (the caller maps portfolio transactions:
// docs/analytics.md §10). Amounts in the movement's currency unless stated.
struct Movement {
    Date date;                // the UTC trade date
    std::string symbol;       // empty for cash-only movements
    Decimal quantity_change;  // signed: BUY, TRANSFER_IN +; SELL, TRANSFER_OUT -
    Decimal split_ratio;      // SPLIT: new shares per old share; 0 otherwise
    std::string currency;     // of cash_change, income and flow_local
    Decimal cash_change;      // signed cash effect (fees included)
    Decimal flow_local;       // signed external flow: DEPOSIT +, WITHDRAWAL -, cash TRANSFER_IN/OUT +/-
    Decimal income;           // DIVIDEND, INTEREST net of their fee
    Decimal rate;             // portfolio currency per unit of `currency` on the trade date (1 if equal)
    bool securities_transfer = false;  // TRANSFER_IN/OUT of a position: an external flow at market value
    Decimal price;  // trade price, or a transfer's carried cost (used only when there is no close yet)
};

// A dated value (a close in the instrument's currency, a rate in portfolio currency per unit).
struct DatedValue {
    Date date;
    Decimal value;
};

struct HistoryInputs {
    std::string base_currency;
    std::vector<Movement> movements;                         // any order; stable by date
    std::map<std::string, std::vector<DatedValue>> closes;   // by symbol, ascending
    std::map<std::string, std::string> instrument_currency;  // by symbol
    std::map<std::string, std::vector<DatedValue>> rates;    // by currency, ascending
};

// What the reconstruction had to assume.
struct HistoryGap {
    Date date;
    // "price:AAPL" (no close yet: last trade price used), "rate:USD" (no rate yet: last trade
    // rate used), "negative_value" (short positions worth more than the rest: valued at 0)
    std::string what;
    friend bool operator==(const HistoryGap&, const HistoryGap&) = default;
};

struct History {
    Period period;
    std::vector<HistoryGap> gaps;  // the first day of each assumption
};

// Replays the movements day by day from `first` to `last` (inclusive) and values the portfolio
// at each day's end: cash per currency and positions at the last close on or before the day,
// converted at the last rate on or before the day. A position without any close yet is valued at
// its last trade price, a currency without any rate yet at its last trade rate (both reported in
// `gaps`, as is a transaction whose trade-date rate is unknown). Movements before `first` make the
// opening value; a value below 0 (the opening's or a day's: only short positions can cause it) is
// taken as 0 and reported. Cash that a day's movements leave negative (a purchase without a
// recorded deposit) counts as an implicit deposit of the shortfall at that day's rate, so a
// portfolio recorded as trades only still has a return. A securities transfer is an external flow
// at market value (the day's close; its recorded price only without a close), as GIPS values
// in-kind flows. Money is rounded half-even to 10 places (numeric(28, 10)) where products need it.
// Each day's fx_effect is the currency effect (§5): the money held since the day before times the
// day's rate change, plus the money that arrived during the day times (the day's rate - the rate it
// was booked at).
History RebuildHistory(const HistoryInputs& inputs, Date first, Date last);

// What the reconstruction carries from one day to the next before a period: each position's
// quantity and last trade price, cash per currency (overdrafts set to 0 at each day's end), the
// last trade rate per currency, the currencies money entered or left by, and the assumptions
// reported so far. Kept by the read checkpoints (analytics/read_checkpoint.hpp) so that a period
// opens without replaying every transaction before it.
struct HistoryPosition {
    Decimal quantity;
    std::optional<Decimal> last_trade_price;
    friend bool operator==(const HistoryPosition&, const HistoryPosition&) = default;
};

struct HistoryState {
    std::map<std::string, HistoryPosition> positions;  // by symbol
    std::map<std::string, Decimal> cash;               // by currency
    std::map<std::string, Decimal> last_trade_rate;    // by currency
    std::set<std::string> new_money;                   // currencies (not the base) money moved in
    std::vector<HistoryGap> gaps;
};

// Applies `movements` (dated after every movement already in `state`; any order, stable by date)
// as RebuildHistory replays the days before its period, without any close or rate: exactly what
// that replay does for days before its market data window (closes and rates are loaded from
// first - 14 days). `instrument_currency`: by symbol, as in HistoryInputs.
void AdvanceHistoryState(HistoryState& state,
                         const std::vector<Movement>& movements,
                         const std::string& base_currency,
                         const std::map<std::string, std::string>& instrument_currency);

// RebuildHistory starting from `opening`, the state after every movement dated before the
// market data in `inputs` starts; inputs.movements are the ones after it. The result equals
// RebuildHistory over all the movements (read_checkpoint_test.cpp proves it).
History RebuildHistory(const HistoryInputs& inputs, Date first, Date last, const HistoryState& opening);

}  // namespace nn::analytics
