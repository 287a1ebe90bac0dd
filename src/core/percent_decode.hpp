#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nn {

// RFC 3986 percent-decoding (Boost.URL): "%41" becomes "A"; '+' stays '+'. nullopt when an
// escape is truncated or not two hex digits ("%", "%4", "%zz"). The decoded text may hold any
// byte, NUL included: a caller that cannot take one checks for it.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace nn
