#include "market/price_directory.hpp"

#include <vector>

#include "infra/app/app.hpp"
#include "market/pg_repository.hpp"

namespace nn::market {
namespace asio = boost::asio;

namespace {

class PgPriceDirectory final : public PriceDirectory {
public:
    explicit PgPriceDirectory(App& app) {
        for (std::size_t shard = 0; shard < app.ShardCount(); ++shard) {
            repos_.push_back(
                std::make_unique<PgRepository>(app.Db(ServiceRole::kMarket, Database::kTimescale, shard)));
        }
    }

    asio::awaitable<std::optional<std::string>> PreviousClose(std::string symbol,
                                                              std::string time,
                                                              std::size_t shard) override {
        co_return co_await repos_.at(shard)->PreviousClose(symbol, time);
    }

private:
    std::vector<std::unique_ptr<PgRepository>> repos_;
};

}  // namespace

std::shared_ptr<PriceDirectory> MakePriceDirectory(App& app) {
    return std::make_shared<PgPriceDirectory>(app);
}

}  // namespace nn::market
