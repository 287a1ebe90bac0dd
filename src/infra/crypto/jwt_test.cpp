#include "infra/crypto/jwt.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/hash.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

using std::chrono::seconds;

constexpr std::string_view kIssuer = "https://auth.nexanest.test";
constexpr std::string_view kAudience = "nexanest-api";
constexpr UnixSeconds kNow{seconds(1'760'000'000)};
constexpr seconds kLeeway{30};

// A PEM public key, as an attacker would feed it in the RS256→HS256 confusion attack.
constexpr std::string_view kPublicKeyPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n"
    "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n"
    "-----END PUBLIC KEY-----\n";

class JwtTest : public ::testing::Test {
protected:
    JwtTest() {
        key1_ = RandomBytes(32);
        keys_.Add("k1", Secret(key1_));
        expect_.issuer = kIssuer;
        expect_.audience = kAudience;
        expect_.leeway = kLeeway;
    }

    static AccessClaims Claims() {
        AccessClaims c;
        c.issuer = kIssuer;
        c.subject = "0190c1a2-0000-7000-8000-000000000001";
        c.audience = {std::string(kAudience)};
        c.issued_at = kNow;
        c.not_before = kNow;
        c.expires_at = kNow + seconds(900);
        c.token_id = "jti-1";
        c.session_id = "sid-1";
        c.role = "USER";
        c.scope = "portfolio:read portfolio:write";
        return c;
    }

    static std::string StandardPayload() {
        return R"({"iss":"https://auth.nexanest.test","sub":"u1","aud":"nexanest-api","iat":1760000000,)"
               R"("nbf":1760000000,"exp":1760000900,"jti":"j1"})";
    }

    // A token with exactly these header and payload octets and an HS256 MAC under `key`.
    static std::string Forge(std::string_view header, std::string_view payload, std::string_view key) {
        std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
        return input + "." + Base64UrlEncode(HmacSha256(key, input));
    }

    std::string ForgeWithK1(std::string_view payload) const {
        return Forge(R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})", payload, key1_);
    }

    JwtError Check(std::string_view token) const { return VerifyJwt(keys_, token, kNow, expect_).error; }

    std::string key1_;
    KeyRing keys_;
    JwtExpectations expect_;
};

TEST_F(JwtTest, FreshTokenVerifiesWithEveryClaim) {
    AccessClaims claims = Claims();
    claims.extra_json = R"({"mfa":true,"tenant":"t-9"})";
    const std::string token = SignJwt(keys_, claims);
    const JwtVerification result = VerifyJwt(keys_, token, kNow, expect_);
    ASSERT_TRUE(result) << JwtErrorName(result.error);
    const AccessClaims& got = *result.claims;
    EXPECT_EQ(got.issuer, claims.issuer);
    EXPECT_EQ(got.subject, claims.subject);
    EXPECT_EQ(got.audience, claims.audience);
    EXPECT_EQ(got.issued_at, claims.issued_at);
    EXPECT_EQ(got.not_before, claims.not_before);
    EXPECT_EQ(got.expires_at, claims.expires_at);
    EXPECT_EQ(got.token_id, "jti-1");
    EXPECT_EQ(got.session_id, "sid-1");
    EXPECT_EQ(got.role, "USER");
    EXPECT_EQ(got.scope, "portfolio:read portfolio:write");
    EXPECT_EQ(got.extra_json, R"({"mfa":true,"tenant":"t-9"})");

    const auto header = Base64UrlDecode(token.substr(0, token.find('.')));
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(*header, R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})");
}

TEST_F(JwtTest, HandMadeTokenWithTheRightKeyVerifies) {
    // Control for the forged cases below: Forge() itself produces acceptable tokens.
    EXPECT_EQ(Check(ForgeWithK1(StandardPayload())), JwtError::kNone);
}

TEST_F(JwtTest, AudienceMayBeAnArrayContainingOurs) {
    AccessClaims claims = Claims();
    claims.audience = {"other-api", std::string(kAudience)};
    const std::string token = SignJwt(keys_, claims);
    const auto result = VerifyJwt(keys_, token, kNow, expect_);
    ASSERT_TRUE(result);
    EXPECT_EQ(result.claims->audience.size(), 2U);
    claims.audience = {"other-api", "third-api"};
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kWrongAudience);
}

