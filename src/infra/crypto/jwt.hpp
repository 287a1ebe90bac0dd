#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infra/crypto/key_ring.hpp"

// JWS compact serialisation, HS256 only, implemented here rather than with libjwt 1.10, which
// takes the algorithm from the token header, decodes alg:none without a key and checks no claim
// (cpp-anchors.md d3; docs/security.md). Everything follows RFC 8725: the algorithm is pinned,
// the token type is explicit, every claim that matters is required and checked.
namespace nn::crypto {

// The explicit "typ" of our access tokens (RFC 8725 §3.11, RFC 9068 media type "at+jwt").
// Any other kind of JWT we might issue gets a different typ, so one can never pass as the other.
inline constexpr std::string_view kAccessTokenType = "at+jwt";

// Tokens longer than this are refused before any decoding.
inline constexpr std::size_t kMaxJwtBytes = 8192;

using UnixSeconds = std::chrono::sys_seconds;

struct AccessClaims {
    std::string issuer;                 // iss, required
    std::string subject;                // sub, required (the user id)
    std::vector<std::string> audience;  // aud, at least one; one value is written as a string
    UnixSeconds issued_at{};            // iat, required
    UnixSeconds not_before{};           // nbf; on verification equals iat when the token has none
    UnixSeconds expires_at{};           // exp, required, after iat
    std::string token_id;               // jti, required when signing (denylists key on it)
    std::string session_id;             // sid, optional: the session (refresh family) it belongs to
    std::string role;                   // role, optional
    std::string scope;                  // scope, optional, space-separated (RFC 8693 §4.2)
    // Further claims as the text of one JSON object ("" for none). Signing refuses one that
    // repeats a claim above; verification returns the claims it did not map above, or "".
    std::string extra_json;
};

// Signs `claims` with the ring's active key: header {"alg":"HS256","typ":<type>,"kid":<active>}.
// Throws nn::Error kInternal ("crypto.jwt_bad_claims") when a required claim is missing,
// exp <= iat, or extra_json is not an object or repeats a registered claim.
std::string SignJwt(const KeyRing& keys,
                    const AccessClaims& claims,
                    std::string_view type = kAccessTokenType);

struct JwtExpectations {
    std::string issuer;    // iss must equal it exactly
    std::string audience;  // aud (a string or an array of strings) must equal or contain it
    std::string type = std::string(kAccessTokenType);  // typ must equal it exactly
    std::chrono::seconds leeway{30};                   // clock skew allowed on exp, nbf, iat
};

// Why a token was refused. The HTTP layer answers every one the same way (401, one body); the
// detail is for logs and tests.
enum class JwtError {
    kNone,
    kMalformed,       // size, segment count
    kBadEncoding,     // a segment is not strict unpadded base64url
    kBadHeader,       // header not a JSON object, duplicate keys, invalid UTF-8, "crit" present
    kBadAlgorithm,    // alg is not exactly "HS256"
    kBadType,         // typ missing or not the expected one
    kUnknownKey,      // kid missing, not a string, or not in the key ring
    kBadSignature,    // MAC mismatch, empty or wrong-length signature
    kBadPayload,      // payload not a JSON object, duplicate keys, a claim of the wrong type
    kMissingClaim,    // iss, aud, iat or exp absent, sub absent or empty
    kExpired,         // now - leeway >= exp
    kNotYetValid,     // nbf > now + leeway
    kIssuedInFuture,  // iat > now + leeway
    kWrongIssuer,
    kWrongAudience,
};

const char* JwtErrorName(JwtError error) noexcept;

struct JwtVerification {
    std::optional<AccessClaims> claims;  // set exactly when error == kNone
    JwtError error = JwtError::kNone;

    explicit operator bool() const noexcept { return error == JwtError::kNone; }
};

// Full verification of an access token, in this order: structure, header (alg pinned to HS256,
// typ, kid looked up in `keys`), constant-time HMAC, then the claims against `now` and `expect`.
// Never throws for any input token.
JwtVerification VerifyJwt(const KeyRing& keys,
                          std::string_view token,
                          UnixSeconds now,
                          const JwtExpectations& expect);

// The signature layer alone: structure, strict encodings, header object without duplicates, alg
// exactly "HS256" and a constant-time HMAC with `key`. Returns the payload bytes; checks no
// claim, typ or kid. For test vectors such as RFC 7515 A.1; services call VerifyJwt.
std::optional<std::string> VerifyJwsHs256(std::string_view token, std::string_view key);

}  // namespace nn::crypto
