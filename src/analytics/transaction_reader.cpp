#include "analytics/transaction_reader.hpp"

namespace nn::analytics {

boost::asio::awaitable<std::vector<portfolio::Transaction>> LoadAllTransactions(
    portfolio::Service& portfolios,
    portfolio::Actor actor,
    PortfolioId id,
    std::size_t page_size,
    std::size_t shard) {
    std::vector<portfolio::Transaction> txs;
    portfolio::TransactionFilter filter;
    filter.limit = page_size;
    for (;;) {
        std::vector<portfolio::Transaction> page =
            co_await portfolios.ListTransactions(actor, id, filter, shard);
        const bool more = page.size() == page_size;
        if (!page.empty()) {
            filter.after = std::make_pair(page.back().executed_at, page.back().id);
        }
        txs.insert(txs.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
        if (!more) {
            break;
        }
    }
    co_return txs;
}

}  // namespace nn::analytics
