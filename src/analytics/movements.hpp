#pragma once

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

}  // namespace nn::analytics
