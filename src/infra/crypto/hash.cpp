#include "infra/crypto/hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {

std::string Sha256(std::string_view data) {
    std::string out(kSha256Bytes, '\0');
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(),
                   nullptr) != 1 ||
        len != kSha256Bytes) {
        throw Error(ErrorKind::kInternal, "crypto.sha256_failed", "SHA-256 failed");
    }
    return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
    std::string out(kSha256Bytes, '\0');
    unsigned int len = 0;
    // HMAC() with a zero-length key needs a non-null pointer on OpenSSL 3.
    static constexpr unsigned char kEmpty = 0;
    const void* key_ptr = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
    if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(),
             reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr ||
        len != kSha256Bytes) {
        throw Error(ErrorKind::kInternal, "crypto.hmac_failed", "HMAC-SHA-256 failed");
    }
    return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

KeyedShortHash::KeyedShortHash() {
    static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);
    EnsureSodium();
    crypto_shorthash_keygen(key_.data());
}

std::uint64_t KeyedShortHash::operator()(std::string_view data) const noexcept {
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, reinterpret_cast<const unsigned char*>(data.data()), data.size(), key_.data());
    std::uint64_t h = 0;
    for (const unsigned char byte : out) h = (h << 8) | byte;
    return h;
}

std::string HashToken(std::string_view token) {
    return HexEncode(Sha256(token));
}

}  // namespace nn::crypto
