#include "infra/crypto/jwt.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <array>
#include <cstdint>
#include <limits>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/hash.hpp"

namespace nn::crypto {
namespace {

namespace json = boost::json;

constexpr std::string_view kAlgorithm = "HS256";
constexpr std::array<std::string_view, 10> kRegisteredClaims = {"iss", "sub", "aud", "iat",  "nbf",
                                                                "exp", "jti", "sid", "role", "scope"};

json::parse_options StrictOptions() {
    json::parse_options options;
    options.max_depth = 16;  // JOSE headers and our claims are flat; deep nesting is an attack
    return options;          // comments, trailing commas and invalid UTF-8 stay refused
}

// Boost.JSON 1.81 keeps the last of two equal keys without telling; a validator and a reader
// could then see different "alg" or "role" values. This SAX pass only looks for such repeats.
// The member names are the ones basic_parser calls.
// NOLINTBEGIN(readability-identifier-naming)
class DuplicateKeyFinder {
public:
    static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_array_end(std::size_t, json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) {
        objects_.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, json::error_code&) {
        objects_.pop_back();
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
        key_.append(s.data(), s.size());
        auto& seen = objects_.back();
        for (const auto& k : seen) {
            if (k == key_) {
                ec = json::error::syntax;
                return false;
            }
        }
        seen.push_back(std::move(key_));
        key_.clear();
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
    bool on_double(double, json::string_view, json::error_code&) { return true; }
    bool on_bool(bool, json::error_code&) { return true; }
    bool on_null(json::error_code&) { return true; }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

private:
    std::vector<std::vector<std::string>> objects_;  // keys seen, per open object
    std::string key_;
};
// NOLINTEND(readability-identifier-naming)

// One JSON object, standard syntax, valid UTF-8, no key twice at any depth.
std::optional<json::object> ParseStrictObject(std::string_view text) {
    const json::parse_options options = StrictOptions();
    json::error_code ec;
    json::basic_parser<DuplicateKeyFinder> finder(options);
    finder.write_some(false, text.data(), text.size(), ec);
    if (ec) return std::nullopt;
    json::value value = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

struct Jws {
    std::string_view signing_input;  // header.payload, as received
    std::string header;
    std::string payload;
    std::string signature;
};

JwtError SplitJws(std::string_view token, Jws& out) {
    if (token.size() > kMaxJwtBytes) return JwtError::kMalformed;
    const std::size_t first = token.find('.');
    if (first == std::string_view::npos) return JwtError::kMalformed;
    const std::size_t second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return JwtError::kMalformed;
    }
    auto header = Base64UrlDecode(token.substr(0, first));
    auto payload = Base64UrlDecode(token.substr(first + 1, second - first - 1));
    auto signature = Base64UrlDecode(token.substr(second + 1));
    if (!header || !payload || !signature) return JwtError::kBadEncoding;
    out.signing_input = token.substr(0, second);
    out.header = std::move(*header);
    out.payload = std::move(*payload);
    out.signature = std::move(*signature);
    return JwtError::kNone;
}

const json::string* StringMember(const json::object& object, std::string_view name) {
    const json::value* value = object.if_contains(json::string_view(name.data(), name.size()));
    return value == nullptr ? nullptr : value->if_string();
}

JwtError CheckAlgorithm(const json::object& header) {
    const json::string* alg = StringMember(header, "alg");
    if (alg == nullptr || *alg != kAlgorithm) return JwtError::kBadAlgorithm;
    // RFC 7515 §4.1.11: extensions marked critical that we do not understand mean rejection.
    if (header.contains("crit")) return JwtError::kBadHeader;
    return JwtError::kNone;
}

JwtError CheckMac(const Jws& jws, std::string_view key) {
    if (jws.signature.size() != kSha256Bytes) return JwtError::kBadSignature;
    if (!ConstantTimeEqual(HmacSha256(key, jws.signing_input), jws.signature)) return JwtError::kBadSignature;
    return JwtError::kNone;
}

// Integer NumericDate; fractional seconds are refused since we never issue them.
std::optional<std::int64_t> AsSeconds(const json::value& value) {
    if (value.is_int64()) return value.get_int64();
    if (value.is_uint64() &&
        value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<std::int64_t>(value.get_uint64());
    }
    return std::nullopt;
}

// Reads an optional string claim: absent leaves `out` empty, a non-string is an error.
bool ReadString(const json::object& claims, std::string_view name, std::string& out) {
    const json::value* value = claims.if_contains(json::string_view(name.data(), name.size()));
    if (value == nullptr) return true;
    if (!value->is_string()) return false;
    out = std::string(value->get_string());
    return true;
}

// Reads an optional NumericDate claim.
bool ReadTime(const json::object& claims, std::string_view name, std::optional<UnixSeconds>& out) {
    const json::value* value = claims.if_contains(json::string_view(name.data(), name.size()));
    if (value == nullptr) return true;
    const auto seconds = AsSeconds(*value);
    if (!seconds) return false;
    out = UnixSeconds(std::chrono::seconds(*seconds));
    return true;
}

JwtError ReadClaims(const json::object& object, AccessClaims& claims) {
    std::optional<UnixSeconds> iat;
    std::optional<UnixSeconds> nbf;
    std::optional<UnixSeconds> exp;
    if (!ReadString(object, "iss", claims.issuer) || !ReadString(object, "sub", claims.subject) ||
        !ReadString(object, "jti", claims.token_id) || !ReadString(object, "sid", claims.session_id) ||
        !ReadString(object, "role", claims.role) || !ReadString(object, "scope", claims.scope) ||
        !ReadTime(object, "iat", iat) || !ReadTime(object, "nbf", nbf) || !ReadTime(object, "exp", exp)) {
        return JwtError::kBadPayload;
    }
    if (const json::value* aud = object.if_contains("aud")) {
        if (aud->is_string()) {
            claims.audience.emplace_back(aud->get_string());
        } else if (aud->is_array()) {
            for (const json::value& item : aud->get_array()) {
                if (!item.is_string()) return JwtError::kBadPayload;
                claims.audience.emplace_back(item.get_string());
            }
        } else {
            return JwtError::kBadPayload;
        }
    }
    if (!exp || !iat || !object.contains("iss") || claims.subject.empty() || !object.contains("aud")) {
        return JwtError::kMissingClaim;
    }
    claims.expires_at = *exp;
    claims.issued_at = *iat;
    claims.not_before = nbf.value_or(*iat);

    json::object extra;
    for (const auto& member : object) {
        const std::string_view key(member.key().data(), member.key().size());
        bool registered = false;
        for (const auto name : kRegisteredClaims) registered = registered || key == name;
        if (!registered) extra.emplace(member.key(), member.value());
    }
    if (!extra.empty()) claims.extra_json = json::serialize(extra);
    return JwtError::kNone;
}

JwtError CheckClaims(const AccessClaims& claims, UnixSeconds now, const JwtExpectations& expect) {
    // Written as subtractions from `now` so that no token value can overflow the arithmetic.
    if (now - expect.leeway >= claims.expires_at) return JwtError::kExpired;
    if (claims.not_before - expect.leeway > now) return JwtError::kNotYetValid;
    if (claims.issued_at - expect.leeway > now) return JwtError::kIssuedInFuture;
    if (claims.issuer != expect.issuer) return JwtError::kWrongIssuer;
    bool audience_ok = false;
    for (const auto& aud : claims.audience) audience_ok = audience_ok || aud == expect.audience;
    if (!audience_ok) return JwtError::kWrongAudience;
    return JwtError::kNone;
}

JwtVerification Refuse(JwtError error) {
    return JwtVerification{std::nullopt, error};
}

[[noreturn]] void BadClaims(const std::string& why) {
    throw Error(ErrorKind::kInternal, "crypto.jwt_bad_claims", why);
}

}  // namespace

const char* JwtErrorName(JwtError error) noexcept {
    switch (error) {
        case JwtError::kNone:
            return "none";
        case JwtError::kMalformed:
            return "malformed";
        case JwtError::kBadEncoding:
            return "bad_encoding";
        case JwtError::kBadHeader:
            return "bad_header";
        case JwtError::kBadAlgorithm:
            return "bad_algorithm";
        case JwtError::kBadType:
            return "bad_type";
        case JwtError::kUnknownKey:
            return "unknown_key";
        case JwtError::kBadSignature:
            return "bad_signature";
        case JwtError::kBadPayload:
            return "bad_payload";
        case JwtError::kMissingClaim:
            return "missing_claim";
        case JwtError::kExpired:
            return "expired";
        case JwtError::kNotYetValid:
            return "not_yet_valid";
        case JwtError::kIssuedInFuture:
            return "issued_in_future";
        case JwtError::kWrongIssuer:
            return "wrong_issuer";
        case JwtError::kWrongAudience:
            return "wrong_audience";
    }
    return "unknown";
}

std::string SignJwt(const KeyRing& keys, const AccessClaims& claims, std::string_view type) {
    if (claims.issuer.empty() || claims.subject.empty() || claims.token_id.empty()) {
        BadClaims("iss, sub and jti are required");
    }
    if (claims.audience.empty()) BadClaims("aud is required");
    if (claims.expires_at <= claims.issued_at) BadClaims("exp must be after iat");

    json::object payload;
    payload["iss"] = claims.issuer;
    payload["sub"] = claims.subject;
    if (claims.audience.size() == 1) {
        payload["aud"] = claims.audience.front();
    } else {
        json::array audience;
        for (const auto& aud : claims.audience) audience.emplace_back(aud);
        payload["aud"] = std::move(audience);
    }
    payload["iat"] = claims.issued_at.time_since_epoch().count();
    payload["nbf"] = claims.not_before.time_since_epoch().count();
    payload["exp"] = claims.expires_at.time_since_epoch().count();
    payload["jti"] = claims.token_id;
    if (!claims.session_id.empty()) payload["sid"] = claims.session_id;
    if (!claims.role.empty()) payload["role"] = claims.role;
    if (!claims.scope.empty()) payload["scope"] = claims.scope;
    if (!claims.extra_json.empty()) {
        auto extra = ParseStrictObject(claims.extra_json);
        if (!extra) BadClaims("extra_json must be one JSON object without duplicate keys");
        for (const auto& member : *extra) {
            const std::string_view key(member.key().data(), member.key().size());
            for (const auto name : kRegisteredClaims) {
                if (key == name)
                    BadClaims("extra_json repeats the registered claim '" + std::string(key) + "'");
            }
            payload.emplace(member.key(), member.value());
        }
    }

    const std::string& kid = keys.ActiveKid();
    json::object header;
    header["alg"] = kAlgorithm;
    header["typ"] = type;
    header["kid"] = kid;

    std::string signing_input = Base64UrlEncode(json::serialize(header));
    signing_input += '.';
    signing_input += Base64UrlEncode(json::serialize(payload));
    const std::string mac = HmacSha256(keys.ActiveKey().Reveal(), signing_input);
    signing_input += '.';
    signing_input += Base64UrlEncode(mac);
    return signing_input;
}

JwtVerification VerifyJwt(const KeyRing& keys,
                          std::string_view token,
                          UnixSeconds now,
                          const JwtExpectations& expect) {
    Jws jws;
    if (const JwtError e = SplitJws(token, jws); e != JwtError::kNone) return Refuse(e);
    const auto header = ParseStrictObject(jws.header);
    if (!header) return Refuse(JwtError::kBadHeader);
    if (const JwtError e = CheckAlgorithm(*header); e != JwtError::kNone) return Refuse(e);
    const json::string* typ = StringMember(*header, "typ");
    if (typ == nullptr || *typ != expect.type) return Refuse(JwtError::kBadType);
    const json::string* kid = StringMember(*header, "kid");
    const Secret* key = kid == nullptr ? nullptr : keys.Find(std::string_view(kid->data(), kid->size()));
    if (key == nullptr) return Refuse(JwtError::kUnknownKey);
    if (const JwtError e = CheckMac(jws, key->Reveal()); e != JwtError::kNone) return Refuse(e);

    const auto payload = ParseStrictObject(jws.payload);
    if (!payload) return Refuse(JwtError::kBadPayload);
    AccessClaims claims;
    if (const JwtError e = ReadClaims(*payload, claims); e != JwtError::kNone) return Refuse(e);
    if (const JwtError e = CheckClaims(claims, now, expect); e != JwtError::kNone) return Refuse(e);
    return JwtVerification{std::move(claims), JwtError::kNone};
}

std::optional<std::string> VerifyJwsHs256(std::string_view token, std::string_view key) {
    Jws jws;
    if (SplitJws(token, jws) != JwtError::kNone) return std::nullopt;
    const auto header = ParseStrictObject(jws.header);
    if (!header || CheckAlgorithm(*header) != JwtError::kNone) return std::nullopt;
    if (CheckMac(jws, key) != JwtError::kNone) return std::nullopt;
    return std::move(jws.payload);
}

}  // namespace nn::crypto
