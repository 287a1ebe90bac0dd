#include "infra/crypto/hash.hpp"

#include <gtest/gtest.h>

#include <set>

#include "infra/crypto/encoding.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

std::string Bytes(std::size_t n, char c) {
    return std::string(n, c);
}

std::string Unhex(std::string_view hex) {
    return HexDecode(hex).value();
}

struct HmacCase {
    int number;
    std::string key;
    std::string data;
    std::string expected_hex;  // for case 5 the RFC's 128-bit truncation
};

// RFC 4231 §4.2-4.8, as tabled in security.md §3.3.
const HmacCase kRfc4231[] = {
    {1, Bytes(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {2, "Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {3, Bytes(20, '\xaa'), Bytes(50, '\xdd'),
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {4, Unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Bytes(50, '\xcd'),
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {5, Bytes(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
    {6, Bytes(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {7, Bytes(131, '\xaa'),
     "This is a test using a larger than block-size key and a larger than block-size data. The key needs to "
     "be "
     "hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

TEST(HmacSha256Test, MatchesRfc4231Cases1To7) {
    for (const auto& tc : kRfc4231) {
        const std::string tag = HexEncode(HmacSha256(tc.key, tc.data));
        ASSERT_EQ(tag.size(), 64U);
        EXPECT_EQ(tag.substr(0, tc.expected_hex.size()), tc.expected_hex) << "test case " << tc.number;
    }
    // Case 5 in full, as recomputed in security.md.
    EXPECT_EQ(HexEncode(HmacSha256(Bytes(20, '\x0c'), "Test With Truncation")),
              "a3b6167473100ee06e0c796c2955552bfa6f7c0a6a8aef8b93f860aab0cd20c5");
}

TEST(Sha256Test, MatchesFips180Examples) {
    EXPECT_EQ(HexEncode(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(HexEncode(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
    EXPECT_TRUE(ConstantTimeEqual("", ""));
    EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
    EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
    EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
    EXPECT_FALSE(ConstantTimeEqual(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(HashTokenTest, IsHexSha256OfTheTokenText) {
    EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string token = RandomToken();
    EXPECT_EQ(HashToken(token), HexEncode(Sha256(token)));
    EXPECT_NE(HashToken(token), HashToken(token + "x"));
}

TEST(RandomTest, TokensAre256BitBase64UrlAndDistinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string token = RandomToken();
        EXPECT_EQ(token.size(), 43U);
        const auto raw = Base64UrlDecode(token);
        ASSERT_TRUE(raw.has_value());
        EXPECT_EQ(raw->size(), 32U);
        seen.insert(token);
    }
    EXPECT_EQ(seen.size(), 100U);
    EXPECT_EQ(RandomBytes(0).size(), 0U);
    EXPECT_EQ(RandomBytes(100).size(), 100U);
    EXPECT_EQ(RandomToken(16).size(), 22U);
}

}  // namespace
}  // namespace nn::crypto
