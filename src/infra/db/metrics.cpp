#include "infra/db/metrics.hpp"

#include <algorithm>

namespace nn::db {

void QueryMetrics::Record(std::string_view name, std::chrono::microseconds elapsed, Outcome outcome) {
    std::lock_guard lock(mutex_);
    auto it = stats_.find(name);
    if (it == stats_.end()) {
        it = stats_.emplace(std::string(name), QueryStat{}).first;
        it->second.name = std::string(name);
    }
    QueryStat& s = it->second;
    ++s.calls;
    if (outcome != Outcome::kOk) ++s.errors;
    if (outcome == Outcome::kTimeout) ++s.timeouts;
    s.total_time += elapsed;
    s.max_time = std::max(s.max_time, elapsed);
}

std::vector<QueryStat> QueryMetrics::Snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<QueryStat> out;
    out.reserve(stats_.size());
    for (const auto& [name, stat] : stats_) out.push_back(stat);
    return out;
}

}  // namespace nn::db
