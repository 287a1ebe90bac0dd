#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/service.hpp"

namespace nn::analytics {

// Every transaction of a portfolio through the portfolio service (RLS as `actor`: an invisible
// portfolio is a 404), read newest first in pages of `page_size`.
boost::asio::awaitable<std::vector<portfolio::Transaction>> LoadAllTransactions(
    portfolio::Service& portfolios, Actor actor, PortfolioId id, std::size_t page_size, std::size_t shard);

// The transactions executed in [from, to) (an absent bound is open), in SortForReplay order.
boost::asio::awaitable<std::vector<portfolio::Transaction>> LoadTransactionsBetween(
    portfolio::Service& portfolios,
    Actor actor,
    PortfolioId id,
    std::optional<Timestamp> from,
    std::optional<Timestamp> to,
    std::size_t page_size,
    std::size_t shard);

// Transaction rows the analytics services have read in this process (tests and benchmarks
// bound what one request reads with it, issue 16).
std::uint64_t TransactionRowsRead() noexcept;
// Adds rows read through another path (the period opening's one snapshot) to that count.
void CountTransactionRowsRead(std::uint64_t rows) noexcept;

}  // namespace nn::analytics
