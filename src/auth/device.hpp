#pragma once

#include <optional>
#include <string>
#include <string_view>

// What "the same device" means for the new-device sign-in notice (docs/auth.md "New device"):
// the browser or client family and the operating system family read from the User-Agent, plus
// the network of the address (IPv4 /24, IPv6 /48). Versions are left out on purpose, so an
// update of the browser is not a new device; the network prefix tolerates address changes
// inside one provider's block.
namespace nn::auth {

// "Firefox on Linux", "Chrome on Android", "curl", "unknown": the family, never a version.
std::string UserAgentFamily(std::string_view user_agent);

// "<family>|<network>"; the network is the SQL side's text (e.g. "192.0.2.0/24"), empty when the
// address is unknown.
std::string DeviceKey(std::string_view user_agent, std::string_view network);

}  // namespace nn::auth
