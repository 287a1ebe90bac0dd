#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.hpp"

// Service API keys (security.md §1.6), GitHub/Stripe style:
//
//   nnk_<env>_<id>_<secret>_<check>
//   nnk_live_Xk3b9QmZ0aPe_<43 base62 chars>_<6 base62 chars>
//
// env is 1-16 of [a-z0-9] ("live", "test"); id is 12 random base62 characters (~71 bits), stored
// in plaintext, indexed, and the only part that may be logged or displayed; secret is 43 random
// base62 characters (~256 bits); check is CRC-32 (IEEE) of everything before "_<check>", as 6
// base62 digits. The checksum is not a security control: it lets ParseApiKey reject typos and
// truncated keys, and secret scanners recognise real keys, before any database lookup. The
// secret is stored as HMAC-SHA-256(pepper, secret): fast is fine for 256-bit random secrets, and
// the pepper (kept in configuration, not in the database) makes a leaked table useless.
namespace nn::crypto {

inline constexpr std::string_view kApiKeyPrefix = "nnk";
inline constexpr std::size_t kApiKeyIdChars = 12;
inline constexpr std::size_t kApiKeySecretChars = 43;
inline constexpr std::size_t kApiKeyCheckChars = 6;
inline constexpr std::size_t kMinPepperBytes = 32;

struct GeneratedApiKey {
    Secret full_key;             // show once, never store
    std::string key_id;          // store, index, log
    std::string display_prefix;  // "nnk_<env>_<id>", for lists in the UI
    std::string secret_hash;     // store: lower-case hex HMAC-SHA-256(pepper, secret)
};

struct ParsedApiKey {
    std::string env;
    std::string key_id;
    Secret secret;
};

// Throws nn::Error kInternal ("crypto.bad_key") when the pepper is shorter than 32 bytes or env
// is not 1-16 of [a-z0-9].
GeneratedApiKey GenerateApiKey(const Secret& pepper, std::string_view env = "live");

// nullopt unless `text` has exactly the format above with a matching checksum. Cheap, no I/O.
std::optional<ParsedApiKey> ParseApiKey(std::string_view text);

// Lower-case hex HMAC-SHA-256(pepper, secret). Throws like GenerateApiKey on a short pepper.
std::string HashApiKeySecret(const Secret& pepper, const Secret& secret);

// Constant-time comparison of the key's secret hash with the stored one.
bool VerifyApiKey(const Secret& pepper, const ParsedApiKey& key, std::string_view stored_hash);

// CRC-32/ISO-HDLC (zlib's crc32), exposed for tests.
std::uint32_t Crc32(std::string_view data) noexcept;

}  // namespace nn::crypto
