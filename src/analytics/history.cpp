#include "analytics/history.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "core/error.hpp"

namespace nn::analytics {
namespace {

constexpr int kScale = 10;

// Walks an ascending series forward as the days advance: the last value on or before a day.
class Cursor {
public:
    explicit Cursor(const std::vector<DatedValue>* series) : series_(series) {}

    std::optional<Decimal> AsOf(Date day) {
        if (series_ == nullptr) {
            return std::nullopt;
        }
        while (next_ < series_->size() && (*series_)[next_].date <= day) {
            last_ = (*series_)[next_].value;
            ++next_;
        }
        return last_;
    }

private:
    const std::vector<DatedValue>* series_;
    std::size_t next_ = 0;
    std::optional<Decimal> last_;
};

struct Position {
    Decimal quantity;
    std::optional<Decimal> last_trade_price;
    std::string currency;
    Cursor prices{nullptr};
};

class Rebuilder {
public:
    explicit Rebuilder(const HistoryInputs& inputs) : inputs_(inputs) {}

    void Apply(const Movement& m, Date day, std::vector<HistoryGap>& gaps) {
        if (m.currency != inputs_.base_currency && !m.rate.IsZero()) {
            last_trade_rate_[m.currency] = m.rate;  // the fallback while the market has no rate
        }
        // Only an amount converted now needs the trade-date rate (a trade's cash is valued at the
        // day's rate, a SPLIT has none).
        const bool converts = m.securities_transfer || !m.flow_local.IsZero() || !m.income.IsZero();
        const Decimal rate = converts ? RateOnTrade(m, gaps) : Decimal();
        if (!m.symbol.empty()) {
            Position& p = PositionOf(m.symbol);
            if (!m.split_ratio.IsZero()) {
                p.quantity = Decimal::Mul(p.quantity, m.split_ratio, kScale);
                if (p.last_trade_price) {
                    p.last_trade_price = Decimal::Div(*p.last_trade_price, m.split_ratio, kScale);
                }
            }
            if (!m.quantity_change.IsZero()) {
                p.quantity += m.quantity_change;
                if (!m.price.IsZero() && !m.securities_transfer) {
                    p.last_trade_price = m.price;
                }
            }
            if (m.securities_transfer) {
                // In kind at market value (GIPS): the day's close, which also values the position
                // at the day's end, so the transfer itself is no gain or loss. The recorded price
                // (a carried cost) only when there is no close yet.
                std::optional<Decimal> price = p.prices.AsOf(day);
                if (!price) {
                    price = m.price.IsZero() ? p.last_trade_price : std::optional<Decimal>(m.price);
                    if (!m.price.IsZero()) p.last_trade_price = m.price;
                }
                const Decimal local = Decimal::Mul(m.quantity_change, price.value_or(Decimal()), kScale);
                // The position's currency: it is the position's value that moves in or out.
                const Decimal position_rate = p.currency == m.currency ? rate : RateOn(p.currency, day, gaps);
                const Decimal flow = Decimal::Mul(local, position_rate, kScale);
                AddFlow(flow);
                AddNewMoney(p.currency, local, flow);
            }
        }
        if (!m.cash_change.IsZero()) {
            cash_[m.currency] += m.cash_change;
        }
        if (!m.flow_local.IsZero()) {
            const Decimal flow = Decimal::Mul(m.flow_local, rate, kScale);
            AddFlow(flow);
            AddNewMoney(m.currency, m.flow_local, flow);
        }
        if (!m.income.IsZero()) {
            const Decimal income = Decimal::Mul(m.income, rate, kScale);
            income_ += income;
            AddNewMoney(m.currency, m.income, income);
        }
    }

    // Cash that went negative (a purchase without a recorded deposit) is treated as an implicit
    // deposit of the shortfall: most users record trades, not the transfers that paid for them.
    void SettleOverdrafts(Date day, std::vector<HistoryGap>& gaps) {
        for (auto& [currency, amount] : cash_) {
            if (amount.IsNegative()) {
                const Decimal flow = Decimal::Mul(-amount, RateOn(currency, day, gaps), kScale);
                AddFlow(flow);
                AddNewMoney(currency, -amount, flow);
                amount = Decimal();
            }
        }
    }

    // Before the period only the state matters (its flows are not measured): negative cash is
    // set to 0 at the end of each day exactly as SettleOverdrafts does inside the period, so a
    // period opening later starts from the same holdings and cash as a rebuild from inception.
    void ZeroOverdrafts() {
        for (auto& [currency, amount] : cash_) {
            if (amount.IsNegative()) amount = Decimal();
        }
    }

