#include "analytics/transaction_reader.hpp"

#include <atomic>

#include "portfolio/holdings.hpp"

namespace nn::analytics {
namespace {

std::atomic<std::uint64_t> rows_read{0};

boost::asio::awaitable<std::vector<portfolio::Transaction>> LoadPages(portfolio::Service& portfolios,
                                                                      Actor actor,
                                                                      PortfolioId id,
                                                                      portfolio::TransactionFilter filter,
                                                                      std::size_t page_size,
                                                                      std::size_t shard) {
    std::vector<portfolio::Transaction> txs =
        co_await portfolios.ListAllTransactions(actor, id, std::move(filter), page_size, shard);
    rows_read.fetch_add(txs.size(), std::memory_order_relaxed);
    co_return txs;
}

}  // namespace

boost::asio::awaitable<std::vector<portfolio::Transaction>> LoadAllTransactions(
    portfolio::Service& portfolios, Actor actor, PortfolioId id, std::size_t page_size, std::size_t shard) {
    co_return co_await LoadPages(portfolios, actor, id, portfolio::TransactionFilter{}, page_size, shard);
}

boost::asio::awaitable<std::vector<portfolio::Transaction>> LoadTransactionsBetween(
    portfolio::Service& portfolios,
    Actor actor,
    PortfolioId id,
    std::optional<Timestamp> from,
    std::optional<Timestamp> to,
    std::size_t page_size,
    std::size_t shard) {
    portfolio::TransactionFilter filter;
    filter.from = from;
    filter.to = to;
    std::vector<portfolio::Transaction> txs =
        co_await LoadPages(portfolios, actor, id, filter, page_size, shard);
    portfolio::SortForReplay(txs);
    co_return txs;
}

void CountTransactionRowsRead(std::uint64_t rows) noexcept {
    rows_read.fetch_add(rows, std::memory_order_relaxed);
}

std::uint64_t TransactionRowsRead() noexcept {
    return rows_read.load(std::memory_order_relaxed);
}

}  // namespace nn::analytics
