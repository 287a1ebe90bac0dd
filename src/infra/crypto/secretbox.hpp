#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "infra/crypto/key_ring.hpp"

// Field encryption at rest (phone, date of birth, tax id, address) with libsodium secretbox
// (XSalsa20-Poly1305), a random 24-byte nonce per value and a key chosen by id, so keys rotate.
//
// Stored form: "v1.<kid>.<base64url(nonce || ciphertext-with-tag)>". Keys come from
// ParseSecretboxKeys (32 bytes each).
namespace nn::crypto {

// Encrypts with the ring's active key. Throws nn::Error kInternal if the ring is empty or the
// active key is not 32 bytes.
std::string Encrypt(const KeyRing& keys, std::string_view plaintext);

// The plaintext, or nullopt when the blob is malformed, names a key the ring does not hold, or
// fails authentication (any changed bit). Never throws for any blob.
std::optional<std::string> Decrypt(const KeyRing& keys, std::string_view blob);

// The key id a blob was written with, or nullopt when it is not a v1 blob.
std::optional<std::string> EncryptedKid(std::string_view blob);

// True when the blob was written with a key other than the active one.
bool NeedsReencrypt(const KeyRing& keys, std::string_view blob);

// Decrypts with whichever key the blob names and encrypts again with the active key; nullopt
// when Decrypt would fail. Run over every stored value before removing an old key.
std::optional<std::string> Reencrypt(const KeyRing& keys, std::string_view blob);

}  // namespace nn::crypto
