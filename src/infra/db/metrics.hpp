#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace nn::db {

// Per named query figures for /metrics, keyed by Query::name ("" for unnamed statements).
struct QueryStat {
    std::string name;
    std::uint64_t calls = 0;
    std::uint64_t errors = 0;    // any failure, including timeouts
    std::uint64_t timeouts = 0;  // client deadline passed
    std::chrono::microseconds total_time{0};
    std::chrono::microseconds max_time{0};
};

// Shared by the connections of a pool. Recording happens on the pool's event loop; a /metrics
// handler on another thread may take a Snapshot, hence the (uncontended) mutex.
class QueryMetrics {
public:
    enum class Outcome { kOk, kError, kTimeout };

    void Record(std::string_view name, std::chrono::microseconds elapsed, Outcome outcome);
    std::vector<QueryStat> Snapshot() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, QueryStat, std::less<>> stats_;
};

}  // namespace nn::db
