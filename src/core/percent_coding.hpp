#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nn {

// RFC 3986 percent-decoding (Boost.URL): "%41" becomes "A"; '+' stays '+'. nullopt when an
// escape is truncated or not two hex digits ("%", "%4", "%zz"). The decoded text may hold any
// byte, NUL included: a caller that cannot take one checks for it.
std::optional<std::string> PercentDecode(std::string_view text);

// RFC 3986 percent-encoding (Boost.URL) of every byte but the unreserved characters
// (ALPHA / DIGIT / "-" / "." / "_" / "~"), upper-case hex: a value safe in any URL component
// (a user name or password in a database URL, a token in a link's query).
std::string PercentEncode(std::string_view text);

}  // namespace nn
