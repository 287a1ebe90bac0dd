#include "infra/http/request_metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "infra/http/metrics.hpp"

namespace nn::http::detail {
namespace {

void Bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// The total over every shard of one counter of a route slot; `field` picks it from RouteStats.
template <class Field>
std::uint64_t SumShards(const std::vector<ShardStats>& shards, std::size_t slot, Field field) {
    std::uint64_t total = 0;
    for (const auto& shard : shards) total += field(shard.routes[slot]).load(std::memory_order_relaxed);
    return total;
}

}  // namespace

void HttpMetrics::Prepare(const std::vector<std::unique_ptr<Route>>& routes, std::size_t shards) {
    std::map<std::string, std::size_t> by_name;
    for (const auto& route : routes) {
        auto [it, added] = by_name.emplace(route->name, names_.size());
        if (added) names_.push_back(route->name);
        slot_of_[route.get()] = it->second;
    }
    names_.push_back("unmatched");
    shards_ = std::vector<ShardStats>(shards);
    for (auto& shard : shards_) shard.routes = std::vector<RouteStats>(names_.size());
}

void HttpMetrics::Record(std::size_t shard,
                         const Route* route,
                         Method method,
                         int status,
                         std::chrono::steady_clock::duration elapsed) {
    std::size_t slot = names_.size() - 1;
    if (route != nullptr) {
        if (auto it = slot_of_.find(route); it != slot_of_.end()) slot = it->second;
    }
    RouteStats& stats = shards_[shard].routes[slot];
    const int status_class = std::clamp(status / 100, 1, 5) - 1;
    Bump(stats.counts[static_cast<std::size_t>(method) * kStatusClasses +
                      static_cast<std::size_t>(status_class)]);
    const double seconds = std::chrono::duration<double>(elapsed).count();
    std::size_t bucket = 0;
    while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
    Bump(stats.buckets[bucket]);
    Bump(stats.sum_us,
         static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
}

void HttpMetrics::RenderCounts(std::string& out) const {
    out += "# HELP nn_http_requests_total HTTP requests answered, by route, method and status class.\n";
    out += "# TYPE nn_http_requests_total counter\n";
    for (std::size_t slot = 0; slot < names_.size(); ++slot) {
        for (std::size_t m = 0; m < kMethods; ++m) {
            for (std::size_t c = 0; c < kStatusClasses; ++c) {
                const auto v = SumShards(
                    shards_, slot, [&](const RouteStats& r) -> const auto& {
                        return r.counts[m * kStatusClasses + c];
                    });
                if (v == 0) continue;
                AppendSample(out, "nn_http_requests_total",
                             {{"route", names_[slot]},
                              {"method", std::string(MethodName(static_cast<Method>(m)))},
                              {"status", std::to_string(c + 1) + "xx"}},
                             static_cast<double>(v));
            }
        }
    }
}

void HttpMetrics::RenderDurations(std::string& out) const {
    out +=
        "# HELP nn_http_request_duration_seconds Time from the request header to the response, by "
        "route.\n";
    out += "# TYPE nn_http_request_duration_seconds histogram\n";
    for (std::size_t slot = 0; slot < names_.size(); ++slot) {
        std::array<std::uint64_t, kBuckets.size() + 1> buckets{};
        std::uint64_t count = 0;
        for (std::size_t b = 0; b < buckets.size(); ++b) {
            buckets[b] = SumShards(
                shards_, slot, [&](const RouteStats& r) -> const auto& { return r.buckets[b]; });
            count += buckets[b];
        }
        if (count == 0) continue;
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < kBuckets.size(); ++b) {
            cumulative += buckets[b];
            char le[32];
            std::snprintf(le, sizeof le, "%g", kBuckets[b]);
            AppendSample(out, "nn_http_request_duration_seconds_bucket",
                         {{"route", names_[slot]}, {"le", le}}, static_cast<double>(cumulative));
        }
        AppendSample(out, "nn_http_request_duration_seconds_bucket",
                     {{"route", names_[slot]}, {"le", "+Inf"}}, static_cast<double>(count));
        const auto sum_us = SumShards(
            shards_, slot, [](const RouteStats& r) -> const auto& { return r.sum_us; });
        AppendSample(out, "nn_http_request_duration_seconds_sum", {{"route", names_[slot]}},
                     static_cast<double>(sum_us) / 1e6);
        AppendSample(out, "nn_http_request_duration_seconds_count", {{"route", names_[slot]}},
                     static_cast<double>(count));
    }
}

void HttpMetrics::Render(std::string& out, std::size_t connections) const {
    RenderCounts(out);
    RenderDurations(out);
    std::int64_t in_flight = 0;
    for (const auto& shard : shards_) in_flight += shard.in_flight.load(std::memory_order_relaxed);
    out += "# HELP nn_http_requests_in_flight Requests being handled now.\n";
    out += "# TYPE nn_http_requests_in_flight gauge\n";
    AppendSample(out, "nn_http_requests_in_flight", {}, static_cast<double>(in_flight));
    out += "# HELP nn_http_connections Open client connections.\n# TYPE nn_http_connections gauge\n";
    AppendSample(out, "nn_http_connections", {}, static_cast<double>(connections));
    out +=
        "# HELP nn_http_connections_rejected_total Connections refused with 503 over the connection "
        "cap.\n";
    out += "# TYPE nn_http_connections_rejected_total counter\n";
    AppendSample(out, "nn_http_connections_rejected_total", {}, static_cast<double>(rejected.load()));
}

}  // namespace nn::http::detail
