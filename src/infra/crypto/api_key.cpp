#include "infra/crypto/api_key.hpp"

#include <array>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/hash.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool IsBase62(std::string_view text) {
    for (const char c : text) {
        if (kBase62.find(c) == std::string_view::npos) return false;
    }
    return true;
}

bool IsValidEnv(std::string_view env) {
    if (env.empty() || env.size() > 16) return false;
    for (const char c : env) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
}

// Uniform base62 by rejection: bytes >= 248 (= 4 * 62) are dropped so every digit is equally likely.
std::string RandomBase62(std::size_t n) {
    std::string out;
    out.reserve(n);
    while (out.size() < n) {
        for (const char c : RandomBytes(n)) {
            const auto b = static_cast<unsigned char>(c);
            if (b < 248 && out.size() < n) out += kBase62[b % 62];
        }
    }
    return out;
}

std::string Checksum(std::string_view body) {
    std::uint32_t crc = Crc32(body);
    std::string out(kApiKeyCheckChars, '0');
    for (std::size_t i = kApiKeyCheckChars; i-- > 0;) {
        out[i] = kBase62[crc % 62];
        crc /= 62;
    }
    return out;
}

void CheckPepper(const Secret& pepper) {
    if (pepper.Reveal().size() < kMinPepperBytes) {
        throw Error(ErrorKind::kInternal, "crypto.bad_key", "the API key pepper must have at least 32 bytes");
    }
}

constexpr std::array<std::uint32_t, 256> MakeCrcTable() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr auto kCrcTable = MakeCrcTable();

}  // namespace

std::uint32_t Crc32(std::string_view data) noexcept {
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const char c : data) crc = kCrcTable[(crc ^ static_cast<unsigned char>(c)) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFU;
}

GeneratedApiKey GenerateApiKey(const Secret& pepper, std::string_view env) {
    CheckPepper(pepper);
    if (!IsValidEnv(env))
        throw Error(ErrorKind::kInternal, "crypto.bad_key", "API key env must be 1-16 of [a-z0-9]");
    GeneratedApiKey out;
    out.key_id = RandomBase62(kApiKeyIdChars);
    const Secret secret(RandomBase62(kApiKeySecretChars));
    out.display_prefix.append(kApiKeyPrefix).append("_").append(env).append("_").append(out.key_id);
    std::string body = out.display_prefix;
    body.append("_").append(secret.Reveal());
    const std::string check = Checksum(body);
    body.append("_").append(check);
    out.full_key = Secret(std::move(body));
    out.secret_hash = HashApiKeySecret(pepper, secret);
    return out;
}

std::optional<ParsedApiKey> ParseApiKey(std::string_view text) {
    // nnk_ env _ id _ secret _ check, split from the right since only env has a variable length.
    constexpr std::size_t kTail = 1 + kApiKeyIdChars + 1 + kApiKeySecretChars + 1 + kApiKeyCheckChars;
    const std::size_t head = kApiKeyPrefix.size() + 1;
    if (text.size() < head + 1 + kTail || text.size() > head + 16 + kTail) return std::nullopt;
    if (!text.starts_with(kApiKeyPrefix) || text[kApiKeyPrefix.size()] != '_') return std::nullopt;
    const std::string_view env = text.substr(head, text.size() - head - kTail);
    std::string_view tail = text.substr(text.size() - kTail);
    if (!IsValidEnv(env) || tail[0] != '_') return std::nullopt;
    const std::string_view id = tail.substr(1, kApiKeyIdChars);
    tail.remove_prefix(1 + kApiKeyIdChars);
    if (tail[0] != '_') return std::nullopt;
    const std::string_view secret = tail.substr(1, kApiKeySecretChars);
    tail.remove_prefix(1 + kApiKeySecretChars);
    if (tail[0] != '_') return std::nullopt;
    const std::string_view check = tail.substr(1);
    if (!IsBase62(id) || !IsBase62(secret) || !IsBase62(check)) return std::nullopt;
    if (check != Checksum(text.substr(0, text.size() - 1 - kApiKeyCheckChars))) return std::nullopt;
    return ParsedApiKey{std::string(env), std::string(id), Secret(std::string(secret))};
}

std::string HashApiKeySecret(const Secret& pepper, const Secret& secret) {
    CheckPepper(pepper);
    return HexEncode(HmacSha256(pepper.Reveal(), secret.Reveal()));
}

bool VerifyApiKey(const Secret& pepper, const ParsedApiKey& key, std::string_view stored_hash) {
    return ConstantTimeEqual(HashApiKeySecret(pepper, key.secret), stored_hash);
}

}  // namespace nn::crypto
