// JWT verification (infra/crypto/jwt.hpp) with a fixed key. Each input is tried twice:
//  1. as a token, as an attacker would send it (almost always stopped before or at the MAC);
//  2. split at the first newline into header and payload JSON, encoded and signed with the
//     fixed key, so the fuzzer reaches the header, claim and expectation checks behind the MAC.
// Invariants: VerifyJwt never throws, claims are set exactly when it succeeds, accepted claims
// satisfy the expectations, and re-signing accepted claims verifies to the same claims.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "core/error.hpp"
#include "core/secret.hpp"
#include "fuzz_check.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/hash.hpp"
#include "infra/crypto/jwt.hpp"
#include "infra/crypto/key_ring.hpp"
#include "json_same.hpp"

namespace {
namespace c = nn::crypto;

constexpr std::string_view kKey = "nexanest-fuzz-key-0123456789abcdef";  // 34 bytes
constexpr c::UnixSeconds kNow{std::chrono::seconds(1'760'000'000)};

const c::KeyRing& Keys() {
    static const c::KeyRing keys = [] {
        c::KeyRing k;
        k.Add("k1", nn::Secret(std::string(kKey)));
        return k;
    }();
    return keys;
}

const c::JwtExpectations& Expect() {
    static const c::JwtExpectations expect = [] {
        c::JwtExpectations e;
        e.issuer = "https://auth.nexanest.test";
        e.audience = "nexanest-api";
        return e;
    }();
    return expect;
}

// The unmapped claims are re-serialised by verification, so compare them as JSON values.
bool SameExtra(const std::string& a, const std::string& b) {
    if (a.empty() || b.empty()) return a == b;
    return nn::fuzz::SameJson(boost::json::parse(a), boost::json::parse(b));
}

bool SameClaims(const c::AccessClaims& a, const c::AccessClaims& b) {
    return a.issuer == b.issuer && a.subject == b.subject && a.audience == b.audience &&
           a.issued_at == b.issued_at && a.not_before == b.not_before && a.expires_at == b.expires_at &&
           a.token_id == b.token_id && a.session_id == b.session_id && a.role == b.role &&
           a.scope == b.scope && SameExtra(a.extra_json, b.extra_json);
}

void Verify(std::string_view token) {
    const c::JwtVerification v = c::VerifyJwt(Keys(), token, kNow, Expect());
    NN_FUZZ_CHECK(static_cast<bool>(v) == v.claims.has_value());
    NN_FUZZ_CHECK(c::JwtErrorName(v.error) != nullptr);
    if (!v) return;
    const c::AccessClaims& claims = *v.claims;
    const auto leeway = Expect().leeway;
    NN_FUZZ_CHECK(token.size() <= c::kMaxJwtBytes);
    NN_FUZZ_CHECK(claims.issuer == Expect().issuer);
    NN_FUZZ_CHECK(!claims.subject.empty());
    bool audience = false;
    for (const auto& a : claims.audience) audience = audience || a == Expect().audience;
    NN_FUZZ_CHECK(audience);
    NN_FUZZ_CHECK(kNow - leeway < claims.expires_at);
    NN_FUZZ_CHECK(claims.not_before <= kNow + leeway);
    NN_FUZZ_CHECK(claims.issued_at <= kNow + leeway);
    // The signature layer alone accepts what full verification accepted.
    NN_FUZZ_CHECK(c::VerifyJwsHs256(token, kKey).has_value());

    // Accepted claims sign and verify back to themselves (SignJwt may refuse claims that
    // verification tolerates, such as a missing jti: that is documented, not a finding).
    std::string resigned;
    try {
        resigned = c::SignJwt(Keys(), claims);
    } catch (const nn::Error& e) {
        NN_FUZZ_CHECK(e.Code() == "crypto.jwt_bad_claims");
        return;
    }
    const c::JwtVerification again = c::VerifyJwt(Keys(), resigned, kNow, Expect());
    NN_FUZZ_CHECK(again && SameClaims(*again.claims, claims));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Verify(text);
    (void)c::VerifyJwsHs256(text, kKey);

    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) return 0;
    const std::string signing_input =
        c::Base64UrlEncode(text.substr(0, newline)) + "." + c::Base64UrlEncode(text.substr(newline + 1));
    const std::string token = signing_input + "." + c::Base64UrlEncode(c::HmacSha256(kKey, signing_input));
    Verify(token);
    const auto payload = c::VerifyJwsHs256(token, kKey);
    if (payload) NN_FUZZ_CHECK(*payload == text.substr(newline + 1));
    return 0;
}
