#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.hpp"

namespace nn::crypto {

// Named symmetric keys for rotation: one active key id signs or encrypts, every key still in the
// ring verifies or decrypts. Rotating is "add the new key first, keep the old one for one token
// lifetime (JWT) or until re-encryption is done (secretbox), then remove it".
//
// Key ids are 1-64 characters of [A-Za-z0-9_-]: they appear in JWT headers and ciphertext
// prefixes, and are only ever used as exact map keys (RFC 8725 §3.10).
class KeyRing {
public:
    KeyRing() = default;  // keys of 32-1024 bytes
    KeyRing(std::size_t min_bytes, std::size_t max_bytes) : min_bytes_(min_bytes), max_bytes_(max_bytes) {}

    // Throws nn::Error (kInternal, "crypto.bad_key") on a malformed kid, a duplicate kid, or a
    // key whose length is outside [min_bytes, max_bytes]. The first key added becomes active.
    void Add(std::string kid, Secret key);
    void SetActive(std::string_view kid);  // throws if kid is not in the ring
    void Remove(std::string_view kid);     // throws if kid is the active one

    bool Empty() const noexcept { return keys_.empty(); }
    const std::string& ActiveKid() const;  // throws if the ring is empty
    const Secret& ActiveKey() const;
    // nullptr when kid is unknown; an exact lookup, so no input can reach another key.
    const Secret* Find(std::string_view kid) const;
    std::vector<std::string> Kids() const;

    static bool IsValidKid(std::string_view kid) noexcept;

private:
    std::size_t min_bytes_ = 32;
    std::size_t max_bytes_ = 1024;
    std::map<std::string, Secret, std::less<>> keys_;
    std::string active_;
};

// Parses "kid:base64url-key,kid2:base64url-key2" (unpadded base64url, strict). The first entry is
// the active key; the rest verify or decrypt only. Whitespace around entries is ignored. Throws
// nn::Error (kInternal, "crypto.bad_key_config") naming the kid, never the key, when an entry is
// malformed, a kid repeats, or the spec is empty.
KeyRing ParseKeyRing(std::string_view spec, std::size_t min_bytes, std::size_t max_bytes);

// One "kid:base64url-key" entry with `bytes` fresh random bytes, for operators generating
// configuration (and tests). Throws like KeyRing::Add on a malformed kid.
std::string NewKeyEntry(std::string_view kid, std::size_t bytes = 32);

// JWT HS256 keys: at least 32 bytes (RFC 7518 §3.2: no shorter than the hash output).
inline constexpr std::size_t kMinJwtKeyBytes = 32;
KeyRing ParseJwtKeys(std::string_view spec);

// secretbox keys: exactly 32 bytes (crypto_secretbox_KEYBYTES).
inline constexpr std::size_t kSecretboxKeyBytes = 32;
KeyRing ParseSecretboxKeys(std::string_view spec);

}  // namespace nn::crypto