TEST_F(JwtTest, RejectsAlgNoneFromRfc7519) {
    const std::string none =
        "eyJhbGciOiJub25lIn0."
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
        "cnVlfQ.";
    EXPECT_EQ(Check(none), JwtError::kBadAlgorithm);
    EXPECT_FALSE(VerifyJwsHs256(none, key1_).has_value());
    // The same with our typ and kid, and with a valid-looking payload.
    const std::string ours = Base64UrlEncode(R"({"alg":"none","typ":"at+jwt","kid":"k1"})") + "." +
                             Base64UrlEncode(StandardPayload()) + ".";
    EXPECT_EQ(Check(ours), JwtError::kBadAlgorithm);
    EXPECT_EQ(Check(Forge(R"({"alg":"None","typ":"at+jwt","kid":"k1"})", StandardPayload(), key1_)),
              JwtError::kBadAlgorithm);
    EXPECT_EQ(Check(Forge(R"({"typ":"at+jwt","kid":"k1"})", StandardPayload(), key1_)),
              JwtError::kBadAlgorithm);
}

TEST_F(JwtTest, RejectsOtherAlgorithms) {
    for (const char* alg : {"HS512", "HS384", "RS256", "ES256", "EdDSA", "hs256", "HS256 "}) {
        const std::string header = std::string(R"({"alg":")") + alg + R"(","typ":"at+jwt","kid":"k1"})";
        EXPECT_EQ(Check(Forge(header, StandardPayload(), key1_)), JwtError::kBadAlgorithm) << alg;
    }
    EXPECT_EQ(Check(Forge(R"({"alg":["HS256"],"typ":"at+jwt","kid":"k1"})", StandardPayload(), key1_)),
              JwtError::kBadAlgorithm);
}

TEST_F(JwtTest, RejectsRsaToHmacConfusion) {
    // HMAC keyed with a public key the attacker knows: under RS256 the algorithm is refused...
    EXPECT_EQ(Check(Forge(R"({"alg":"RS256","typ":"at+jwt","kid":"k1"})", StandardPayload(), kPublicKeyPem)),
              JwtError::kBadAlgorithm);
    // ...under HS256 with the key's own id the kid is unknown...
    EXPECT_EQ(
        Check(Forge(R"({"alg":"HS256","typ":"at+jwt","kid":"rsa-2024"})", StandardPayload(), kPublicKeyPem)),
        JwtError::kUnknownKey);
    // ...and under one of our kids the MAC does not match.
    EXPECT_EQ(Check(Forge(R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})", StandardPayload(), kPublicKeyPem)),
              JwtError::kBadSignature);
}

TEST_F(JwtTest, RejectsAlteredOrMissingSignatures) {
    const std::string token = SignJwt(keys_, Claims());
    const std::size_t dot = token.rfind('.');
    std::string mac = Base64UrlDecode(token.substr(dot + 1)).value();
    for (std::size_t bit : {0U, 7U, 128U, 255U}) {
        std::string flipped = mac;
        flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
        EXPECT_EQ(Check(token.substr(0, dot + 1) + Base64UrlEncode(flipped)), JwtError::kBadSignature) << bit;
    }
    EXPECT_EQ(Check(token.substr(0, dot + 1)), JwtError::kBadSignature);
    EXPECT_EQ(Check(token.substr(0, dot + 1) + Base64UrlEncode(mac.substr(0, 16))), JwtError::kBadSignature);
    // A changed payload under the original MAC.
    AccessClaims admin = Claims();
    admin.role = "ADMIN";
    const std::string other = SignJwt(keys_, admin);
    const std::size_t first = other.find('.');
    const std::string spliced =
        token.substr(0, token.find('.')) + other.substr(first, other.rfind('.') - first) + token.substr(dot);
    EXPECT_EQ(Check(spliced), JwtError::kBadSignature);
}

TEST_F(JwtTest, RejectsTokensSignedWithAnotherKeyUnderOurKid) {
    KeyRing impostor;
    impostor.Add("k1", Secret(RandomBytes(32)));
    EXPECT_EQ(Check(SignJwt(impostor, Claims())), JwtError::kBadSignature);
}

TEST_F(JwtTest, ChecksExpiryWithLeeway) {
    AccessClaims claims = Claims();
    claims.issued_at = kNow - seconds(1000);
    claims.not_before = claims.issued_at;
    claims.expires_at = kNow - kLeeway - seconds(1);
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kExpired);
    claims.expires_at = kNow - kLeeway;  // "on or after which it MUST NOT be accepted"
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kExpired);
    claims.expires_at = kNow - kLeeway + seconds(1);
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kNone);
}

TEST_F(JwtTest, RequiresExp) {
    EXPECT_EQ(Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","sub":"u1","aud":"nexanest-api",)"
                                R"("iat":1760000000,"jti":"j1"})")),
              JwtError::kMissingClaim);
}

