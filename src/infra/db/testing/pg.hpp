#pragma once

// Test helper (not part of nn_db): one scratch database per test executable, dropped at exit.

#include <string>

#include "infra/db/pool.hpp"
#include "tests/support/test_env.hpp"

namespace nn::db::testkit {

inline const std::string& DbUrl() {
    static nn::test::ScratchDatabase db("nn_db_");
    static const std::string url = db.Url();
    return url;
}

inline PoolOptions TestPool(std::size_t max_size = 4) {
    PoolOptions opts;
    opts.connection.url = DbUrl();
    opts.min_size = 1;
    opts.max_size = max_size;
    return opts;
}

}  // namespace nn::db::testkit
