#include "core/percent_decode.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace nn {
namespace {

struct Case {
    std::string in;
    std::optional<std::string> out;
};

TEST(PercentDecode, DecodesEscapesAndRefusesMalformedOnes) {
    const Case cases[] = {
        {"", ""},
        {"plain", "plain"},
        {"a%20b", "a b"},
        {"%41%42c", "ABc"},
        {"p%40ss%3Aw%2Fd", "p@ss:w/d"},
        {"%e2%82%AC", "\xe2\x82\xac"},
        {"a+b", "a+b"},
        {"100%25", "100%"},
        {"%00", std::string(1, '\0')},
        {"%", std::nullopt},
        {"abc%", std::nullopt},
        {"%4", std::nullopt},
        {"a%4", std::nullopt},
        {"%zz", std::nullopt},
        {"%4g", std::nullopt},
        {"%g4", std::nullopt},
        {"%%41", std::nullopt},
        {"ok%2", std::nullopt},
    };
    for (const Case& c : cases) EXPECT_EQ(PercentDecode(c.in), c.out) << '"' << c.in << '"';
}

}  // namespace
}  // namespace nn
