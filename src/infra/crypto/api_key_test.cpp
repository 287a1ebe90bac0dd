#include "infra/crypto/api_key.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "core/error.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

const Secret kPepper(std::string(RandomBytes(32)));

TEST(Crc32Test, MatchesTheStandardCheckValue) {
    EXPECT_EQ(Crc32("123456789"), 0xCBF43926U);
    EXPECT_EQ(Crc32(""), 0U);
    EXPECT_EQ(Crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339U);
}

TEST(ApiKeyTest, GeneratedKeysHaveTheDocumentedShape) {
    const GeneratedApiKey key = GenerateApiKey(kPepper, "live");
    const std::regex shape("nnk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}_[0-9A-Za-z]{6}");
    EXPECT_TRUE(std::regex_match(key.full_key.Reveal(), shape)) << key.full_key.Reveal();
    EXPECT_EQ(key.display_prefix, "nnk_live_" + key.key_id);
    EXPECT_TRUE(key.full_key.Reveal().starts_with(key.display_prefix + "_"));
    EXPECT_EQ(key.secret_hash.size(), 64U);
    EXPECT_EQ(key.full_key.Reveal().find(key.secret_hash), std::string::npos);
}

TEST(ApiKeyTest, ParseAndVerify) {
    const GeneratedApiKey key = GenerateApiKey(kPepper, "test");
    const auto parsed = ParseApiKey(key.full_key.Reveal());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->env, "test");
    EXPECT_EQ(parsed->key_id, key.key_id);
    EXPECT_TRUE(VerifyApiKey(kPepper, *parsed, key.secret_hash));
    EXPECT_FALSE(VerifyApiKey(Secret(std::string(RandomBytes(32))), *parsed, key.secret_hash));
    const GeneratedApiKey other = GenerateApiKey(kPepper, "test");
    EXPECT_FALSE(VerifyApiKey(kPepper, *parsed, other.secret_hash));
    EXPECT_NE(other.key_id, key.key_id);
}

TEST(ApiKeyTest, ChecksumCatchesTypos) {
    const std::string good = GenerateApiKey(kPepper).full_key.Reveal();
    const std::string_view alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    int positions = 0;
    // Every single-character substitution anywhere in id, secret or checksum is rejected.
    for (std::size_t i = std::string("nnk_live_").size(); i < good.size(); ++i) {
        if (good[i] == '_') continue;
        std::string typo = good;
        typo[i] = alphabet[(alphabet.find(good[i]) + 1) % alphabet.size()];
        EXPECT_FALSE(ParseApiKey(typo).has_value()) << "position " << i;
        ++positions;
    }
    EXPECT_EQ(positions, 12 + 43 + 6);
    // Transposed neighbours.
    std::string swapped = good;
    const std::size_t at = good.size() - 20;
    if (swapped[at] != swapped[at + 1]) {
        std::swap(swapped[at], swapped[at + 1]);
        EXPECT_FALSE(ParseApiKey(swapped).has_value());
    }
}

TEST(ApiKeyTest, RejectsWrongFormats) {
    const std::string good = GenerateApiKey(kPepper, "dev").full_key.Reveal();
    ASSERT_TRUE(ParseApiKey(good).has_value());
    const std::string bad[] = {
        "",
        good.substr(0, good.size() - 1),
        good + "A",
        " " + good,
        good + "\n",
        "ghp_" + good.substr(4),
        "NNK" + good.substr(3),
        "nnk__" + good.substr(8),  // empty env
        "nnk_DEV" + good.substr(7),
        "nnk_d-v" + good.substr(7),
        "Bearer " + good,
    };
    for (const auto& text : bad) EXPECT_FALSE(ParseApiKey(text).has_value()) << text;
}

TEST(ApiKeyTest, RefusesWeakPepperAndBadEnv) {
    EXPECT_THROW(GenerateApiKey(Secret("short pepper")), Error);
    EXPECT_THROW(GenerateApiKey(kPepper, ""), Error);
    EXPECT_THROW(GenerateApiKey(kPepper, "Live"), Error);
    EXPECT_THROW(GenerateApiKey(kPepper, std::string(17, 'a')), Error);
    EXPECT_NO_THROW(GenerateApiKey(kPepper, std::string(16, 'a')));
}

TEST(ApiKeyTest, SecretsAreUniformlyBase62) {
    std::set<char> seen;
    for (int i = 0; i < 50; ++i) {
        const auto parsed = ParseApiKey(GenerateApiKey(kPepper).full_key.Reveal());
        ASSERT_TRUE(parsed.has_value());
        for (const char c : parsed->secret.Reveal()) seen.insert(c);
    }
    EXPECT_EQ(seen.size(), 62U);  // 2150 draws: missing a digit has probability ~62 * e^-35
}

}  // namespace
}  // namespace nn::crypto
