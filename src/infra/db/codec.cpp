#include "infra/db/codec.hpp"

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace nn::db {
namespace {

constexpr std::uint16_t kPositive = 0x0000;
constexpr std::uint16_t kNegative = 0x4000;
constexpr std::uint16_t kNaN = 0xC000;
constexpr std::uint16_t kPlusInf = 0xD000;
constexpr std::uint16_t kMinusInf = 0xF000;

void AppendHeader(int ndigits, int weight, std::uint16_t sign, int dscale, std::string& out) {
    AppendBigEndian(static_cast<std::uint16_t>(ndigits), 2, out);
    AppendBigEndian(static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)), 2, out);
    AppendBigEndian(sign, 2, out);
    AppendBigEndian(static_cast<std::uint16_t>(dscale), 2, out);
}

}  // namespace

std::string NumericBinaryToString(std::string_view bytes) {
    if (bytes.size() < 8) throw std::invalid_argument("numeric: short header");
    const int ndigits = static_cast<std::int16_t>(ReadBigEndian(bytes.data(), 2));
    const int weight = static_cast<std::int16_t>(ReadBigEndian(bytes.data() + 2, 2));
    const auto sign = static_cast<std::uint16_t>(ReadBigEndian(bytes.data() + 4, 2));
    const int dscale = static_cast<std::int16_t>(ReadBigEndian(bytes.data() + 6, 2));
    if (sign == kNaN) return "NaN";
    if (sign == kPlusInf) return "Infinity";
    if (sign == kMinusInf) return "-Infinity";
    if ((sign != kPositive && sign != kNegative) || ndigits < 0 || dscale < 0) {
        throw std::invalid_argument("numeric: bad header");
    }
    if (bytes.size() != 8 + 2 * static_cast<std::size_t>(ndigits)) {
        throw std::invalid_argument("numeric: length does not match ndigits");
    }
    std::vector<int> digits(static_cast<std::size_t>(ndigits));
    for (int i = 0; i < ndigits; ++i) {
        digits[i] = static_cast<int>(ReadBigEndian(bytes.data() + 8 + 2 * i, 2));
        if (digits[i] > 9999) throw std::invalid_argument("numeric: digit out of range");
    }
    auto digit_at = [&](int index) { return index >= 0 && index < ndigits ? digits[index] : 0; };

    std::string out;
    if (sign == kNegative && ndigits > 0) out.push_back('-');
    if (weight < 0) {
        out.push_back('0');
    } else {
        for (int i = 0; i <= weight; ++i) {
            std::string group = std::to_string(digit_at(i));
            if (i > 0) out.append(4 - group.size(), '0');
            out += group;
        }
    }
    if (dscale > 0) {
        out.push_back('.');
        std::string fraction;
        for (int k = 1; static_cast<int>(fraction.size()) < dscale; ++k) {
            std::string group = std::to_string(digit_at(weight + k));
            fraction.append(4 - group.size(), '0');
            fraction += group;
        }
        fraction.resize(static_cast<std::size_t>(dscale));
        out += fraction;
    }
    return out;
}

