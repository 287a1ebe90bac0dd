#include "core/percent_coding.hpp"

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

// The one encoder of database URLs (user, password, database name) and mail links (tokens).
TEST(PercentEncode, KeepsUnreservedAndEscapesEveryOtherByte) {
    EXPECT_EQ(PercentEncode(""), "");
    EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
    EXPECT_EQ(PercentEncode("a b+c/d?e=f&g#\xc3\xa9"), "a%20b%2Bc%2Fd%3Fe%3Df%26g%23%C3%A9");
    EXPECT_EQ(PercentEncode(std::string("p@ss:w%rd\0", 10)), "p%40ss%3Aw%25rd%00");
    EXPECT_EQ(PercentDecode(PercentEncode("any \xff byte")), "any \xff byte");
}

}  // namespace
}  // namespace nn
