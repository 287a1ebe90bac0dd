#pragma once

// Medians of rounds: the benchmarks alternate ours and the limit over several rounds on a shared,
// noisy machine and report the median (and the range) rather than one measurement.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace nn::bench {

// The median of `v` (not empty): the middle value, or the mean of the two middle ones.
inline double Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// "0.24 (0.22-0.25 in 3 rounds)": the median of `v` and its range; "-" when `v` is empty.
inline std::string MedianAndRange(const std::vector<double>& v) {
    if (v.empty()) return "-";
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    char text[64];
    std::snprintf(text, sizeof text, "%.2f (%.2f-%.2f in %zu rounds)", Median(v), *lo, *hi, v.size());
    return text;
}

}  // namespace nn::bench
