#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nn::auth {

// ASVS 4.0.3 V2.1: at least 12 characters after runs of spaces count as one (2.1.1), at most 128
// (2.1.2), any printable Unicode (2.1.4), no composition rules (2.1.9), and not a common or
// breached password (2.1.7: the 10,000 passwords of common_passwords.cpp, also with digits or symbols
// appended or repeated, compared case-insensitively), nor the account's email or its local part.
inline constexpr std::size_t kMinPasswordChars = 12;
inline constexpr std::size_t kMaxPasswordChars = 128;

// nullopt when acceptable, else a stable reason code ("too_short", "too_long", "common",
// "contains_email", "invalid_utf8", "control_character").
std::optional<std::string> CheckPassword(std::string_view password, std::string_view email);

// Whether the shipped list holds the password (lower-cased).
bool IsCommonPassword(std::string_view password);

}  // namespace nn::auth
