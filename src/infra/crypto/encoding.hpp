#pragma once

#include <optional>
#include <string>
#include <string_view>

// Text encodings of byte strings. Bytes travel as std::string (any octet value).
namespace nn::crypto {

// RFC 4648 §5 alphabet, no padding (RFC 7515 §2).
std::string Base64UrlEncode(std::string_view bytes);

// Strict inverse of Base64UrlEncode: nullopt on '=', any character outside [A-Za-z0-9_-]
// (whitespace included), a length ≡ 1 (mod 4), or a final character whose unused bits are not
// zero (RFC 4648 §3.5), so every byte string has exactly one accepted encoding. "" decodes to "".
std::optional<std::string> Base64UrlDecode(std::string_view text);

// RFC 4648 §4 alphabet with '=' padding.
std::string Base64Encode(std::string_view bytes);

// Strict inverse of Base64Encode: padding required to a multiple of 4, canonical final bits.
std::optional<std::string> Base64Decode(std::string_view text);

// RFC 4648 §4 alphabet without padding, as in PHC strings ($argon2id$...$salt$hash).
std::string Base64EncodeUnpadded(std::string_view bytes);
std::optional<std::string> Base64DecodeUnpadded(std::string_view text);

// Lower-case hex.
std::string HexEncode(std::string_view bytes);

// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view text);

}  // namespace nn::crypto
