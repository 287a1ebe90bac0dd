#include "infra/crypto/password.hpp"

#include <argon2.h>

#include <charconv>
#include <optional>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/hash.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

// Bounds on what a stored hash may ask for, so a corrupted or planted row cannot make one
// verification allocate gigabytes.
constexpr std::uint32_t kMaxMemoryKib = 256 * 1024;
constexpr std::uint32_t kMaxIterations = 16;
constexpr std::uint32_t kMaxParallelism = 16;

struct ParsedPhc {
    PasswordParams params;
    std::string salt;
    std::string tag;
};

// Canonical decimal: digits only, no leading zero, fits in uint32.
std::optional<std::uint32_t> ParseNumber(std::string_view text) {
    if (text.empty() || (text.size() > 1 && text.front() == '0')) return std::nullopt;
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

bool ConsumePrefix(std::string_view& text, std::string_view prefix) {
    if (!text.starts_with(prefix)) return false;
    text.remove_prefix(prefix.size());
    return true;
}

std::optional<std::uint32_t> ConsumeNumberUntil(std::string_view& text, char stop) {
    const std::size_t end = text.find(stop);
    if (end == std::string_view::npos) return std::nullopt;
    auto value = ParseNumber(text.substr(0, end));
    text.remove_prefix(end + 1);
    return value;
}

std::optional<ParsedPhc> ParsePhc(std::string_view phc) {
    ParsedPhc out;
    if (!ConsumePrefix(phc, "$argon2id$v=19$m=")) return std::nullopt;
    const auto m = ConsumeNumberUntil(phc, ',');
    if (!m || !ConsumePrefix(phc, "t=")) return std::nullopt;
    const auto t = ConsumeNumberUntil(phc, ',');
    if (!t || !ConsumePrefix(phc, "p=")) return std::nullopt;
    const auto p = ConsumeNumberUntil(phc, '$');
    if (!p) return std::nullopt;
    const std::size_t dollar = phc.find('$');
    if (dollar == std::string_view::npos) return std::nullopt;
    auto salt = Base64DecodeUnpadded(phc.substr(0, dollar));
    auto tag = Base64DecodeUnpadded(phc.substr(dollar + 1));
    if (!salt || !tag) return std::nullopt;
    if (*p < 1 || *p > kMaxParallelism || *t < 1 || *t > kMaxIterations || *m < 8 * *p ||
        *m > kMaxMemoryKib) {
        return std::nullopt;
    }
    if (salt->size() < 8 || salt->size() > 64 || tag->size() < 16 || tag->size() > 64) return std::nullopt;
    out.params = PasswordParams{*m, *t, *p, static_cast<std::uint32_t>(salt->size()),
                                static_cast<std::uint32_t>(tag->size())};
    out.salt = std::move(*salt);
    out.tag = std::move(*tag);
    return out;
}

std::string RawHash(std::string_view password, const PasswordParams& params, std::string_view salt) {
    std::string tag(params.tag_bytes, '\0');
    const int rc =
        argon2id_hash_raw(params.iterations, params.memory_kib, params.parallelism, password.data(),
                          password.size(), salt.data(), salt.size(), tag.data(), tag.size());
    if (rc != ARGON2_OK) {
        throw Error(ErrorKind::kInternal, "crypto.argon2_failed",
                    std::string("argon2id: ") + argon2_error_message(rc));
    }
    return tag;
}

}  // namespace

std::string HashPassword(std::string_view password, const PasswordParams& params) {
    if (password.size() > kMaxPasswordBytes) {
        throw Error(ErrorKind::kUnprocessable, "crypto.password_too_long",
                    "password longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
    }
    const std::string salt = RandomBytes(params.salt_bytes);
    const std::string tag = RawHash(password, params, salt);
    return "$argon2id$v=19$m=" + std::to_string(params.memory_kib) +
           ",t=" + std::to_string(params.iterations) + ",p=" + std::to_string(params.parallelism) + "$" +
           Base64EncodeUnpadded(salt) + "$" + Base64EncodeUnpadded(tag);
}

std::string HashPassword(const Secret& password, const PasswordParams& params) {
    return HashPassword(std::string_view(password.Reveal()), params);
}

bool VerifyPassword(std::string_view phc, std::string_view password) {
    if (password.size() > kMaxPasswordBytes) return false;
    const auto parsed = ParsePhc(phc);
    if (!parsed) return false;
    return ConstantTimeEqual(RawHash(password, parsed->params, parsed->salt), parsed->tag);
}

bool VerifyPassword(std::string_view phc, const Secret& password) {
    return VerifyPassword(phc, std::string_view(password.Reveal()));
}

bool NeedsRehash(std::string_view phc, const PasswordParams& params) {
    const auto parsed = ParsePhc(phc);
    return !parsed || parsed->params != params;
}

void DummyVerify(const Secret& password) {
    // A real production-parameter hash of a random password, made once per process; verifying
    // against it runs exactly the code and cost of a real verification.
    static const std::string dummy = HashPassword(RandomToken());
    static_cast<void>(VerifyPassword(dummy, password));
}

}  // namespace nn::crypto
