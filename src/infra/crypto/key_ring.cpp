#include "infra/crypto/key_ring.hpp"

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/random.hpp"

namespace nn::crypto {
namespace {

[[noreturn]] void Fail(const std::string& code, const std::string& message) {
    throw Error(ErrorKind::kInternal, code, message);
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

bool KeyRing::IsValidKid(std::string_view kid) noexcept {
    if (kid.empty() || kid.size() > 64) return false;
    for (const char c : kid) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

void KeyRing::Add(std::string kid, Secret key) {
    if (!IsValidKid(kid)) Fail("crypto.bad_key", "key id must be 1-64 characters of [A-Za-z0-9_-]");
    if (key.Reveal().size() < min_bytes_ || key.Reveal().size() > max_bytes_) {
        Fail("crypto.bad_key", "key '" + kid + "' has " + std::to_string(key.Reveal().size()) +
                                   " bytes; this ring needs " + std::to_string(min_bytes_) + "-" +
                                   std::to_string(max_bytes_));
    }
    if (keys_.contains(kid)) Fail("crypto.bad_key", "key id '" + kid + "' appears twice");
    if (active_.empty()) active_ = kid;
    keys_.emplace(std::move(kid), std::move(key));
}

void KeyRing::SetActive(std::string_view kid) {
    if (Find(kid) == nullptr) Fail("crypto.bad_key", "no key '" + std::string(kid) + "' to activate");
    active_ = std::string(kid);
}

void KeyRing::Remove(std::string_view kid) {
    if (kid == active_) Fail("crypto.bad_key", "cannot remove the active key '" + active_ + "'");
    if (const auto it = keys_.find(kid); it != keys_.end()) keys_.erase(it);
}

const std::string& KeyRing::ActiveKid() const {
    if (active_.empty()) Fail("crypto.no_key", "the key ring is empty");
    return active_;
}

const Secret& KeyRing::ActiveKey() const {
    return keys_.find(ActiveKid())->second;
}

const Secret* KeyRing::Find(std::string_view kid) const {
    const auto it = keys_.find(kid);
    return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> KeyRing::Kids() const {
    std::vector<std::string> out;
    out.reserve(keys_.size());
    for (const auto& [kid, key] : keys_) out.push_back(kid);
    return out;
}

KeyRing ParseKeyRing(std::string_view spec, std::size_t min_bytes, std::size_t max_bytes) {
    KeyRing ring(min_bytes, max_bytes);
    std::size_t index = 0;
    while (true) {
        const std::size_t comma = spec.find(',');
        const std::string_view entry = Trim(spec.substr(0, comma));
        ++index;
        const std::size_t colon = entry.find(':');
        if (colon == std::string_view::npos) {
            Fail("crypto.bad_key_config", "key entry " + std::to_string(index) + " is not kid:base64url-key");
        }
        const std::string kid(entry.substr(0, colon));
        if (!KeyRing::IsValidKid(kid)) {
            Fail("crypto.bad_key_config", "key entry " + std::to_string(index) + " has an invalid key id");
        }
        auto key = Base64UrlDecode(entry.substr(colon + 1));
        if (!key) Fail("crypto.bad_key_config", "key '" + kid + "' is not unpadded base64url");
        try {
            ring.Add(kid, Secret(std::move(*key)));
        } catch (const Error& e) {
            Fail("crypto.bad_key_config", e.what());
        }
        if (comma == std::string_view::npos) break;
        spec.remove_prefix(comma + 1);
    }
    return ring;
}

std::string NewKeyEntry(std::string_view kid, std::size_t bytes) {
    if (!KeyRing::IsValidKid(kid)) Fail("crypto.bad_key", "key id must be 1-64 characters of [A-Za-z0-9_-]");
    return std::string(kid) + ":" + Base64UrlEncode(RandomBytes(bytes));
}

KeyRing ParseJwtKeys(std::string_view spec) {
    return ParseKeyRing(spec, kMinJwtKeyBytes, 1024);
}

KeyRing ParseSecretboxKeys(std::string_view spec) {
    return ParseKeyRing(spec, kSecretboxKeyBytes, kSecretboxKeyBytes);
}

}  // namespace nn::crypto
