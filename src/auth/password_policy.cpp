#include "auth/password_policy.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace nn::auth {

namespace {

// Code points of valid UTF-8, or nullopt; `control` is set when a C0/DEL control appears.
std::optional<std::size_t> CountCodePoints(std::string_view s, bool& control) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            len = 1;
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return std::nullopt;
        }
        if (i + len > s.size()) return std::nullopt;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr std::uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
        if (cp < 0x20 || cp == 0x7F) control = true;
        // Runs of spaces count as one (ASVS 2.1.1).
        if (!(cp == ' ' && i > 0 && s[i - 1] == ' ')) ++count;
        i += len;
    }
    return count;
}

}  // namespace

std::optional<std::string> CheckPassword(std::string_view password, std::string_view email) {
    bool control = false;
    auto chars = CountCodePoints(password, control);
    if (!chars) return "invalid_utf8";
    if (control) return "control_character";
    if (*chars < kMinPasswordChars) return "too_short";
    if (*chars > kMaxPasswordChars) return "too_long";
    if (IsCommonPassword(password)) return "common";
    const auto lower = AsciiLower(password);
    const auto lower_email = AsciiLower(email);
    const auto local = lower_email.substr(0, lower_email.find('@'));
    if (!lower_email.empty() &&
        (lower == lower_email || (local.size() >= 4 && lower.find(local) != std::string::npos))) {
        return "contains_email";
    }
    // One repeated character ("aaaaaaaaaaaa") is as weak as a listed password.
    if (std::all_of(password.begin(), password.end(), [&](char ch) { return ch == password.front(); })) {
        return "common";
    }
    return std::nullopt;
}

}  // namespace nn::auth
