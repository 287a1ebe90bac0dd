#include "infra/http/trusted_proxies.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace nn::http {
namespace {

namespace ip = boost::asio::ip;

// An address as 16 bytes; IPv4 becomes IPv4-mapped IPv6 so one comparison serves both.
std::array<std::uint8_t, 16> Bytes(const ip::address& a) {
    if (a.is_v4()) return ip::make_address_v6(ip::v4_mapped, a.to_v4()).to_bytes();
    return a.to_v6().to_bytes();
}

std::optional<ip::address> ParseAddress(std::string_view s) {
    boost::system::error_code ec;
    auto a = ip::make_address(std::string(s), ec);
    if (ec) return std::nullopt;
    if (a.is_v6() && a.to_v6().scope_id() != 0) return std::nullopt;  // "fe80::1%eth0": not for us
    return a;
}

// One X-Forwarded-For entry: "192.0.2.1", "192.0.2.1:5000", "2001:db8::1", "[2001:db8::1]" or
// "[2001:db8::1]:443", surrounded by optional spaces or tabs.
std::optional<ip::address> ParseEntry(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    auto port_ok = [](std::string_view p) {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        return !p.empty() && ec == std::errc() && end == p.data() + p.size() && v <= 65535;
    };
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        const auto rest = s.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !port_ok(rest.substr(1)))) return std::nullopt;
        auto a = ParseAddress(s.substr(1, close - 1));
        if (!a || !a->is_v6()) return std::nullopt;
        return a;
    }
    const auto colon = s.find(':');
    if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
        // exactly one colon: IPv4 with a port
        if (!port_ok(s.substr(colon + 1))) return std::nullopt;
        auto a = ParseAddress(s.substr(0, colon));
        if (!a || !a->is_v4()) return std::nullopt;
        return a;
    }
    return ParseAddress(s);
}

}  // namespace

TrustedProxies TrustedProxies::Parse(const std::vector<std::string>& entries) {
    TrustedProxies out;
    for (const auto& entry : entries) {
        const auto slash = entry.find('/');
        const std::string_view text = std::string_view(entry).substr(0, slash);
        auto address = ParseAddress(text);
        if (!address) throw std::invalid_argument("not an IP address or CIDR network: '" + entry + "'");
        const unsigned width = address->is_v4() ? 32 : 128;
        unsigned prefix = width;
        if (slash != std::string::npos) {
            const std::string_view digits = std::string_view(entry).substr(slash + 1);
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
            if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
                prefix > width) {
                throw std::invalid_argument("not an IP address or CIDR network: '" + entry + "'");
            }
        }
        Network n;
        n.bytes = Bytes(*address);
        n.prefix = prefix + (128 - width);
        // Host bits are ignored ("10.1.2.3/8" is 10.0.0.0/8), as routers read it.
        for (unsigned bit = n.prefix; bit < 128; ++bit) n.bytes[bit / 8] &= ~(0x80u >> (bit % 8));
        out.networks_.push_back(n);
    }
    return out;
}

bool TrustedProxies::Contains(std::string_view address) const {
    auto a = ParseAddress(address);
    if (!a) return false;
    const auto bytes = Bytes(*a);
    for (const auto& n : networks_) {
        bool match = true;
        for (unsigned bit = 0; bit < n.prefix && match; bit += 8) {
            const unsigned take = n.prefix - bit >= 8 ? 8 : n.prefix - bit;
            const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - take));
            match = (bytes[bit / 8] & mask) == n.bytes[bit / 8];
        }
        if (match) return true;
    }
    return false;
}

std::string TrustedProxies::ClientAddress(std::string_view peer, std::string_view forwarded_for) const {
    std::string client(peer);
    if (networks_.empty() || !Contains(peer)) return client;
    std::string_view rest = forwarded_for;
    while (!rest.empty()) {
        const auto comma = rest.rfind(',');
        const std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
        const auto address = ParseEntry(entry);
        if (!address) return client;  // garbage: the hop that handed it to us is the client
        client = address->to_string();
        if (!Contains(client)) return client;
    }
    return client;  // every hop is a trusted proxy: the leftmost one
}

}  // namespace nn::http
