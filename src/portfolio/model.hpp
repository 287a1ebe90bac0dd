#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/currency.hpp"
#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

// The portfolio domain's values: no I/O here (STYLE.md "model").
namespace nn::portfolio {

// Stored amounts are numeric(28, 10): 18 integer and 10 fractional digits.
inline constexpr int kAmountScale = 10;
inline constexpr int kAmountIntegerDigits = 18;
// transactions.fx_rate is numeric(24, 12); split_ratio numeric(20, 10).
inline constexpr int kFxRateScale = 12;

// Text widths of the API, each the CHECK of the columns it mirrors
// (migrations/portfolio/0001_portfolio.up.sql, 0004_ledger_checkpoints.up.sql).
inline constexpr std::size_t kMaxSymbol = 32;  // symbol: length BETWEEN 1 AND 32 (holdings, transactions,
                                               // watchlist items, price alerts, checkpoints)
inline constexpr std::size_t kMaxName =
    100;  // portfolios.name, watchlists.name, goals.name: BETWEEN 1 AND 100
inline constexpr std::size_t kMaxText = 2000;  // description, notes: length <= 2000

enum class TransactionType {
    kBuy,
    kSell,
    kDividend,
    kInterest,
    kFee,
    kDeposit,
    kWithdrawal,
    kSplit,
    kTransferIn,
    kTransferOut,
};
std::string_view TypeName(TransactionType type) noexcept;  // "BUY", ...
std::optional<TransactionType> ParseType(std::string_view name) noexcept;

enum class CostBasisMethod { kAverage, kFifo };
std::string_view MethodName(CostBasisMethod method) noexcept;  // "AVERAGE", "FIFO"
std::optional<CostBasisMethod> ParseMethod(std::string_view name) noexcept;

// portfolios.portfolio_type values.
bool IsPortfolioType(std::string_view name) noexcept;

// A portfolio whose holdings moved, and its owner: what runs after a change (watches.hpp) gets
// both; the live value feed publishes only for owners someone is watching.
struct ChangedPortfolio {
    PortfolioId id;
    UserId owner;
    friend bool operator==(const ChangedPortfolio&, const ChangedPortfolio&) = default;
};

struct Portfolio {
    PortfolioId id;
    UserId user_id;
    std::string name;
    std::optional<std::string> description;
    std::string portfolio_type = "INVESTMENT";
    Currency currency = Currency::FromCode("USD");
    CostBasisMethod cost_basis_method = CostBasisMethod::kAverage;
    bool allow_short = false;
    Decimal min_trade_amount;
    bool is_active = true;
    std::vector<std::string> benchmarks;
    Timestamp created_at{};
    Timestamp updated_at{};
};

// One recorded transaction (portfolio.transactions). Securities trades carry symbol, quantity
// and price; cash flows carry amount; SPLIT carries split_ratio (new shares per old share).
struct Transaction {
    TransactionId id;
    TransactionType type = TransactionType::kBuy;
    std::optional<std::string> symbol;
    std::optional<Decimal> quantity;
    std::optional<Decimal> price;
    std::optional<Decimal> amount;
    Decimal fee;
    Currency currency = Currency::FromCode("USD");
    // Units of the portfolio currency per unit of `currency` on the trade date; nullopt when
    // the currencies are equal or no rate was known (the base figures are then missing).
    std::optional<Decimal> fx_rate;
    std::optional<Decimal> split_ratio;
    Timestamp executed_at{};
    std::optional<std::string> notes;
    Timestamp created_at{};
};

// An open FIFO lot. Quantity is signed (negative: a short lot); cost is what the lot cost in
// total (fees included), signed like the quantity.
struct Lot {
    Decimal quantity;
    Decimal cost;
    std::optional<Decimal> cost_base;
    Timestamp acquired_at{};
    friend bool operator==(const Lot&, const Lot&) = default;
};

// The realized result of one closing trade, by both methods.
struct Sale {
    TransactionId transaction_id;
    Timestamp executed_at{};
    Decimal quantity;  // closed quantity
    Decimal proceeds;  // net of the trade's fee
    Decimal realized_average;
    Decimal realized_fifo;
    std::optional<Decimal> realized_average_base;
    std::optional<Decimal> realized_fifo_base;
};

// A position as the average-cost method sees it: signed quantity (the Holding's) and signed
// total cost.
struct AverageBook {
    Decimal cost;
    std::optional<Decimal> cost_base;
    Decimal realized;
    std::optional<Decimal> realized_base;
};

// Thrown by LotQueue when an operation reaches open lots that are still in storage (a stored
// position loads only the lots an append touches; LedgerDeriver then loads more and derives again).
struct LotsNotLoaded {
    bool all = false;  // every lot is needed (a split, a checkpoint), not just more from the front
};

// The totals of a set of open lots: what a cost basis needs of them.
struct LotTotals {
    Decimal cost;
    Decimal cost_base;             // of the lots that have one
    std::size_t missing_base = 0;  // lots without a base-currency cost
    void Add(const Lot& lot);
    void Remove(const Lot& lot);
    friend bool operator==(const LotTotals&, const LotTotals&) = default;
};

// A position's open FIFO lots, oldest first, with the totals of their costs (so a cost basis does
// not visit every lot). Lots are numbered in the order they open: the front one is FirstSeq(), the
// next one opened gets NextSeq() (a stored position keeps its lots in pages of these numbers,
// docs/portfolio.md "Lots stored apart"). A queue built by a replay holds every lot; one rebuilt
// from storage may hold a loaded front (Head) and a loaded back with Hidden() lots between
// them still in storage: reaching those throws LotsNotLoaded. A sale consumes from the front, so
// deques (a vector's erase at the front moved every remaining lot: quadratic over a long ledger).
class LotQueue {
public:
    std::size_t size() const noexcept { return head_.size() + hidden_ + tail_.size(); }
    bool empty() const noexcept { return size() == 0; }
    bool Complete() const noexcept { return hidden_ == 0; }
    std::size_t Hidden() const noexcept { return hidden_; }
    std::int64_t FirstSeq() const noexcept { return first_seq_; }
    std::int64_t NextSeq() const noexcept { return first_seq_ + static_cast<std::int64_t>(size()); }
    // Whether the front lot was closed or reduced since the queue was built (its page changed).
    bool FrontTouched() const noexcept { return front_touched_; }
    // Whether every lot changed since the queue was built (a split).
    bool AllTouched() const noexcept { return all_touched_; }

