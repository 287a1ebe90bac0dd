#include "analytics/downsample.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace nn::analytics {
namespace {

TEST(Downsample, SmallSeriesKeepsEveryPoint) {
    const std::vector<double> x{0, 1, 2};
    const std::vector<double> y{5, 6, 7};
    EXPECT_EQ(DownsampleIndices(x, y, 10), (std::vector<std::size_t>{0, 1, 2}));
    EXPECT_TRUE(DownsampleIndices({}, {}, 10).empty());
}

// 3,650 flat days with one spike at 1,234 and one dip at 2,900: bounded to 100 points, the first
// and last days, the spike and the dip survive; indices ascend without repeats.
TEST(Downsample, BoundedAndKeepsExtremes) {
    std::vector<double> x;
    std::vector<double> y;
    for (int i = 0; i < 3650; ++i) {
        x.push_back(i);
        y.push_back(i == 1234 ? 500.0 : (i == 2900 ? -300.0 : 100.0 + (i % 7)));
    }
    const std::vector<std::size_t> kept = DownsampleIndices(x, y, 100);
    ASSERT_EQ(kept.size(), 100u);
    EXPECT_EQ(kept.front(), 0u);
    EXPECT_EQ(kept.back(), 3649u);
    EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
    EXPECT_EQ(std::adjacent_find(kept.begin(), kept.end()), kept.end());
    EXPECT_NE(std::find(kept.begin(), kept.end(), 1234u), kept.end());
    EXPECT_NE(std::find(kept.begin(), kept.end(), 2900u), kept.end());
}

TEST(Downsample, TinyBoundIsThree) {
    std::vector<double> x{0, 1, 2, 3, 4, 5};
    std::vector<double> y{0, 1, 9, 1, 0, 0};
    const std::vector<std::size_t> kept = DownsampleIndices(x, y, 1);
    EXPECT_EQ(kept, (std::vector<std::size_t>{0, 2, 5}));
}

}  // namespace
}  // namespace nn::analytics
