#pragma once

// Private to nn_http: the server's own request metrics (counts, latency histogram, in-flight,
// connections), rendered on GET /metrics before the MetricsRegistry families.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "infra/http/request.hpp"
#include "infra/http/router.hpp"

namespace nn::http::detail {

// Upper bounds (seconds) of the request-duration histogram buckets.
inline constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
inline constexpr std::size_t kMethods = 8;        // the values of Method
inline constexpr std::size_t kStatusClasses = 5;  // 1xx .. 5xx

// Per route name: request counts by method and status class, and a latency histogram.
struct alignas(64) RouteStats {
    std::array<std::atomic<std::uint64_t>, kMethods * kStatusClasses> counts{};
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};  // last: above every bound
    std::atomic<std::uint64_t> sum_us{0};
};

struct alignas(64) ShardStats {
    std::vector<RouteStats> routes;  // by route slot
    std::atomic<std::int64_t> in_flight{0};
};

// Each shard counts into its own slots (single writer: plain load+store, no locked instructions,
// no cache line shared between cores); a scrape sums the shards.
class HttpMetrics {
public:
    // Gives every route name a slot (plus "unmatched"); call once every route is registered.
    void Prepare(const std::vector<std::unique_ptr<Route>>& routes, std::size_t shards);
    // On the request's shard only. `route` nullptr: refused before routing, or no route matched.
    void Record(std::size_t shard,
                const Route* route,
                Method method,
                int status,
                std::chrono::steady_clock::duration elapsed);
    std::atomic<std::int64_t>& InFlight(std::size_t shard) { return shards_[shard].in_flight; }
    // Appends the Prometheus text of every server figure.
    void Render(std::string& out, std::size_t connections) const;

    std::atomic<std::uint64_t> rejected{0};  // connections refused over the cap

private:
    void RenderCounts(std::string& out) const;
    void RenderDurations(std::string& out) const;

    std::vector<std::string> names_;  // by slot; the last is "unmatched"
    std::unordered_map<const Route*, std::size_t> slot_of_;
    std::vector<ShardStats> shards_;
};

// Counts a request in progress on its shard for as long as it lives.
struct InFlight {
    explicit InFlight(std::atomic<std::int64_t>& c) : counter(c) {
        counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    ~InFlight() { counter.store(counter.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    std::atomic<std::int64_t>& counter;
};

}  // namespace nn::http::detail