    // The value at the end of `day`, and the day's currency effect (§5): the money held since the
    // day before is revalued by the day's rate move, x_t - x_{t-1}; money that arrived during the
    // day (flows, income, implicit deposits, in its currency) only by the difference between the
    // day's closing rate and the rate it was booked at, x_t - x_booked. So a deposit made today
    // gets none of yesterday's move.
    std::pair<Decimal, Decimal> Value(Date day, std::vector<HistoryGap>& gaps) {
        std::map<std::string, Decimal> local;  // by currency
        for (const auto& [currency, amount] : cash_) {
            local[currency] += amount;
        }
        for (auto& [symbol, position] : positions_) {
            if (position.quantity.IsZero()) {
                continue;
            }
            std::optional<Decimal> price = position.prices.AsOf(day);
            if (!price) {
                price = position.last_trade_price;
                Note(gaps, day, "price:" + symbol);
            }
            local[position.currency] += Decimal::Mul(position.quantity, price.value_or(Decimal()), kScale);
        }
        Decimal value;
        Decimal fx_effect;
        std::map<std::string, Decimal> rates;
        for (const auto& [currency, amount] : local) {
            if (amount.IsZero() && !new_money_.contains(currency)) {
                continue;  // nothing held in it: no rate needed
            }
            const Decimal rate = RateOn(currency, day, gaps);
            rates[currency] = rate;
            value += Decimal::Mul(amount, rate, kScale);
            if (currency == inputs_.base_currency) {
                continue;
            }
            const auto fresh = new_money_.find(currency);
            const Decimal new_local = fresh == new_money_.end() ? Decimal() : fresh->second.local;
            const auto previous = previous_rates_.find(currency);
            if (previous != previous_rates_.end()) {
                fx_effect += Decimal::Mul(amount - new_local, rate - previous->second, kScale);
            }
            if (fresh != new_money_.end()) {
                fx_effect += Decimal::Mul(new_local, rate, kScale) - fresh->second.base;
            }
        }
        previous_rates_ = std::move(rates);
        new_money_.clear();
        return {value, fx_effect};
    }

    void Load(const HistoryState& state) {
        for (const auto& [symbol, position] : state.positions) {
            Position& p = PositionOf(symbol);
            p.quantity = position.quantity;
            p.last_trade_price = position.last_trade_price;
        }
        cash_ = state.cash;
        last_trade_rate_ = state.last_trade_rate;
        for (const std::string& currency : state.new_money) new_money_.try_emplace(currency);
        for (const HistoryGap& gap : state.gaps) noted_.insert(gap.what);
    }

    HistoryState Save(std::vector<HistoryGap> gaps) const {
        HistoryState state;
        for (const auto& [symbol, position] : positions_) {
            state.positions[symbol] = HistoryPosition{position.quantity, position.last_trade_price};
        }
        state.cash = cash_;
        state.last_trade_rate = last_trade_rate_;
        for (const auto& [currency, money] : new_money_) state.new_money.insert(currency);
        state.gaps = std::move(gaps);
        return state;
    }

    Decimal TakeInflow() { return std::exchange(inflow_, Decimal()); }
    Decimal TakeOutflow() { return std::exchange(outflow_, Decimal()); }
    Decimal TakeIncome() { return std::exchange(income_, Decimal()); }

private:
    void AddFlow(const Decimal& flow) {
        if (flow.IsPositive()) {
            inflow_ += flow;
        } else {
            outflow_ -= flow;
        }
    }

    // Money that entered (or, negative, left) a currency during the day, in that currency and as
    // booked in the portfolio currency.
    void AddNewMoney(const std::string& currency, const Decimal& local, const Decimal& booked) {
        if (currency == inputs_.base_currency) return;
        NewMoney& n = new_money_[currency];
        n.local += local;
        n.base += booked;
    }

    std::string CurrencyOf(const std::string& symbol) const {
        const auto it = inputs_.instrument_currency.find(symbol);
        return it == inputs_.instrument_currency.end() ? inputs_.base_currency : it->second;
    }

    Position& PositionOf(const std::string& symbol) {
        auto it = positions_.find(symbol);
        if (it == positions_.end()) {
            Position p;
            p.currency = CurrencyOf(symbol);
            const auto series = inputs_.closes.find(symbol);
            p.prices = Cursor(series == inputs_.closes.end() ? nullptr : &series->second);
            it = positions_.emplace(symbol, std::move(p)).first;
        }
        return it->second;
    }

    // The transaction's own rate, else the market's on its trade date; a missing one is reported
    // in the gaps like any other (it values the amount at the last trade rate, or 0).
    Decimal RateOnTrade(const Movement& m, std::vector<HistoryGap>& gaps) {
        if (m.currency == inputs_.base_currency) {
            return Decimal::FromInt(1);
        }
        if (!m.rate.IsZero()) {
            return m.rate;
        }
        return RateOn(m.currency, m.date, gaps);
    }

    Decimal RateOn(const std::string& currency, Date day, std::vector<HistoryGap>& gaps) {
        if (currency == inputs_.base_currency) {
            return Decimal::FromInt(1);
        }
        auto it = rate_cursors_.find(currency);
        if (it == rate_cursors_.end()) {
            const auto series = inputs_.rates.find(currency);
            it = rate_cursors_
                     .emplace(currency, Cursor(series == inputs_.rates.end() ? nullptr : &series->second))
                     .first;
        }
        if (const std::optional<Decimal> rate = it->second.AsOf(day)) {
            return *rate;
        }
        Note(gaps, day, "rate:" + currency);
        const auto trade = last_trade_rate_.find(currency);
        return trade == last_trade_rate_.end() ? Decimal() : trade->second;
    }

