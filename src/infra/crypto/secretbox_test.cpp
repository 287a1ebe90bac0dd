#include "infra/crypto/secretbox.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

KeyRing Ring(std::string_view spec) {
    return ParseSecretboxKeys(spec);
}

std::string Entry(std::string_view kid) {
    return std::string(kid) + ":" + Base64UrlEncode(RandomBytes(32));
}

TEST(SecretboxTest, RoundTripsWithARandomNonce) {
    const KeyRing keys = Ring(Entry("p1"));
    for (const std::string& plaintext : {std::string(), std::string("+44 20 7946 0958"),
                                         std::string(5000, 'x'), std::string("\0\x01\xff", 3)}) {
        const std::string blob = Encrypt(keys, plaintext);
        EXPECT_TRUE(blob.starts_with("v1.p1.")) << blob;
        if (plaintext.size() > 3) {
            EXPECT_EQ(blob.find(plaintext), std::string::npos);
        }
        EXPECT_EQ(Decrypt(keys, blob).value_or("<failed>"), plaintext);
    }
    EXPECT_NE(Encrypt(keys, "same"), Encrypt(keys, "same"));
}

TEST(SecretboxTest, DetectsTampering) {
    const KeyRing keys = Ring(Entry("p1"));
    const std::string blob = Encrypt(keys, "DE89 3704 0044 0532 0130 00");
    const std::size_t body_at = std::string("v1.p1.").size();
    std::string sealed = Base64UrlDecode(std::string_view(blob).substr(body_at)).value();
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        std::string changed = sealed;
        changed[i] = static_cast<char>(changed[i] ^ 0x01);
        EXPECT_FALSE(Decrypt(keys, blob.substr(0, body_at) + Base64UrlEncode(changed)).has_value())
            << "byte " << i;
    }
    EXPECT_FALSE(Decrypt(keys, blob.substr(0, blob.size() - 1)).has_value());
    EXPECT_FALSE(Decrypt(keys, blob.substr(0, body_at) + Base64UrlEncode(sealed.substr(0, 39))).has_value());
    EXPECT_FALSE(Decrypt(keys, "v2" + blob.substr(2)).has_value());
    EXPECT_FALSE(Decrypt(keys, "").has_value());
    EXPECT_FALSE(Decrypt(keys, "v1.p1.").has_value());
    EXPECT_FALSE(Decrypt(keys, "v1..abc").has_value());
    EXPECT_FALSE(Decrypt(keys, blob + "=").has_value());
}

TEST(SecretboxTest, WrongOrUnknownKeyFails) {
    const KeyRing keys = Ring(Entry("p1"));
    const std::string blob = Encrypt(keys, "1990-04-01");
    EXPECT_FALSE(Decrypt(Ring(Entry("p1")), blob).has_value());  // same kid, other key
    EXPECT_FALSE(Decrypt(Ring(Entry("p2")), blob).has_value());  // kid not held
}

TEST(SecretboxTest, KeysRotate) {
    const std::string old_entry = Entry("2024");
    const std::string new_entry = Entry("2025");
    const KeyRing before = Ring(old_entry);
    const std::string old_blob = Encrypt(before, "tax id 123-45-6789");

    const KeyRing during = Ring(new_entry + "," + old_entry);
    EXPECT_EQ(EncryptedKid(old_blob).value_or(""), "2024");
    EXPECT_TRUE(NeedsReencrypt(during, old_blob));
    EXPECT_EQ(Decrypt(during, old_blob).value_or(""), "tax id 123-45-6789");
    const auto new_blob = Reencrypt(during, old_blob);
    ASSERT_TRUE(new_blob.has_value());
    EXPECT_TRUE(new_blob->starts_with("v1.2025."));
    EXPECT_FALSE(NeedsReencrypt(during, *new_blob));

    const KeyRing after = Ring(new_entry);
    EXPECT_EQ(Decrypt(after, *new_blob).value_or(""), "tax id 123-45-6789");
    EXPECT_FALSE(Decrypt(after, old_blob).has_value());
    EXPECT_FALSE(Reencrypt(after, old_blob).has_value());
}

TEST(SecretboxTest, RefusesToEncryptWithoutAProperKey) {
    EXPECT_THROW(Encrypt(KeyRing(), "x"), Error);
    KeyRing long_keys(32, 64);
    long_keys.Add("k", Secret(RandomBytes(64)));
    EXPECT_THROW(Encrypt(long_keys, "x"), Error);
}

}  // namespace
}  // namespace nn::crypto