    // The oldest lot (the queue is not empty).
    const Lot& front() const;
    void pop_front();
    // Closes `quantity` (positive, less than the front lot's) of the front lot, whose cost goes
    // down by `cost` and `cost_base` (present exactly when the lot has a base cost, as PortionOpt
    // gives it): the rest stays open.
    void ReduceFront(const Decimal& quantity, const Decimal& cost, const std::optional<Decimal>& cost_base);
    void push_back(Lot lot);
    // Every lot closed; the numbering goes on.
    void clear();
    // Each lot's quantity replaced by f(quantity) (a split: costs do not change).
    template <typename F>
    void MapQuantities(F&& f) {
        if (hidden_ != 0) throw LotsNotLoaded{true};
        for (Lot& l : head_) l.quantity = f(l.quantity);
        for (Lot& l : tail_) l.quantity = f(l.quantity);
        all_touched_ = true;
    }
    // Each lot, oldest first (every lot is loaded).
    template <typename F>
    void ForEach(F&& f) const {
        if (hidden_ != 0) throw LotsNotLoaded{true};
        for (const Lot& l : head_) f(l);
        for (const Lot& l : tail_) f(l);
    }

    // The totals of every open lot: cost, and cost in the base currency unless a lot has none.
    const Decimal& Cost() const noexcept { return totals_.cost; }
    std::optional<Decimal> CostBase() const;
    const LotTotals& Totals() const noexcept { return totals_; }

