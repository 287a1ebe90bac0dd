#include "infra/crypto/key_ring.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

std::string Key(std::size_t n) {
    return Base64UrlEncode(RandomBytes(n));
}

std::string CodeOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.Code();
    }
    return "no error";
}

TEST(KeyRingTest, ParsesTheConfigFormatFirstEntryActive) {
    const std::string k1 = RandomBytes(32);
    const std::string k2 = RandomBytes(48);
    const KeyRing ring =
        ParseJwtKeys(" 2025-01:" + Base64UrlEncode(k1) + " , old_key:" + Base64UrlEncode(k2));
    EXPECT_EQ(ring.ActiveKid(), "2025-01");
    EXPECT_EQ(ring.ActiveKey().Reveal(), k1);
    ASSERT_NE(ring.Find("old_key"), nullptr);
    EXPECT_EQ(ring.Find("old_key")->Reveal(), k2);
    EXPECT_EQ(ring.Find("old"), nullptr);
    EXPECT_EQ(ring.Kids(), (std::vector<std::string>{"2025-01", "old_key"}));
}

TEST(KeyRingTest, RefusesBadConfigWithoutEchoingKeys) {
    const std::string short_key = Key(31);
    const char* code = "crypto.bad_key_config";
    EXPECT_EQ(CodeOf([] { ParseJwtKeys(""); }), code);
    EXPECT_EQ(CodeOf([&] { ParseJwtKeys("k1:" + short_key); }), code);
    EXPECT_EQ(CodeOf([] { ParseJwtKeys("k1"); }), code);
    EXPECT_EQ(CodeOf([] { ParseJwtKeys("k1:"); }), code);
    EXPECT_EQ(CodeOf([&] { ParseJwtKeys("k1:" + Key(32) + "="); }), code);
    EXPECT_EQ(CodeOf([&] { ParseJwtKeys("k1:" + Key(32) + ","); }), code);
    EXPECT_EQ(CodeOf([&] { ParseJwtKeys("k.1:" + Key(32)); }), code);
    EXPECT_EQ(CodeOf([&] { ParseJwtKeys("../k:" + Key(32)); }), code);
    EXPECT_EQ(CodeOf([&] { ParseJwtKeys("k1:" + Key(32) + ",k1:" + Key(32)); }), code);
    EXPECT_EQ(CodeOf([&] { ParseSecretboxKeys("k1:" + Key(33)); }), code);
    EXPECT_EQ(CodeOf([&] { ParseSecretboxKeys("k1:" + Key(32)); }), "no error");
    try {
        ParseJwtKeys("k1:" + short_key);
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).find(short_key), std::string::npos) << e.what();
    }
}

TEST(KeyRingTest, RotationRules) {
    KeyRing ring;
    EXPECT_TRUE(ring.Empty());
    EXPECT_THROW(ring.ActiveKid(), Error);
    ring.Add("a", Secret(RandomBytes(32)));
    ring.Add("b", Secret(RandomBytes(32)));
    EXPECT_EQ(ring.ActiveKid(), "a");
    EXPECT_THROW(ring.Remove("a"), Error);
    EXPECT_THROW(ring.SetActive("c"), Error);
    ring.SetActive("b");
    ring.Remove("a");
    EXPECT_EQ(ring.Find("a"), nullptr);
    EXPECT_EQ(ring.ActiveKid(), "b");
    EXPECT_THROW(ring.Add("b", Secret(RandomBytes(32))), Error);
    EXPECT_THROW(ring.Add("c", Secret(RandomBytes(16))), Error);
}

TEST(KeyRingTest, NewKeyEntriesParse) {
    const std::string spec = NewKeyEntry("fresh") + "," + NewKeyEntry("older", 64);
    const KeyRing jwt = ParseJwtKeys(spec);
    EXPECT_EQ(jwt.ActiveKid(), "fresh");
    EXPECT_EQ(jwt.ActiveKey().Reveal().size(), 32U);
    EXPECT_EQ(jwt.Find("older")->Reveal().size(), 64U);
    EXPECT_NE(NewKeyEntry("k"), NewKeyEntry("k"));
    EXPECT_EQ(ParseSecretboxKeys(NewKeyEntry("f1")).ActiveKey().Reveal().size(), 32U);
    EXPECT_THROW(NewKeyEntry("bad kid"), Error);
}

TEST(KeyRingTest, KidCharset) {
    EXPECT_TRUE(KeyRing::IsValidKid("A-z_09"));
    EXPECT_TRUE(KeyRing::IsValidKid(std::string(64, 'k')));
    EXPECT_FALSE(KeyRing::IsValidKid(std::string(65, 'k')));
    EXPECT_FALSE(KeyRing::IsValidKid(""));
    for (const char* kid : {"a b", "a.b", "a/b", "a:b", "a,b", "'", "é"})
        EXPECT_FALSE(KeyRing::IsValidKid(kid)) << kid;
}

}  // namespace
}  // namespace nn::crypto
