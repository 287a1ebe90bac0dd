#pragma once

#include <cstddef>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/ids.hpp"
#include "portfolio/service.hpp"

namespace nn::analytics {

// Every transaction of a portfolio through the portfolio service (RLS as `actor`: an invisible
// portfolio is a 404), read newest first in pages of `page_size`.
boost::asio::awaitable<std::vector<portfolio::Transaction>> LoadAllTransactions(
    portfolio::Service& portfolios,
    portfolio::Actor actor,
    PortfolioId id,
    std::size_t page_size,
    std::size_t shard);

}  // namespace nn::analytics
