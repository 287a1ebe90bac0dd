#include "infra/crypto/encoding.hpp"

#include <gtest/gtest.h>

#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

struct Row {
    std::string bytes;
    std::string base64;
    std::string base64url;
};

// security.md §3.6 (RFC 4648 §10 plus the two alphabet rows).
const Row kRows[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    {"\xfb\xff\xbf", "+/+/", "-_-_"},
    {"\xfb\xff", "+/8=", "-_8"},
};

TEST(Base64UrlTest, EncodesAndDecodesTheRfcTable) {
    for (const auto& row : kRows) {
        EXPECT_EQ(Base64UrlEncode(row.bytes), row.base64url);
        EXPECT_EQ(Base64Encode(row.bytes), row.base64);
        const auto url = Base64UrlDecode(row.base64url);
        ASSERT_TRUE(url.has_value()) << row.base64url;
        EXPECT_EQ(*url, row.bytes);
        const auto std = Base64Decode(row.base64);
        ASSERT_TRUE(std.has_value()) << row.base64;
        EXPECT_EQ(*std, row.bytes);
    }
}

TEST(Base64UrlTest, RejectsEverythingButTheCanonicalForm) {
    const char* rejected[] = {
        "Zg==",     // padding
        "Zm8=",     // padding
        "Zg=",      // padding
        "+/+/",     // standard alphabet
        "Zm9v\n",   // whitespace
        "Zm 9v",    // whitespace
        "Zm9v\r",   // whitespace
        "Zm9vY",    // length 1 mod 4
        "Z",        // length 1 mod 4
        "Zh",       // non-zero pad bits ("f" is "Zg")
        "Zi",       // non-zero pad bits
        "Zv",       // non-zero pad bits
        "Zm9",      // non-zero pad bits ("fo" is "Zm8")
        "Zm9vYh",   // non-zero pad bits
        "Zm9v\x80"  // not ASCII
    };
    for (const char* text : rejected) EXPECT_FALSE(Base64UrlDecode(text).has_value()) << text;
    EXPECT_FALSE(Base64UrlDecode(std::string_view("Zm\0v", 4)).has_value());
}

TEST(Base64Test, StandardDecodeIsStrictToo) {
    const char* rejected[] = {"Zg", "Zg=", "Zh==", "Zm9=", "Zg=A", "Zm9v====", "-_8=", "Zm9v\n", "Zg===="};
    for (const char* text : rejected) EXPECT_FALSE(Base64Decode(text).has_value()) << text;
    EXPECT_EQ(Base64DecodeUnpadded("Zm8").value_or("?"), "fo");
    EXPECT_FALSE(Base64DecodeUnpadded("Zm8=").has_value());
    EXPECT_EQ(Base64EncodeUnpadded("fo"), "Zm8");
}

TEST(Base64UrlTest, RoundTripsRandomBytesOfEveryLength) {
    for (std::size_t n = 0; n < 70; ++n) {
        const std::string bytes = RandomBytes(n);
        const auto back = Base64UrlDecode(Base64UrlEncode(bytes));
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, bytes);
        EXPECT_EQ(Base64Decode(Base64Encode(bytes)).value_or("?"), bytes);
    }
}

TEST(HexTest, EncodesLowerCaseAndDecodesStrictly) {
    EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
    EXPECT_EQ(HexDecode("0001ABff").value_or("?"), std::string("\x00\x01\xab\xff", 4));
    EXPECT_EQ(HexDecode("").value_or("?"), "");
    EXPECT_FALSE(HexDecode("abc").has_value());
    EXPECT_FALSE(HexDecode("zz").has_value());
    EXPECT_FALSE(HexDecode("0x").has_value());
}

}  // namespace
}  // namespace nn::crypto