    // Storage (ledger_state.hpp, ledger_deriver.cpp).
    // `count` lots from `first_seq` on with these totals, none loaded.
    static LotQueue Stored(std::int64_t first_seq, std::size_t count, LotTotals totals);
    // Numbered from `first_seq`, every lot loaded (totals summed).
    static LotQueue Numbered(std::int64_t first_seq, std::vector<Lot> lots);
    // Loaded lots next to the front ones (false, and nothing changed, if they are not that many).
    bool LoadAfterHead(std::vector<Lot> lots);
    // The last lots, loaded (false, and nothing changed, if there are not that many hidden).
    bool LoadTail(std::vector<Lot> lots);
    const std::deque<Lot>& Head() const noexcept { return head_; }
    // The loaded lot numbered `seq`, or null.
    const Lot* Loaded(std::int64_t seq) const noexcept;

    friend bool operator==(const LotQueue& a, const LotQueue& b);

private:
    // The deque the front lot is in (throws LotsNotLoaded when it is in storage).
    std::deque<Lot>& FrontDeque();

    std::deque<Lot> head_;
    std::size_t hidden_ = 0;
    std::deque<Lot> tail_;
    std::int64_t first_seq_ = 0;
    LotTotals totals_;
    bool front_touched_ = false;
    bool all_touched_ = false;
};

struct FifoBook {
    LotQueue lots;
    Decimal realized;
    std::optional<Decimal> realized_base;
};

// A holding derived from a portfolio's transactions.
struct Holding {
    std::string symbol;
    Currency currency = Currency::FromCode("USD");
    Decimal quantity;
    AverageBook average;
    FifoBook fifo;
    Decimal income;  // dividends, net of their fees
    Decimal fees;    // every fee paid on this symbol's transactions
    std::vector<Sale> sales;
    std::optional<Timestamp> first_trade_at;
    // A trade in a foreign currency without a rate: base-currency figures are unknown.
    bool base_rate_missing = false;

    // The figures of the portfolio's method.
    Decimal CostBasis(CostBasisMethod method) const;
    std::optional<Decimal> CostBasisBase(CostBasisMethod method) const;
    Decimal Realized(CostBasisMethod method) const;
    std::optional<Decimal> RealizedBase(CostBasisMethod method) const;
    // Cost basis / quantity (0 for a flat position), rounded to kAmountScale.
    Decimal AverageCost(CostBasisMethod method) const;
};

// Everything derived from a portfolio's transactions.
struct Ledger {
    std::map<std::string, Holding> holdings;   // by symbol
    std::map<Currency, Decimal> cash;          // per currency
    std::map<Currency, Decimal> net_deposits;  // deposits - withdrawals (external flows)
    std::map<Currency, Decimal> interest;      // INTEREST not tied to a symbol
};

// Why a transaction cannot be applied (expected outcomes, answered 422).
struct LedgerError {
    std::string code;  // "holdings.insufficient_quantity", "holdings.currency_mismatch", ...
    std::string message;
    TransactionId transaction_id;
};

// One price of the market's price stream (price_consumer.hpp), applied to every holding of the
// symbol.
struct PricePoint {
    std::string symbol;
    Decimal price;
    Timestamp time{};
};

// One exchange rate of the market's price stream, applied to every foreign holding.
struct RatePoint {
    std::string base;
    std::string quote;
    Decimal rate;  // quote per unit of base
    Timestamp time{};
};

// One price tick to evaluate the watchlist alerts of its symbol against (decimal strings, `time`
// RFC 3339). `prev_close` is the previous close of the tick's trading date (nullopt: the change
// condition is not evaluated); `hysteresis` the re-arm band (PriceAlertOptions).
struct AlertTick {
    std::string symbol, price, time, hysteresis;
    std::optional<std::string> prev_close;
};

// A watchlist item whose condition the tick crossed; it is disarmed by the evaluation.
struct FiredAlert {
    std::string item, user, watchlist, threshold;
};

struct FiredAlerts {
    std::vector<FiredAlert> above, below, change;
    bool Empty() const noexcept { return above.empty() && below.empty() && change.empty(); }
};

}  // namespace nn::portfolio
