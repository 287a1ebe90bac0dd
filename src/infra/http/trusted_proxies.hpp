#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nn::http {

// The proxies (load balancers) whose X-Forwarded-For header the server believes, and the client
// address that follows from it (ServerOptions::trusted_proxies).
//
// A request's client address is its TCP peer unless that peer is a trusted proxy. Then it is the
// rightmost X-Forwarded-For entry that is not itself a trusted proxy: each proxy appends the
// address it received the request from, so entries right of that one were written by proxies we
// trust, and everything left of it came from the client and may be invented. A client can
// therefore never choose its own address, and with no trusted proxies the header is ignored.
class TrustedProxies {
public:
    TrustedProxies() = default;

    // Each entry is an IPv4 or IPv6 address ("10.0.0.7", "::1") or a network in CIDR form
    // ("10.0.0.0/8", "fd00::/8"). Throws std::invalid_argument naming the first bad entry.
    static TrustedProxies Parse(const std::vector<std::string>& entries);

    bool Empty() const { return networks_.empty(); }

    // Whether `address` (textual IPv4 or IPv6) lies in one of the networks; false if unparseable.
    bool Contains(std::string_view address) const;

    // The client address of a request from `peer` carrying `forwarded_for` (the values of all its
    // X-Forwarded-For fields joined by ','; "" when none). Rules, walking the entries right to left
    // while the current hop is trusted: the first entry that is not a trusted proxy is the client;
    // a malformed entry stops the walk at the hop that sent it; when every entry is a trusted
    // proxy, the leftmost one is the client. IPv6 entries may be bracketed, and an entry may carry
    // a port ("[2001:db8::1]:443", "192.0.2.1:5000"); the result is the bare address.
    std::string ClientAddress(std::string_view peer, std::string_view forwarded_for) const;

private:
    struct Network {
        std::array<std::uint8_t, 16> bytes{};  // IPv6, or IPv4 as an IPv4-mapped IPv6 address
        unsigned prefix = 128;
    };
    std::vector<Network> networks_;
};

}  // namespace nn::http
