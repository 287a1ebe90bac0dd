#include "analytics/downsample.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace nn::analytics {

std::vector<std::size_t> DownsampleIndices(std::span<const double> x,
                                           std::span<const double> y,
                                           std::size_t max_points) {
    const std::size_t n = std::min(x.size(), y.size());
    max_points = std::max<std::size_t>(max_points, 3);
    std::vector<std::size_t> out;
    if (n <= max_points) {
        out.resize(n);
        std::iota(out.begin(), out.end(), 0);
        return out;
    }
    out.reserve(max_points);
    out.push_back(0);
    const std::size_t buckets = max_points - 2;
    // Bucket k covers the inner points [begin(k), begin(k + 1)).
    auto begin = [&](std::size_t k) { return 1 + k * (n - 2) / buckets; };
    std::size_t kept = 0;
    for (std::size_t k = 0; k < buckets; ++k) {
        const std::size_t from = begin(k);
        const std::size_t to = begin(k + 1);
        // The next bucket's average (the last point for the last bucket).
        double next_x = x[n - 1];
        double next_y = y[n - 1];
        if (k + 1 < buckets) {
            const std::size_t next_to = begin(k + 2);
            next_x = next_y = 0.0;
            for (std::size_t i = to; i < next_to; ++i) {
                next_x += x[i];
                next_y += y[i];
            }
            next_x /= static_cast<double>(next_to - to);
            next_y /= static_cast<double>(next_to - to);
        }
        std::size_t chosen = from;
        double largest = -1.0;
        for (std::size_t i = from; i < to; ++i) {
            const double area =
                std::abs((x[kept] - next_x) * (y[i] - y[kept]) - (x[kept] - x[i]) * (next_y - y[kept]));
            if (area > largest) {
                largest = area;
                chosen = i;
            }
        }
        out.push_back(chosen);
        kept = chosen;
    }
    out.push_back(n - 1);
    return out;
}

}  // namespace nn::analytics
