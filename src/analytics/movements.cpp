#include "analytics/movements.hpp"

#include "portfolio/holdings.hpp"

namespace nn::analytics {

using portfolio::TransactionType;

Movement ToMovement(const portfolio::Transaction& tx, Currency base) {
    Movement m;
    m.date = ToDate(tx.executed_at);
    m.symbol = tx.symbol.value_or("");
    m.currency = std::string(tx.currency.Code());
    m.cash_change = portfolio::CashEffect(tx);
    m.rate = portfolio::TradeRate(tx, base).value_or(Decimal());
    m.price = tx.price.value_or(Decimal());
    const Decimal quantity = tx.quantity.value_or(Decimal());
    const Decimal amount = tx.amount.value_or(Decimal());
    switch (tx.type) {
        case TransactionType::kBuy:
            m.quantity_change = quantity;
            break;
        case TransactionType::kSell:
            m.quantity_change = -quantity;
            break;
        case TransactionType::kTransferIn:
        case TransactionType::kTransferOut: {
            const bool in = tx.type == TransactionType::kTransferIn;
            if (tx.symbol) {
                m.quantity_change = in ? quantity : -quantity;
                m.securities_transfer = true;
            } else {
                m.flow_local = in ? amount : -amount;
            }
            break;
        }
        case TransactionType::kDeposit:
            m.flow_local = amount;
            break;
        case TransactionType::kWithdrawal:
            m.flow_local = -amount;
            break;
        case TransactionType::kDividend:
        case TransactionType::kInterest:
            m.income = amount - tx.fee;
            break;
        case TransactionType::kSplit:
            m.split_ratio = tx.split_ratio.value_or(Decimal::FromInt(1));
            break;
        case TransactionType::kFee:
            break;
    }
    return m;
}

std::vector<Movement> ToMovements(const std::vector<portfolio::Transaction>& txs, Currency base) {
    std::vector<Movement> out;
    out.reserve(txs.size());
    for (const portfolio::Transaction& tx : txs) {
        out.push_back(ToMovement(tx, base));
    }
    return out;
}

std::map<std::string, std::string> InstrumentCurrencies(const std::vector<portfolio::Transaction>& txs,
                                                        const std::map<std::string, std::string>& listed) {
    std::vector<portfolio::Transaction> ordered;
    for (const portfolio::Transaction& tx : txs) {
        if (tx.symbol) ordered.push_back(tx);
    }
    portfolio::SortForReplay(ordered);
    SymbolCurrencies known;
    AddCurrencies(known, ordered);
    return InstrumentCurrencies(known, listed);
}

void AddCurrencies(SymbolCurrencies& known, const std::vector<portfolio::Transaction>& ordered) {
    for (const portfolio::Transaction& tx : ordered) {
        if (!tx.symbol) continue;
        const std::string currency(tx.currency.Code());
        if (tx.type == TransactionType::kSplit) {
            if (!known.traded.contains(*tx.symbol)) known.split_only.try_emplace(*tx.symbol, currency);
        } else if (known.traded.try_emplace(*tx.symbol, currency).second) {
            known.split_only.erase(*tx.symbol);  // the first one other than a SPLIT decides
        }
    }
}

std::map<std::string, std::string> InstrumentCurrencies(const SymbolCurrencies& known,
                                                        const std::map<std::string, std::string>& listed) {
    std::map<std::string, std::string> out = known.traded;
    out.insert(known.split_only.begin(), known.split_only.end());
    for (const auto& [symbol, currency] : listed) {
        if (out.contains(symbol)) out[symbol] = currency;
    }
    return out;
}

}  // namespace nn::analytics
