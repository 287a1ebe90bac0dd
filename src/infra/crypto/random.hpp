#pragma once

#include <cstddef>
#include <string>

// Randomness from libsodium (getrandom(2) on Linux).
namespace nn::crypto {

// Initialises libsodium once per process; safe from any thread, cheap after the first call.
// Throws nn::Error (kInternal) if libsodium cannot initialise. Every function of this library
// that needs libsodium calls it, so callers never have to.
void EnsureSodium();

// n cryptographically random bytes.
std::string RandomBytes(std::size_t n);

// An opaque bearer token: `bytes` random bytes as unpadded base64url (32 bytes → 43 chars,
// 256 bits), for refresh, email-verification and password-reset tokens.
std::string RandomToken(std::size_t bytes = 32);

}  // namespace nn::crypto
