#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "auth/password_policy.hpp"

namespace nn::auth {

namespace {

// The most common passwords of public breach corpora that satisfy the length rule (ASVS 2.1.7
// asks for the top 1,000-10,000 "which match the system's password policy"); sorted for a
// binary search. Extend by adding lines in order.
constexpr std::array<std::string_view, 68> kCommon{
    "000000000000",     "0987654321qwerty", "11111111111111",
    "123456789012",     "1234567890123",    "12345678901234",
    "123456789abc",     "1234qwerasdf",     "123qweasdzxc",
    "1q2w3e4r5t6y",     "1q2w3e4r5t6y7u",   "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv", "987654321098",     "abc123abc123",
    "abcdefghijkl",     "abcdefghijklm",    "admin1234567",
    "adminadmin123",    "administrator",    "asdfghjkl123",
    "asdfghjkl;'",      "baseball1234",     "bitcoin12345",
    "changeme1234",     "computer1234",     "correcthorsebatterystaple",
    "dragon123456",     "football1234",     "iloveyou1234",
    "internet1234",     "investment123",    "jennifer1234",
    "letmein12345",     "master123456",     "michael12345",
    "moneymoney123",    "monkey123456",     "nexanest1234",
    "nexanestpassword", "p@ssw0rd1234",     "p@ssword1234",
    "passw0rd1234",     "password!234",     "password1234",
    "password12345",    "password123456",   "passwordpassword",
    "portfolio1234",    "princess1234",     "q1w2e3r4t5y6",
    "qazwsxedcrfv",     "qwerty123456",     "qwertyqwerty",
    "qwertyuiop123",    "qwertyuiop1234",   "qwertyuiopasdf",
    "shadow123456",     "starwars1234",     "stockmarket1",
    "sunshine1234",     "superman1234",     "thequickbrownfox",
    "trustno1trustno1", "welcome12345",     "whatever1234",
    "zaq12wsxcde3",     "zxcvbnm12345",
};

}  // namespace

bool IsCommonPassword(std::string_view password) {
    std::string lower(password);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return std::binary_search(kCommon.begin(), kCommon.end(), std::string_view(lower));
}

}  // namespace nn::auth
