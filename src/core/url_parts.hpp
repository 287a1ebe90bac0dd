#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// What the service-URL parsers (redis::ParseUrl, mail::ParseSmtpUrl) share: the user info and the
// host[:port] of an authority, and bounded numbers. Each parser keeps its own schemes, options
// and error: it passes its failure function, which throws and never returns.
namespace nn {

using UrlFail = void (*)(const std::string& why);

struct UrlUserInfo {
    std::string user;
    std::optional<std::string> password;
};

struct UrlHostPort {
    std::string host;  // empty when the authority names none (the caller's default applies)
    std::optional<std::uint16_t> port;
};

// Splits "user[:password]@" off the front of `rest` when it has one (at the last '@': a password
// holds '@' only percent-encoded), percent-decoded; `rest` keeps what follows.
std::optional<UrlUserInfo> TakeUrlUserInfo(std::string_view& rest, UrlFail fail);

// "host", "host:port", "[v6]" or "[v6]:port"; a port is 1-65535.
UrlHostPort ParseUrlHostPort(std::string_view authority, UrlFail fail);

// A decimal integer in [min, max], the whole text; `what` names it in the failure.
std::int64_t ParseUrlInteger(
    std::string_view text, std::int64_t min, std::int64_t max, const char* what, UrlFail fail);

// Percent-decodes one part of a URL; `what` names it in the failure.
std::string DecodeUrlPart(std::string_view text, const char* what, UrlFail fail);

}  // namespace nn
