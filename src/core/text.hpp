#pragma once

#include <string>
#include <string_view>

namespace nn {

// `s` with the ASCII letters A-Z lowered; every other byte (UTF-8 included) unchanged. For
// case-insensitive protocol tokens: e-mail addresses, header and scheme names, CSV headers.
std::string AsciiLower(std::string_view s);

}  // namespace nn
