#include "portfolio/holdings.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <tuple>
#include <utility>

namespace nn::portfolio {
namespace {

// Products of two numeric(28, 10) values can need 20 fractional digits: they are rounded
// (half-even) to the stored scale, and trailing zeros dropped.
Decimal Mul(const Decimal& a, const Decimal& b) {
    return Decimal::Mul(a, b, kAmountScale).Normalized();
}

std::optional<Decimal> MulOpt(const std::optional<Decimal>& a, const std::optional<Decimal>& b) {
    if (!a || !b) return std::nullopt;
    return Mul(*a, *b);
}

// quantity x price x rate rounded once, at the end, to the stored scale (never price x rate
// rounded first: 10^9 units at 0.0000123456 would lose their last digits). quantity x price is
// exact when it fits the 18 places a Decimal holds, else kept to 18 places (8 more than the
// result), then converted.
std::optional<Decimal> ValueInBase(const Decimal& quantity,
                                   const Decimal& price,
                                   const std::optional<Decimal>& rate) {
    if (!rate) return std::nullopt;
    const Decimal q = quantity.Normalized();
    const Decimal p = price.Normalized();
    const Decimal local = Decimal::Mul(q, p, std::min(q.Scale() + p.Scale(), Decimal::kMaxScale));
    return Mul(local, *rate);
}

std::optional<Decimal> AddOpt(const std::optional<Decimal>& a, const std::optional<Decimal>& b) {
    if (!a || !b) return std::nullopt;
    return *a + *b;
}

std::optional<Decimal> SubOpt(const std::optional<Decimal>& a, const std::optional<Decimal>& b) {
    if (!a || !b) return std::nullopt;
    return *a - *b;
}

// The share `part / whole` of `amount`; exactly `amount` when part == whole, so closing a
// whole position or lot leaves no rounding residue.
Decimal Portion(const Decimal& amount, const Decimal& part, const Decimal& whole) {
    if (part == whole) return amount;
    return Decimal::MulDiv(amount, part, whole, kAmountScale).Normalized();
}

std::optional<Decimal> PortionOpt(const std::optional<Decimal>& amount,
                                  const Decimal& part,
                                  const Decimal& whole) {
    if (!amount) return std::nullopt;
    return Portion(*amount, part, whole);
}

Failure<LedgerError> Refuse(std::string code, std::string message, const Transaction& tx) {
    return Fail(LedgerError{std::move(code), std::move(message), tx.id});
}

// One quantity change of a position: `delta` signed shares at `price` per share with `fee`,
// all in the instrument currency; `rate` converts to the base currency. `realize`: a sale or
// cover (false for transfers, which move cost without realizing anything).
struct Trade {
    Decimal delta;
    Decimal price;
    Decimal fee;
    std::optional<Decimal> rate;
    bool realize = true;
};

// The cost a close removes from the FIFO lots.
struct Removed {
    Decimal cost;
    std::optional<Decimal> cost_base = Decimal();
};

// Closes `quantity` from the front of the lots (the oldest first); a lot closed in part keeps
// the rest of its quantity and cost. Each lot closed costs O(1) (a deque's front).
Removed RemoveFromLots(LotQueue& lots, Decimal quantity) {
    Removed removed;
    while (quantity.IsPositive() && !lots.empty()) {
        const Lot& lot = lots.front();
        const Decimal lot_q = lot.quantity.Abs();
        const Decimal m = std::min(quantity, lot_q);
        const Decimal cost = Portion(lot.cost, m, lot_q);
        const std::optional<Decimal> cost_base = PortionOpt(lot.cost_base, m, lot_q);
        removed.cost += cost;
        removed.cost_base = AddOpt(removed.cost_base, cost_base);
        quantity -= m;
        if (m == lot_q) {
            lots.pop_front();
        } else {
            lots.ReduceFront(m, cost, cost_base);
        }
    }
    return removed;
}

// Adds a closing trade's realised gains (both methods) to the holding and records the sale.
void Realize(Holding& h, Sale sale) {
    h.average.realized += sale.realized_average;
    h.average.realized_base = AddOpt(h.average.realized_base, sale.realized_average_base);
    h.fifo.realized += sale.realized_fifo;
    h.fifo.realized_base = AddOpt(h.fifo.realized_base, sale.realized_fifo_base);
    h.sales.push_back(std::move(sale));
}

Result<Holding, LedgerError> ApplyTrade(Holding h,
                                        const Trade& t,
                                        const Transaction& tx,
                                        const LedgerSettings& s) {
    const Decimal q = h.quantity;
    const int dir = t.delta.Sign();
    const Decimal abs_d = t.delta.Abs();
    const Decimal abs_q = q.Abs();
    const bool closing = !q.IsZero() && q.Sign() != dir;
    const Decimal k = closing ? std::min(abs_d, abs_q) : Decimal();
    const Decimal open = abs_d - k;
    const Decimal new_q = q + t.delta;
    if (new_q.IsNegative() && !s.allow_short) {
        return Refuse(
            "holdings.insufficient_quantity",
            fmt::format("{} {} of {} exceeds the {} held (short positions are not allowed in this "
                        "portfolio)",
                        TypeName(tx.type), abs_d.ToNormalizedString(), h.symbol, q.ToNormalizedString()),
            tx);
    }
    const std::optional<Decimal> fee_base = MulOpt(t.fee, t.rate);
    const Decimal sign = Decimal::FromInt(dir);

    if (closing) {
        // Signed value of the closing part; realized = what was received - cost removed.
        const Decimal value = Mul(k, t.price);
        const std::optional<Decimal> value_base = ValueInBase(k, t.price, t.rate);
        const Decimal avg_removed = Portion(h.average.cost, k, abs_q);
        const std::optional<Decimal> avg_removed_base = PortionOpt(h.average.cost_base, k, abs_q);
        h.average.cost -= avg_removed;
        h.average.cost_base = SubOpt(h.average.cost_base, avg_removed_base);

        const Removed fifo_removed = RemoveFromLots(h.fifo.lots, k);
        if (t.realize) {
            // -dir: a sale (dir -1) receives the value, a cover (dir +1) pays it.
            const Decimal received = -sign * value - t.fee;
            const std::optional<Decimal> received_base =
                value_base && fee_base ? std::optional<Decimal>(-sign * *value_base - *fee_base)
                                       : std::nullopt;
            Sale sale;
            sale.transaction_id = tx.id;
            sale.executed_at = tx.executed_at;
            sale.quantity = k;
            sale.proceeds = received;
            sale.realized_average = received - avg_removed;
            sale.realized_fifo = received - fifo_removed.cost;
            sale.realized_average_base = SubOpt(received_base, avg_removed_base);
            sale.realized_fifo_base = SubOpt(received_base, fifo_removed.cost_base);
            Realize(h, std::move(sale));
        }
    }
    if (open.IsPositive()) {
        // The fee belongs to the closing part when there is one (it realized something).
        const Decimal opened = sign * open;
        const Decimal fee = closing ? Decimal() : t.fee;
        const Decimal cost = Mul(opened, t.price) + fee;
        const std::optional<Decimal> opened_base = ValueInBase(opened, t.price, t.rate);
        const std::optional<Decimal> cost_base =
            opened_base && fee_base ? std::optional<Decimal>(*opened_base + (closing ? Decimal() : *fee_base))
                                    : std::nullopt;
        h.average.cost += cost;
        h.average.cost_base = AddOpt(h.average.cost_base, cost_base);
        h.fifo.lots.push_back(Lot{opened, cost, cost_base, tx.executed_at});
    } else if (!closing) {
        // A zero-quantity trade cannot happen (validation); a fee alone still costs.
        h.average.cost += t.fee;
    }
    h.quantity = new_q;
    if (new_q.IsZero()) {
        // Flat: nothing left to carry (rounding residue of partial closes cannot survive).
        h.average.cost = Decimal();
        h.average.cost_base = h.base_rate_missing ? std::nullopt : std::optional<Decimal>(Decimal());
        h.fifo.lots.clear();
    }
    return h;
}

}  // namespace

std::optional<Decimal> PositionDelta(const Transaction& tx) {
    if (!tx.quantity) return std::nullopt;
    switch (tx.type) {
        case TransactionType::kBuy:
        case TransactionType::kTransferIn:
            return *tx.quantity;
        case TransactionType::kSell:
        case TransactionType::kTransferOut:
            return -*tx.quantity;
        default:
            return std::nullopt;
    }
}

std::optional<Decimal> TradeRate(const Transaction& tx, Currency base) {
    if (tx.currency == base) return Decimal::FromInt(1);
    return tx.fx_rate;
}

Result<Holding, LedgerError> ApplyTransaction(Holding h, const Transaction& tx, const LedgerSettings& s) {
    if (!tx.symbol) return Refuse("holdings.not_a_position", "the transaction has no symbol", tx);
    if (h.symbol.empty()) {
        h.symbol = *tx.symbol;
        h.currency = tx.currency;
        h.average.cost_base = Decimal();
        h.average.realized_base = Decimal();
        h.fifo.realized_base = Decimal();
    } else if (h.currency != tx.currency && tx.type != TransactionType::kSplit) {
        return Refuse("holdings.currency_mismatch",
                      fmt::format("{} is held in {}; a {} in {} cannot be applied to it", h.symbol,
                                  h.currency.Code(), TypeName(tx.type), tx.currency.Code()),
                      tx);
    }
    const std::optional<Decimal> rate = TradeRate(tx, s.base);
    if (!h.first_trade_at || tx.executed_at < *h.first_trade_at) h.first_trade_at = tx.executed_at;
    h.fees += tx.fee;

    switch (tx.type) {
        case TransactionType::kBuy:
        case TransactionType::kSell:
        case TransactionType::kTransferIn:
        case TransactionType::kTransferOut: {
            const std::optional<Decimal> delta = PositionDelta(tx);
            if (!delta) return Refuse("holdings.not_a_position", "a cash transfer has no position", tx);
            const bool transfer =
                tx.type == TransactionType::kTransferIn || tx.type == TransactionType::kTransferOut;
            if (!rate) h.base_rate_missing = true;
            Trade t{*delta, tx.price.value_or(Decimal()), tx.fee, rate, !transfer};
            auto applied = ApplyTrade(std::move(h), t, tx, s);
            if (!applied) return applied;
            Holding out = std::move(applied).Value();
            if (out.base_rate_missing) {
                out.average.cost_base.reset();
                out.average.realized_base.reset();
                out.fifo.realized_base.reset();
            }
            return out;
        }
        case TransactionType::kSplit: {
            const Decimal ratio = tx.split_ratio.value_or(Decimal::FromInt(1));
            h.quantity = Mul(h.quantity, ratio);
            h.fifo.lots.MapQuantities([&](const Decimal& q) { return Mul(q, ratio); });
            return h;
        }
        case TransactionType::kDividend:
        case TransactionType::kInterest:
            h.income += tx.amount.value_or(Decimal()) - tx.fee;
            return h;
        case TransactionType::kFee:
            h.fees += tx.amount.value_or(Decimal());
            return h;
        case TransactionType::kDeposit:
        case TransactionType::kWithdrawal:
            break;
    }
    return Refuse("holdings.not_a_position", "deposits and withdrawals have no symbol", tx);
}

Decimal CashEffect(const Transaction& tx) {
    const Decimal amount = tx.amount.value_or(Decimal());
    const Decimal gross = tx.quantity && tx.price ? Mul(*tx.quantity, *tx.price) : Decimal();
    switch (tx.type) {
        case TransactionType::kBuy:
            return -(gross + tx.fee);
        case TransactionType::kSell:
            return gross - tx.fee;
        case TransactionType::kDividend:
        case TransactionType::kInterest:
        case TransactionType::kDeposit:
            return amount - tx.fee;
        case TransactionType::kFee:
        case TransactionType::kWithdrawal:
            return -(amount + tx.fee);
        case TransactionType::kSplit:
            return -tx.fee;
        case TransactionType::kTransferIn:
            return tx.symbol ? -tx.fee : amount - tx.fee;
        case TransactionType::kTransferOut:
            return tx.symbol ? -tx.fee : -(amount + tx.fee);
    }
    return Decimal();
}

void SortForReplay(std::vector<Transaction>& txs) {
    std::stable_sort(txs.begin(), txs.end(), [](const Transaction& a, const Transaction& b) {
        return std::tie(a.executed_at, a.created_at, a.id) < std::tie(b.executed_at, b.created_at, b.id);
    });
}

Result<Ledger, LedgerError> Replay(std::vector<Transaction> txs, const LedgerSettings& s) {
    return Replay(std::move(txs), s, Ledger{});
}

Result<Ledger, LedgerError> Replay(std::vector<Transaction> txs, const LedgerSettings& s, Ledger ledger) {
    SortForReplay(txs);
    for (const Transaction& tx : txs) {
        ledger.cash[tx.currency] += CashEffect(tx);
        if (tx.type == TransactionType::kDeposit) ledger.net_deposits[tx.currency] += *tx.amount;
        if (tx.type == TransactionType::kWithdrawal) ledger.net_deposits[tx.currency] -= *tx.amount;
        if (!tx.symbol) {
            if (tx.type == TransactionType::kInterest) ledger.interest[tx.currency] += *tx.amount - tx.fee;
            continue;
        }
        // Moved in and out, never copied: a copy per transaction costs the holding's lots and
        // sales, which grow with the ledger (quadratic replay, issue 16).
        Holding& current = ledger.holdings[*tx.symbol];
        auto applied = ApplyTransaction(std::move(current), tx, s);
        if (!applied) return Fail(applied.Error());
        current = std::move(applied).Value();
    }
    return ledger;
}

HoldingValue ValueHolding(const Holding& h,
                          CostBasisMethod method,
                          const std::optional<Decimal>& price,
                          const std::optional<Decimal>& previous_close,
                          const std::optional<Decimal>& current_rate) {
    HoldingValue v;
    if (!price) {
        v.fx_status = "missing_price";
        return v;
    }
    const Decimal cost = h.CostBasis(method);
    v.market_value = Mul(h.quantity, *price);
    v.unrealized_pnl = *v.market_value - cost;
    if (previous_close) v.day_change = Mul(h.quantity, *price - *previous_close);
    if (!current_rate) {
        v.fx_status = "missing_rate";
        return v;
    }
    v.market_value_base = Mul(*v.market_value, *current_rate);
    v.price_effect_base = Mul(*v.unrealized_pnl, *current_rate);
    const std::optional<Decimal> cost_base = h.CostBasisBase(method);
    if (!cost_base) {
        v.fx_status = "missing_trade_rate";
        return v;
    }
    v.unrealized_pnl_base = *v.market_value_base - *cost_base;
    v.currency_effect_base = *v.unrealized_pnl_base - *v.price_effect_base;
    return v;
}

}  // namespace nn::portfolio
