#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "infra/db/pipeline.hpp"

// Fused writes: consecutive fusable writes (Query::fusable) of a batch sent as one statement,
//
//   WITH w0 AS (INSERT INTO a ...), w1 AS (UPDATE b ... $1 ...) SELECT
//
// with the second part's $1 renumbered after the first part's parameters. Each statement a
// transaction sends costs PostgreSQL a bind, an executor start with the row-level policies'
// init plans, and an end; recording a portfolio transaction wrote six rows with six statements
// (issue 16). A run of fusable writes is cut where a table would be written twice (two parts on
// one table could meet on one row, which a single statement may not do) and where a statement
// cannot be renumbered safely (dollar quoting, comments); anything not fusable is sent as it is.
namespace nn::db::fuse {

// `sql` with every parameter $n written as $(n + offset); nullopt when the text has what this
// scanner does not follow (a dollar-quoted string, a comment).
std::optional<std::string> Renumbered(std::string_view sql, std::size_t offset);

// The table an INSERT INTO / UPDATE / DELETE FROM writes (as written, e.g. "portfolio.holdings");
// nullopt for anything else, a statement with its own WITH included.
std::optional<std::string> TargetOf(std::string_view sql);

// `batch` with each run of two or more fusable writes replaced by their fused statement (its SQL
// and name kept in `texts`, which must outlive the batch); everything else in its place and order.
Pipeline Fused(const Pipeline& batch, std::deque<std::string>& texts);

}  // namespace nn::db::fuse
