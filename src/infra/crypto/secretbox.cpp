#include "infra/crypto/secretbox.hpp"

#include <sodium.h>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

constexpr std::string_view kVersion = "v1";

struct Blob {
    std::string_view kid;
    std::string_view body;
};

std::optional<Blob> SplitBlob(std::string_view blob) {
    if (!blob.starts_with("v1.")) return std::nullopt;
    blob.remove_prefix(kVersion.size() + 1);
    const std::size_t dot = blob.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const std::string_view kid = blob.substr(0, dot);
    if (!KeyRing::IsValidKid(kid)) return std::nullopt;
    return Blob{kid, blob.substr(dot + 1)};
}

}  // namespace

std::string Encrypt(const KeyRing& keys, std::string_view plaintext) {
    EnsureSodium();
    const std::string& kid = keys.ActiveKid();
    const std::string& key = keys.ActiveKey().Reveal();
    if (key.size() != crypto_secretbox_KEYBYTES) {
        throw Error(ErrorKind::kInternal, "crypto.bad_key", "secretbox key '" + kid + "' is not 32 bytes");
    }
    std::string sealed = RandomBytes(crypto_secretbox_NONCEBYTES);
    sealed.resize(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size());
    auto* nonce = reinterpret_cast<unsigned char*>(sealed.data());
    crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), nonce,
                          reinterpret_cast<const unsigned char*>(key.data()));
    return std::string(kVersion) + "." + kid + "." + Base64UrlEncode(sealed);
}

std::optional<std::string> Decrypt(const KeyRing& keys, std::string_view blob) {
    const auto parts = SplitBlob(blob);
    if (!parts) return std::nullopt;
    const Secret* key = keys.Find(parts->kid);
    if (key == nullptr || key->Reveal().size() != crypto_secretbox_KEYBYTES) return std::nullopt;
    const auto sealed = Base64UrlDecode(parts->body);
    if (!sealed || sealed->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return std::nullopt;
    EnsureSodium();
    const auto* nonce = reinterpret_cast<const unsigned char*>(sealed->data());
    const std::size_t cipher_len = sealed->size() - crypto_secretbox_NONCEBYTES;
    std::string plaintext(cipher_len - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()),
                                   nonce + crypto_secretbox_NONCEBYTES, cipher_len, nonce,
                                   reinterpret_cast<const unsigned char*>(key->Reveal().data())) != 0) {
        return std::nullopt;
    }
    return plaintext;
}

std::optional<std::string> EncryptedKid(std::string_view blob) {
    const auto parts = SplitBlob(blob);
    if (!parts) return std::nullopt;
    return std::string(parts->kid);
}

bool NeedsReencrypt(const KeyRing& keys, std::string_view blob) {
    const auto kid = EncryptedKid(blob);
    return !kid || *kid != keys.ActiveKid();
}

std::optional<std::string> Reencrypt(const KeyRing& keys, std::string_view blob) {
    const auto plaintext = Decrypt(keys, blob);
    if (!plaintext) return std::nullopt;
    return Encrypt(keys, *plaintext);
}

}  // namespace nn::crypto
