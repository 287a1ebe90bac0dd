#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace nn::analytics {

// The indices of at most `max_points` points of a chart series (x ascending) chosen by
// Largest-Triangle-Three-Buckets (Steinarsson, 2013): the first and last points are kept, the
// rest is cut into max_points - 2 buckets and from each the point forming the largest triangle
// with the previously kept point and the next bucket's average is kept, so peaks and troughs
// survive where evenly spaced picks would drop them. Every index when the series already fits.
// Indices come back ascending; the caller picks the exact (Decimal) values it charts with them.
// Precondition: x.size() == y.size(); max_points < 3 is treated as 3.
std::vector<std::size_t> DownsampleIndices(std::span<const double> x,
                                           std::span<const double> y,
                                           std::size_t max_points);

}  // namespace nn::analytics
