#pragma once

#include <map>
#include <string>
#include <vector>

#include "analytics/history.hpp"
#include "core/currency.hpp"
#include "portfolio/model.hpp"

namespace nn::analytics {

// A portfolio transaction as the history reconstruction sees it (docs/analytics.md §10):
// DEPOSIT, WITHDRAWAL and cash TRANSFER_IN/OUT are external flows of their amount; securities
// TRANSFER_IN/OUT are external flows at their price (or the day's close); DIVIDEND and
// INTEREST are income net of their fee; fees reduce cash. The trade date is the UTC date of
// executed_at.
Movement ToMovement(const portfolio::Transaction& tx, Currency base);

std::vector<Movement> ToMovements(const std::vector<portfolio::Transaction>& txs, Currency base);

// The currency each symbol's closes are quoted in, for converting its value: the instrument's
// own (`listed`, from market_data.instruments) when it has one, else the holding's currency as
// the portfolio service keeps it, the currency of its first transaction other than a SPLIT (a
// SPLIT may carry another currency, docs/portfolio.md). Never whichever transaction is read last.
std::map<std::string, std::string> InstrumentCurrencies(const std::vector<portfolio::Transaction>& txs,
                                                        const std::map<std::string, std::string>& listed);

// The holding currency of each symbol as InstrumentCurrencies decides it, kept as transactions
// arrive in replay order (a read checkpoint carries it): the currency of the first transaction
// other than a SPLIT, else (a symbol seen only through SPLITs) of its first SPLIT.
struct SymbolCurrencies {
    std::map<std::string, std::string> traded;
    std::map<std::string, std::string> split_only;
    friend bool operator==(const SymbolCurrencies&, const SymbolCurrencies&) = default;
};

// `ordered`: transactions after those already in `known`, in SortForReplay order.
void AddCurrencies(SymbolCurrencies& known, const std::vector<portfolio::Transaction>& ordered);

std::map<std::string, std::string> InstrumentCurrencies(const SymbolCurrencies& known,
                                                        const std::map<std::string, std::string>& listed);

}  // namespace nn::analytics
