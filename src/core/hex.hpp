#pragma once

// The value of one hexadecimal digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1: the one digit reader
// of the UUID parser, the crypto hex decoder and the replica's LSN parser.
namespace nn {

constexpr int HexDigitValue(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace nn
