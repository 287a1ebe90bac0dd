#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/secret.hpp"

// Password hashing with Argon2id (libargon2, the RFC 9106 reference implementation).
// Every call costs about one production hash of CPU and 19 MiB of memory: run it on the bounded
// CPU pool, never on an I/O thread.
namespace nn::crypto {

struct PasswordParams {
    std::uint32_t memory_kib = 19456;  // OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1
    std::uint32_t iterations = 2;
    std::uint32_t parallelism = 1;
    std::uint32_t salt_bytes = 16;
    std::uint32_t tag_bytes = 32;

    friend bool operator==(const PasswordParams&, const PasswordParams&) = default;
};

inline constexpr PasswordParams kPasswordParams{};

// Longer passwords are refused before any hashing, which caps the cost an attacker can ask for.
// The auth policy (ASVS 2.1.2: refuse more than 128 characters) sits above this hard limit.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// A PHC string "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>" (standard base64, unpadded) with a
// fresh random salt. Throws nn::Error: kUnprocessable "crypto.password_too_long" above
// kMaxPasswordBytes, kInternal "crypto.argon2_failed" if libargon2 fails (out of memory).
std::string HashPassword(const Secret& password, const PasswordParams& params = kPasswordParams);
std::string HashPassword(std::string_view password, const PasswordParams& params = kPasswordParams);

// True when `password` matches `phc`; the tag comparison is constant-time. False, without
// throwing, for a wrong password, a password over kMaxPasswordBytes, or a malformed PHC string
// (anything but argon2id v=19 with m ≤ 256 MiB, t ≤ 16, p ≤ 16, salt 8-64 bytes, tag 16-64
// bytes, canonical numbers). Throws nn::Error kInternal only when libargon2 itself fails.
bool VerifyPassword(std::string_view phc, const Secret& password);
bool VerifyPassword(std::string_view phc, std::string_view password);

// True when `phc` is malformed or was made with parameters other than `params`: rehash with
// HashPassword after the next successful VerifyPassword.
bool NeedsRehash(std::string_view phc, const PasswordParams& params = kPasswordParams);

// Costs what VerifyPassword against a production hash costs and always fails: call it for an
// unknown email so that the answer takes as long as for a known one (security.md §1.4).
void DummyVerify(const Secret& password);

}  // namespace nn::crypto