TEST_F(JwtTest, ChecksNotBeforeAndIssuedAt) {
    AccessClaims claims = Claims();
    claims.not_before = kNow + kLeeway + seconds(1);
    claims.expires_at = kNow + seconds(900);
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kNotYetValid);
    claims.not_before = kNow + kLeeway;
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kNone);

    claims = Claims();
    claims.issued_at = kNow + kLeeway + seconds(1);
    claims.not_before = kNow;
    claims.expires_at = kNow + seconds(900);
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kIssuedInFuture);
    EXPECT_EQ(Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","sub":"u1","aud":"nexanest-api",)"
                                R"("exp":1760000900,"jti":"j1"})")),
              JwtError::kMissingClaim);
}

TEST_F(JwtTest, RequiresASubject) {
    EXPECT_EQ(
        Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","aud":"nexanest-api","iat":1760000000,)"
                          R"("exp":1760000900})")),
        JwtError::kMissingClaim);
    EXPECT_EQ(Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","sub":"","aud":"nexanest-api",)"
                                R"("iat":1760000000,"exp":1760000900})")),
              JwtError::kMissingClaim);
}

TEST_F(JwtTest, ChecksIssuerExactly) {
    AccessClaims claims = Claims();
    claims.issuer = "https://auth.nexanest.test/";
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kWrongIssuer);
    claims.issuer = "https://evil.example";
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kWrongIssuer);
    EXPECT_EQ(Check(ForgeWithK1(R"({"sub":"u1","aud":"nexanest-api","iat":1760000000,"exp":1760000900})")),
              JwtError::kMissingClaim);
}

TEST_F(JwtTest, ChecksAudience) {
    AccessClaims claims = Claims();
    claims.audience = {"nexanest-admin"};
    EXPECT_EQ(Check(SignJwt(keys_, claims)), JwtError::kWrongAudience);
    EXPECT_EQ(Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","sub":"u1","iat":1760000000,)"
                                R"("exp":1760000900})")),
              JwtError::kMissingClaim);
    EXPECT_EQ(Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","sub":"u1","aud":[],"iat":1760000000,)"
                                R"("exp":1760000900})")),
              JwtError::kWrongAudience);
    EXPECT_EQ(Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","sub":"u1","aud":7,"iat":1760000000,)"
                                R"("exp":1760000900})")),
              JwtError::kBadPayload);
}

TEST_F(JwtTest, ChecksTheExplicitType) {
    EXPECT_EQ(Check(SignJwt(keys_, Claims(), "refresh+jwt")), JwtError::kBadType);
    EXPECT_EQ(Check(SignJwt(keys_, Claims(), "JWT")), JwtError::kBadType);
    EXPECT_EQ(Check(SignJwt(keys_, Claims(), "AT+JWT")), JwtError::kBadType);
    EXPECT_EQ(Check(Forge(R"({"alg":"HS256","kid":"k1"})", StandardPayload(), key1_)), JwtError::kBadType);
    // A verifier set up for another kind refuses access tokens (RFC 8725 §3.12).
    JwtExpectations refresh = expect_;
    refresh.type = "refresh+jwt";
    EXPECT_EQ(VerifyJwt(keys_, SignJwt(keys_, Claims()), kNow, refresh).error, JwtError::kBadType);
}

TEST_F(JwtTest, LooksUpKidExactly) {
    for (const char* kid :
         {"k2", "../k1", "k1/../k1", "' OR 1=1 --", "k1' OR '1'='1", "K1", "k1 ", "", "k1\\u0000"}) {
        const std::string header = std::string(R"({"alg":"HS256","typ":"at+jwt","kid":")") + kid + "\"}";
        EXPECT_EQ(Check(Forge(header, StandardPayload(), key1_)), JwtError::kUnknownKey) << kid;
    }
    EXPECT_EQ(Check(Forge(R"({"alg":"HS256","typ":"at+jwt"})", StandardPayload(), key1_)),
              JwtError::kUnknownKey);
    EXPECT_EQ(Check(Forge(R"({"alg":"HS256","typ":"at+jwt","kid":1})", StandardPayload(), key1_)),
              JwtError::kUnknownKey);
}

TEST_F(JwtTest, RejectsWrongSegmentCounts) {
    const std::string token = SignJwt(keys_, Claims());
    const std::string two = token.substr(0, token.rfind('.'));
    EXPECT_EQ(Check(two), JwtError::kMalformed);
    EXPECT_EQ(Check(token + "."), JwtError::kMalformed);
    EXPECT_EQ(Check(token + ".e30"), JwtError::kMalformed);
    EXPECT_EQ(Check("." + token), JwtError::kMalformed);
    EXPECT_EQ(Check(""), JwtError::kMalformed);
    EXPECT_EQ(Check(".."), JwtError::kBadHeader);
    EXPECT_EQ(Check(std::string(kMaxJwtBytes + 1, 'a')), JwtError::kMalformed);
}

