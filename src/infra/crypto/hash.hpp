#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

// Hashes and MACs over byte strings (std::string holding raw octets).
namespace nn::crypto {

inline constexpr std::size_t kSha256Bytes = 32;

// SHA-256 digest, 32 raw bytes.
std::string Sha256(std::string_view data);

// HMAC-SHA-256 (RFC 2104) tag, 32 raw bytes. Any key length; keys longer than the block are
// hashed first, as the RFC says.
std::string HmacSha256(std::string_view key, std::string_view data);

// Equality whose running time depends only on the lengths, never on where the bytes differ.
// Different lengths compare unequal (lengths are not secret for MACs and hashes).
bool ConstantTimeEqual(std::string_view a, std::string_view b) noexcept;

// The at-rest form of an opaque high-entropy token (refresh, email verification, password
// reset): lower-case hex SHA-256 of the token text exactly as handed to the client. A slow KDF
// or a pepper adds nothing for 256-bit random values (security.md §1.5).
std::string HashToken(std::string_view token);

// SipHash-2-4 (libsodium crypto_shorthash) under a random key of its own: a 64-bit hash of
// attacker-chosen text that nobody without the key can predict or aim at one bucket. For in-memory
// tables keyed by secrets (VerifiedTokens); not a MAC to hand out.
class KeyedShortHash {
public:
    KeyedShortHash();
    std::uint64_t operator()(std::string_view data) const noexcept;

private:
    std::array<unsigned char, 16> key_{};
};

}  // namespace nn::crypto
