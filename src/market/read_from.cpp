#include "market/read_from.hpp"

#include "infra/app/app.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/read_router.hpp"

namespace nn::market {

std::vector<db::QueryRunner*> RunnersFor(App& app, ReadFrom from) {
    std::vector<db::QueryRunner*> runners;
    for (std::size_t shard = 0; shard < app.ShardCount(); ++shard) {
        if (from == ReadFrom::kReplica) {
            runners.push_back(&app.ReadDb(ServiceRole::kMarket, Database::kTimescale, shard));
        } else {
            runners.push_back(&app.Db(ServiceRole::kMarket, Database::kTimescale, shard));
        }
    }
    return runners;
}

}  // namespace nn::market