    void Note(std::vector<HistoryGap>& gaps, Date day, std::string what) {
        if (noted_.insert(what).second) {
            gaps.push_back({day, std::move(what)});
        }
    }

    const HistoryInputs& inputs_;
    std::map<std::string, Position> positions_;
    std::map<std::string, Decimal> cash_;
    std::map<std::string, Cursor> rate_cursors_;
    std::map<std::string, Decimal> last_trade_rate_;
    std::map<std::string, Decimal> previous_rates_;
    struct NewMoney {
        Decimal local;
        Decimal base;
    };
    std::map<std::string, NewMoney> new_money_;
    std::set<std::string> noted_;
    Decimal inflow_;
    Decimal outflow_;
    Decimal income_;
};

}  // namespace

namespace {

std::vector<Movement> ByDate(std::vector<Movement> movements) {
    std::stable_sort(movements.begin(), movements.end(),
                     [](const Movement& a, const Movement& b) { return a.date < b.date; });
    return movements;
}

History Rebuild(const HistoryInputs& inputs, Date first, Date last, const HistoryState* opening_state) {
    if (last < first) {
        throw Error(ErrorKind::kUnprocessable, "analytics.invalid_range",
                    "the history ends before it starts");
    }
    const std::vector<Movement> movements = ByDate(inputs.movements);
    Rebuilder rebuilder(inputs);
    History history;
    if (opening_state != nullptr) {
        rebuilder.Load(*opening_state);
        history.gaps = opening_state->gaps;
    }
    std::size_t next = 0;
    // Before the period: the opening state, valued at the close of the day before `first`.
    const Date opening_day = AddDays(first, -1);
    while (next < movements.size() && movements[next].date <= opening_day) {
        const Date day = movements[next].date;
        while (next < movements.size() && movements[next].date == day) {
            rebuilder.Apply(movements[next], day, history.gaps);
            ++next;
        }
        rebuilder.ZeroOverdrafts();
    }
    rebuilder.SettleOverdrafts(opening_day, history.gaps);
    const Decimal opening = rebuilder.Value(opening_day, history.gaps).first;
    if (opening.IsNegative()) {
        // Valued at 0 like any day worth less than nothing (only short positions can cause it).
        history.gaps.push_back({opening_day, "negative_value"});
    }
    history.period.opening_value = opening.IsNegative() ? Decimal() : opening;
    rebuilder.TakeInflow();
    rebuilder.TakeOutflow();
    rebuilder.TakeIncome();

    for (Date day = first; day <= last; day = AddDays(day, 1)) {
        while (next < movements.size() && movements[next].date <= day) {
            rebuilder.Apply(movements[next], day, history.gaps);
            ++next;
        }
        rebuilder.SettleOverdrafts(day, history.gaps);
        DayPoint point;
        point.date = day;
        const auto [value, fx_effect] = rebuilder.Value(day, history.gaps);
        if (value.IsNegative()) {
            // Only short positions can make it negative; returns need a non-negative value.
            history.gaps.push_back({day, "negative_value"});
        }
        point.value = value.IsNegative() ? Decimal() : value;
        point.inflow = rebuilder.TakeInflow();
        point.outflow = rebuilder.TakeOutflow();
        point.income = rebuilder.TakeIncome();
        point.fx_effect = fx_effect;
        history.period.days.push_back(point);
    }
    return history;
}

}  // namespace

History RebuildHistory(const HistoryInputs& inputs, Date first, Date last) {
    return Rebuild(inputs, first, last, nullptr);
}

History RebuildHistory(const HistoryInputs& inputs, Date first, Date last, const HistoryState& opening) {
    return Rebuild(inputs, first, last, &opening);
}

void AdvanceHistoryState(HistoryState& state,
                         const std::vector<Movement>& movements,
                         const std::string& base_currency,
                         const std::map<std::string, std::string>& instrument_currency) {
    HistoryInputs inputs;
    inputs.base_currency = base_currency;
    inputs.instrument_currency = instrument_currency;
    Rebuilder rebuilder(inputs);
    rebuilder.Load(state);
    std::vector<HistoryGap> gaps = std::move(state.gaps);
    const std::vector<Movement> sorted = ByDate(movements);
    // As Rebuild's days before its period: a day's movements, then its overdrafts set to 0.
    std::size_t next = 0;
    while (next < sorted.size()) {
        const Date day = sorted[next].date;
        while (next < sorted.size() && sorted[next].date == day) {
            rebuilder.Apply(sorted[next], day, gaps);
            ++next;
        }
        rebuilder.ZeroOverdrafts();
    }
    state = rebuilder.Save(std::move(gaps));
}

}  // namespace nn::analytics