TEST_F(JwtTest, RejectsLaxBase64url) {
    const std::string token = SignJwt(keys_, Claims());
    const std::size_t dot = token.rfind('.');
    // A 32-byte MAC is 43 characters whose last one carries 2 unused bits.
    ASSERT_EQ(token.size() - dot - 1, 43U);
    EXPECT_EQ(Check(token + "="), JwtError::kBadEncoding);
    const std::string header = token.substr(0, token.find('.'));
    EXPECT_EQ(Check(header + "=" + token.substr(header.size())), JwtError::kBadEncoding);
    std::string lax = token;
    const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const std::size_t value = alphabet.find(lax.back());
    lax.back() = alphabet[value ^ 1];  // same decoded bytes in a lenient decoder, non-zero pad bit
    EXPECT_EQ(Check(lax), JwtError::kBadEncoding);
    std::string standard = token;
    for (char& c : standard) {
        if (c == '-') c = '+';
        if (c == '_') c = '/';
    }
    if (standard != token) {
        EXPECT_EQ(Check(standard), JwtError::kBadEncoding);
    }
    EXPECT_EQ(Check(header + " ." + token.substr(header.size() + 1)), JwtError::kBadEncoding);
}

TEST_F(JwtTest, RejectsDuplicateKeys) {
    EXPECT_EQ(
        Check(Forge(R"({"alg":"none","alg":"HS256","typ":"at+jwt","kid":"k1"})", StandardPayload(), key1_)),
        JwtError::kBadHeader);
    EXPECT_EQ(
        Check(Forge(R"({"alg":"HS256","alg":"HS256","typ":"at+jwt","kid":"k1"})", StandardPayload(), key1_)),
        JwtError::kBadHeader);
    EXPECT_EQ(
        Check(Forge(R"({"alg":"HS256","typ":"at+jwt","kid":"k1","kid":"k1"})", StandardPayload(), key1_)),
        JwtError::kBadHeader);
    // Escapes do not hide a repeat: "\u0061lg" is "alg".
    EXPECT_EQ(Check(Forge(R"({"alg":"HS256","\u0061lg":"none","typ":"at+jwt","kid":"k1"})", StandardPayload(),
                          key1_)),
              JwtError::kBadHeader);
    EXPECT_EQ(Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","sub":"u1","aud":"nexanest-api",)"
                                R"("iat":1760000000,"exp":1760000900,"role":"USER","role":"ADMIN"})")),
              JwtError::kBadPayload);
    // The same key in sibling objects is fine.
    EXPECT_EQ(Check(ForgeWithK1(R"({"iss":"https://auth.nexanest.test","sub":"u1","aud":"nexanest-api",)"
                                R"("iat":1760000000,"exp":1760000900,"a":{"x":1},"b":{"x":2}})")),
              JwtError::kNone);
}

TEST_F(JwtTest, RejectsHeadersAndPayloadsThatAreNotObjects) {
    for (const char* header : {R"(["HS256"])", R"("HS256")", "null", "7", "", "{", R"({"alg":"HS256"} {})",
                               R"({"alg":"HS256","typ":"at+jwt","kid":"k1",})"}) {
        EXPECT_EQ(Check(Forge(header, StandardPayload(), key1_)), JwtError::kBadHeader) << header;
    }
    EXPECT_EQ(
        Check(Forge("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"k\xff\"}", StandardPayload(), key1_)),
        JwtError::kBadHeader);
    EXPECT_EQ(
        Check(Forge(R"({"alg":"HS256","typ":"at+jwt","kid":"k1","crit":["exp"]})", StandardPayload(), key1_)),
        JwtError::kBadHeader);
    for (const char* payload : {"[]", R"("x")", "", "{"}) {
        EXPECT_EQ(Check(ForgeWithK1(payload)), JwtError::kBadPayload) << payload;
    }
}

