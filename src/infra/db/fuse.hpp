#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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

// What Fused makes of a batch: its runs of two or more fusable writes, each the items
// [first, first + count) fused into one statement (`query` views `sql` and `name`); every other
// item goes as it is. It depends on the items' SQL, names, fusable flags and parameter counts only.
struct Run {
    std::size_t first = 0;
    std::size_t count = 0;
    std::string sql;
    std::string name;
    Query query;
};
using Plan = std::vector<Run>;

// Plans kept by the sequence of statements they were made for (their SQL, names, fusable flags
// and parameter counts). Entries never move or go, so the texts their queries view
// stay valid for the cache's life; past `max_plans` (SQL made at run time) nothing more is kept.
class PlanCache {
public:
    explicit PlanCache(std::size_t max_plans) : max_plans_(max_plans) {}

    const Plan* Find(const std::string& key);
    // The plan kept for `key` (this one, or one another thread kept first); nullptr when full.
    const Plan* Keep(std::string key, Plan plan);

private:
    std::size_t max_plans_;
    std::mutex mutex_;
    std::unordered_map<std::string, Plan> plans_;
};

// The process's plans: a deployment sends a few dozen sequences of writes.
PlanCache& ProcessPlans();

// `batch` with each run of two or more fusable writes replaced by their fused statement;
// everything else in its place and order, each statement with its own parameters (moved). A
// sequence's plan is made once and kept in `plans`; when `plans` is full, its texts are kept in
// `texts`, which must then outlive the batch.
Pipeline Fused(Pipeline batch, std::deque<std::string>& texts, PlanCache& plans = ProcessPlans());

}  // namespace nn::db::fuse