void AppendNumericBinary(std::string_view text, std::string& out) {
    if (text == "NaN") return AppendHeader(0, 0, kNaN, 0, out);
    if (text == "Infinity" || text == "+Infinity") return AppendHeader(0, 0, kPlusInf, 0, out);
    if (text == "-Infinity") return AppendHeader(0, 0, kMinusInf, 0, out);

    bool negative = false;
    std::size_t pos = 0;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) negative = text[pos++] == '-';
    const std::size_t int_begin = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    std::string_view int_part = text.substr(int_begin, pos - int_begin);
    std::string_view frac_part;
    if (pos < text.size() && text[pos] == '.') {
        const std::size_t frac_begin = ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
        frac_part = text.substr(frac_begin, pos - frac_begin);
        if (frac_part.empty()) throw std::invalid_argument("numeric: no digits after the point");
    }
    if (pos != text.size() || int_part.empty()) throw std::invalid_argument("numeric: not a decimal number");
    if (frac_part.size() > 0x3FFF) throw std::invalid_argument("numeric: too many fractional digits");
    while (int_part.size() > 1 && int_part.front() == '0') int_part.remove_prefix(1);
    if (int_part == "0") int_part = {};

    // Align both parts to base-10000 groups: the integer part is padded on the left, the
    // fraction on the right, so every group is one NBASE digit.
    const std::size_t int_groups = (int_part.size() + 3) / 4;
    const std::size_t frac_groups = (frac_part.size() + 3) / 4;
    std::string padded(int_groups * 4 - int_part.size(), '0');
    padded += int_part;
    padded += frac_part;
    padded.append(frac_groups * 4 - frac_part.size(), '0');

    std::vector<std::uint16_t> groups;
    groups.reserve(int_groups + frac_groups);
    for (std::size_t g = 0; g < int_groups + frac_groups; ++g) {
        int value = 0;
        for (std::size_t i = 0; i < 4; ++i) value = value * 10 + (padded[g * 4 + i] - '0');
        groups.push_back(static_cast<std::uint16_t>(value));
    }
    int weight = static_cast<int>(int_groups) - 1;
    std::size_t first = 0;
    while (first < groups.size() && groups[first] == 0) {
        ++first;
        --weight;
    }
    std::size_t last = groups.size();
    while (last > first && groups[last - 1] == 0) --last;
    if (first == last) {
        // Zero: PostgreSQL writes no digits, weight 0, positive sign, and keeps the scale.
        return AppendHeader(0, 0, kPositive, static_cast<int>(frac_part.size()), out);
    }
    if (weight > 0x7FFF || weight < -0x8000) throw std::invalid_argument("numeric: out of range");
    AppendHeader(static_cast<int>(last - first), weight, negative ? kNegative : kPositive,
                 static_cast<int>(frac_part.size()), out);
    for (std::size_t g = first; g < last; ++g) AppendBigEndian(groups[g], 2, out);
}

namespace {

// Base-10000 digits of integer.fraction, most significant first; `fraction` holds frac_groups*4
// decimal digits. Templated so values that fit 64 bits (nearly all prices and quantities) avoid
// 128-bit division.
template <class U>
int SplitGroups(U integer, U fraction, int frac_groups, std::uint16_t* groups, int& int_groups) {
    std::uint16_t reversed[16];
    int n = 0;
    for (int i = 0; i < frac_groups; ++i) {
        reversed[n++] = static_cast<std::uint16_t>(fraction % 10000);
        fraction /= 10000;
    }
    while (integer != 0) {
        reversed[n++] = static_cast<std::uint16_t>(integer % 10000);
        integer /= 10000;
    }
    int_groups = n - frac_groups;
    for (int i = 0; i < n; ++i) groups[i] = reversed[n - 1 - i];
    return n;
}

}  // namespace

void AppendNumericBinary(__int128 mantissa, int scale, std::string& out) {
    if (scale < 0 || scale > 18) throw std::invalid_argument("numeric: scale outside 0..18");
    const bool negative = mantissa < 0;
    const unsigned __int128 magnitude = negative ? static_cast<unsigned __int128>(-(mantissa + 1)) + 1
                                                 : static_cast<unsigned __int128>(mantissa);
    std::uint64_t pow10 = 1;
    for (int i = 0; i < scale; ++i) pow10 *= 10;
    const int frac_groups = (scale + 3) / 4;
    std::uint64_t pad = 1;
    for (int i = scale; i < frac_groups * 4; ++i) pad *= 10;

    std::uint16_t groups[16];  // up to 10 integer and 5 fraction groups
    int int_groups = 0;
    int n = 0;
    if (magnitude <= UINT64_MAX && scale <= 16) {
        const auto m = static_cast<std::uint64_t>(magnitude);
        n = SplitGroups<std::uint64_t>(m / pow10, (m % pow10) * pad, frac_groups, groups, int_groups);
    } else {
        n = SplitGroups<unsigned __int128>(magnitude / pow10, (magnitude % pow10) * pad, frac_groups, groups,
                                           int_groups);
    }
    int weight = int_groups - 1;
    int first = 0;
    while (first < n && groups[first] == 0) {
        ++first;
        --weight;
    }
    int last = n;
    while (last > first && groups[last - 1] == 0) --last;
    if (first == last) return AppendHeader(0, 0, kPositive, scale, out);
    AppendHeader(last - first, weight, negative ? kNegative : kPositive, scale, out);
    for (int g = first; g < last; ++g) AppendBigEndian(groups[g], 2, out);
}

}  // namespace nn::db