TEST_F(JwtTest, RejectsClaimsOfTheWrongType) {
    const std::string base =
        R"("iss":"https://auth.nexanest.test","sub":"u1","aud":"nexanest-api","iat":1760000000)";
    for (const char* exp : {R"("1760000900")", "1760000900.5", "1.7e9", "true", "null", "-1"}) {
        const JwtError e = Check(ForgeWithK1("{" + base + R"(,"exp":)" + exp + "}"));
        EXPECT_NE(e, JwtError::kNone) << exp;
    }
    EXPECT_EQ(Check(ForgeWithK1("{" + base + R"(,"exp":"1760000900"})")), JwtError::kBadPayload);
    EXPECT_EQ(Check(ForgeWithK1("{" + base + R"(,"exp":1760000900,"role":["ADMIN"]})")),
              JwtError::kBadPayload);
    EXPECT_EQ(Check(ForgeWithK1("{" + base + R"(,"exp":1760000900,"sub":5})")), JwtError::kBadPayload);
    EXPECT_EQ(Check(ForgeWithK1("{" + base + R"(,"exp":99999999999999999999})")), JwtError::kBadPayload);
}

TEST_F(JwtTest, KeyRotationKeepsOldTokensUntilTheOldKeyIsRemoved) {
    const std::string old_token = SignJwt(keys_, Claims());
    keys_.Add("k2", Secret(RandomBytes(32)));
    keys_.SetActive("k2");
    const std::string new_token = SignJwt(keys_, Claims());
    EXPECT_NE(Base64UrlDecode(new_token.substr(0, new_token.find('.')))->find(R"("kid":"k2")"),
              std::string::npos);
    EXPECT_EQ(Check(old_token), JwtError::kNone);
    EXPECT_EQ(Check(new_token), JwtError::kNone);
    keys_.Remove("k1");
    EXPECT_EQ(Check(old_token), JwtError::kUnknownKey);
    EXPECT_EQ(Check(new_token), JwtError::kNone);
}

TEST_F(JwtTest, SigningRefusesIncompleteClaims) {
    AccessClaims claims = Claims();
    claims.token_id.clear();
    EXPECT_THROW(SignJwt(keys_, claims), Error);
    claims = Claims();
    claims.audience.clear();
    EXPECT_THROW(SignJwt(keys_, claims), Error);
    claims = Claims();
    claims.expires_at = claims.issued_at;
    EXPECT_THROW(SignJwt(keys_, claims), Error);
    claims = Claims();
    claims.extra_json = R"({"role":"ADMIN"})";
    EXPECT_THROW(SignJwt(keys_, claims), Error);
    claims.extra_json = R"(["x"])";
    EXPECT_THROW(SignJwt(keys_, claims), Error);
    EXPECT_THROW(SignJwt(KeyRing(), Claims()), Error);
}

// RFC 7515 Appendix A.1 (security.md §3.1).
constexpr std::string_view kA1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

std::string A1Key() {
    return Base64UrlDecode(
               "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
        .value();
}

TEST(JwsRfc7515Test, AppendixA1SignatureRecomputes) {
    const std::string key = A1Key();
    ASSERT_EQ(HexEncode(key),
              "0323354b2b0fa5bc837e0665777ba68f5ab328e6f054c928a90f84b2d2502ebf"
              "d3fb5a92d20647ef968ab4c377623d223d2e2172052e4f08c0cd9af567d080a3");
    const std::string_view input = kA1Token.substr(0, kA1Token.rfind('.'));
    const std::string mac = HmacSha256(key, input);
    const unsigned char expected[] = {116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
                                      125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
                                      191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
    EXPECT_EQ(mac, std::string(reinterpret_cast<const char*>(expected), sizeof expected));
    EXPECT_EQ(Base64UrlEncode(mac), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    EXPECT_EQ(Base64UrlDecode(kA1Token.substr(0, kA1Token.find('.'))).value(),
              "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}");
}

TEST(JwsRfc7515Test, AppendixA1TokenVerifies) {
    const auto payload = VerifyJwsHs256(kA1Token, A1Key());
    ASSERT_TRUE(payload.has_value());
    EXPECT_EQ(*payload, "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
    std::string wrong_key = A1Key();
    wrong_key[0] = static_cast<char>(wrong_key[0] ^ 1);
    EXPECT_FALSE(VerifyJwsHs256(kA1Token, wrong_key).has_value());
}

TEST(JwsRfc7515Test, AppendixA1IsNotAnAccessToken) {
    // Right key, and `now` before its exp, yet no kid, typ "JWT" and no aud: the full verifier
    // must still refuse it.
    KeyRing keys;
    keys.Add("a1", Secret(A1Key()));
    JwtExpectations expect{.issuer = "joe", .audience = "nexanest-api"};
    const UnixSeconds before_exp{seconds(1300819000)};
    EXPECT_EQ(VerifyJwt(keys, kA1Token, before_exp, expect).error, JwtError::kBadType);
    expect.type = "JWT";
    EXPECT_EQ(VerifyJwt(keys, kA1Token, before_exp, expect).error, JwtError::kUnknownKey);
}

}  // namespace
}  // namespace nn::crypto
