#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// PostgreSQL binary wire formats that are not a plain big-endian integer (timeseries.md §3.3).
// Pure functions: tested without a server.
namespace nn::db {

// PostgreSQL type OIDs the driver knows (pg_type.dat).
namespace oid {
inline constexpr std::uint32_t kUnknown = 0;  // let the server infer the parameter type
inline constexpr std::uint32_t kBool = 16;
inline constexpr std::uint32_t kBytea = 17;
inline constexpr std::uint32_t kName = 19;
inline constexpr std::uint32_t kInt8 = 20;
inline constexpr std::uint32_t kInt2 = 21;
inline constexpr std::uint32_t kInt4 = 23;
inline constexpr std::uint32_t kText = 25;
inline constexpr std::uint32_t kOid = 26;
inline constexpr std::uint32_t kJson = 114;
inline constexpr std::uint32_t kFloat4 = 700;
inline constexpr std::uint32_t kFloat8 = 701;
inline constexpr std::uint32_t kUnknownLiteral = 705;
inline constexpr std::uint32_t kBpchar = 1042;
inline constexpr std::uint32_t kVarchar = 1043;
inline constexpr std::uint32_t kDate = 1082;
inline constexpr std::uint32_t kTimestamp = 1114;
inline constexpr std::uint32_t kTimestamptz = 1184;
inline constexpr std::uint32_t kNumeric = 1700;
inline constexpr std::uint32_t kUuid = 2950;
inline constexpr std::uint32_t kJsonb = 3802;
// Types created after initdb (enums, extension types such as citext) start here; their binary
// form is the text of the value for enums and citext.
inline constexpr std::uint32_t kFirstUserOid = 16384;
}  // namespace oid

// A decimal number in text that must travel as PostgreSQL numeric ("123.4500", "-0.5", "NaN",
// "Infinity", "-Infinity"). The view must outlive the call that encodes it.
struct NumericText {
    std::string_view text;
};

// Binary numeric (ndigits, weight, sign, dscale, base-10000 digits) -> exact decimal text with
// exactly dscale fractional digits: {123, 4500} dscale 4 -> "123.4500". NaN and infinities come
// out as "NaN", "Infinity", "-Infinity". Throws std::invalid_argument on malformed input.
std::string NumericBinaryToString(std::string_view bytes);

// The inverse: appends the binary numeric of `text` ([+-]digits[.digits], or NaN/Infinity) to
// `out`, keeping the text's fractional digits as dscale. Throws std::invalid_argument on
// anything else (no exponent, no spaces).
void AppendNumericBinary(std::string_view text, std::string& out);

// The same from a scaled integer (value = mantissa * 10^-scale, scale 0..18 as in nn::Decimal),
// without going through text: COPY of prices and quantities stays cheap.
void AppendNumericBinary(__int128 mantissa, int scale, std::string& out);

// Big-endian helpers shared by parameters, results and COPY.
inline void AppendBigEndian(std::uint64_t value, int bytes, std::string& out) {
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

inline std::uint64_t ReadBigEndian(const char* data, int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
    return value;
}

}  // namespace nn::db
