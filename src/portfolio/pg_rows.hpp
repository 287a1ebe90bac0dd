#pragma once

#include "infra/db/result.hpp"
#include "portfolio/model.hpp"

// Rows PgRepository reads in more than one of its files (pg_repository*.cpp).
namespace nn::portfolio {

// A row of GetPortfolio's columns (the benchmarks as a text array last).
Portfolio ReadPortfolio(const db::Row& r);

}  // namespace nn::portfolio
