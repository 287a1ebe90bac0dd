#include "portfolio/snapshot_job.hpp"

#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "infra/app/app.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/transaction.hpp"
#include "infra/jobs/scheduler.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/repository.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

asio::awaitable<std::int64_t> WriteDailySnapshots(db::Pool& pool,
                                                  Repository& repo,
                                                  market::RateDirectory& market_rates,
                                                  Date date) {
    // Read before the portfolio transaction: the market's database was never part of it.
    const std::vector<market::StoredRate> latest = co_await market_rates.AllLatestRates(0);
    std::vector<SnapshotRate> rates;
    for (const auto& rate : latest) {
        SnapshotRate r;
        r.base = rate.base;
        r.quote = rate.quote;
        r.rate = rate.rate;
        rates.push_back(std::move(r));
    }
    co_return co_await db::RunInTransaction(pool, db::TransactionOptions().ActingAs(Actor::System()),
                                            [&](db::Transaction& tx) -> asio::awaitable<std::int64_t> {
                                                co_return co_await repo.WriteDailySnapshots(tx, date, rates);
                                            });
}

void AddSnapshotJob(App& app,
                    std::shared_ptr<Repository> repo,
                    std::shared_ptr<market::RateDirectory> rates,
                    std::chrono::milliseconds interval) {
    db::Pool* pool = &app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    app.Jobs().Add({.name = std::string(kSnapshotJobName),
                    .interval = interval,
                    .lease_pool = pool,
                    .run = [pool, repo, rates]() -> asio::awaitable<void> {
                        auto n = co_await WriteDailySnapshots(*pool, *repo, *rates, ToDate(Now()));
                        spdlog::info("portfolio: {} daily snapshot(s) written", n);
                    }});
}

}  // namespace nn::portfolio
