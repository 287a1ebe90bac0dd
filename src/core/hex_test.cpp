#include "core/hex.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace nn {
namespace {

TEST(HexDigitValue, ReadsBothCasesAndRefusesTheRest) {
    static_assert(HexDigitValue('0') == 0 && HexDigitValue('9') == 9);
    static_assert(HexDigitValue('a') == 10 && HexDigitValue('F') == 15);
    for (const char c : {'g', 'G', '/', ':', '@', '`', ' ', '\0', 'x'}) EXPECT_EQ(HexDigitValue(c), -1) << c;
    int sum = 0;
    for (const char c : std::string_view("0123456789abcdefABCDEF")) sum += HexDigitValue(c);
    EXPECT_EQ(sum, 45 + (10 + 11 + 12 + 13 + 14 + 15) * 2);
}

}  // namespace
}  // namespace nn
