#include "infra/http/trusted_proxies.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

namespace nn::http {
namespace {

TEST(TrustedProxies, WithoutTrustedProxiesTheHeaderIsIgnored) {
    const TrustedProxies none;
    EXPECT_EQ(none.ClientAddress("198.51.100.9", "203.0.113.7"), "198.51.100.9");
    EXPECT_EQ(none.ClientAddress("127.0.0.1", "203.0.113.7"), "127.0.0.1");
}

TEST(TrustedProxies, SpoofedHeaderFromAnUntrustedPeerIsIgnored) {
    const auto trusted = TrustedProxies::Parse({"10.0.0.0/8"});
    EXPECT_EQ(trusted.ClientAddress("198.51.100.9", "203.0.113.7"), "198.51.100.9");
    EXPECT_EQ(trusted.ClientAddress("198.51.100.9", "10.0.0.1"), "198.51.100.9");
}

TEST(TrustedProxies, TrustedPeerGivesTheRightmostUntrustedEntry) {
    const auto trusted = TrustedProxies::Parse({"10.0.0.0/8", "192.0.2.10"});
    EXPECT_EQ(trusted.ClientAddress("10.1.2.3", "203.0.113.7"), "203.0.113.7");
    // The client prepended an invented address; the one our proxy appended wins.
    EXPECT_EQ(trusted.ClientAddress("10.1.2.3", "1.2.3.4, 203.0.113.7"), "203.0.113.7");
    // A chain of proxies: the edge proxy (192.0.2.10) forwarded to an inner one (10.9.9.9).
    EXPECT_EQ(trusted.ClientAddress("10.9.9.9", "1.2.3.4, 203.0.113.7, 192.0.2.10"), "203.0.113.7");
    EXPECT_EQ(trusted.ClientAddress("10.9.9.9", "203.0.113.7,10.0.0.5,192.0.2.10"), "203.0.113.7");
    // An untrusted hop in the middle ends the walk there, whatever it claims further left.
    EXPECT_EQ(trusted.ClientAddress("10.9.9.9", "10.0.0.1, 198.51.100.1, 192.0.2.10"), "198.51.100.1");
}

TEST(TrustedProxies, MissingHeaderOrOnlyProxies) {
    const auto trusted = TrustedProxies::Parse({"127.0.0.1", "10.0.0.0/8"});
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", ""), "127.0.0.1");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "10.0.0.2, 10.0.0.3"), "10.0.0.2");
}

TEST(TrustedProxies, MalformedEntryStopsAtTheHopThatSentIt) {
    const auto trusted = TrustedProxies::Parse({"127.0.0.1", "10.0.0.0/8"});
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "unknown"), "127.0.0.1");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "203.0.113.7, garbage, 10.0.0.2"), "10.0.0.2");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "203.0.113.7,,"), "127.0.0.1");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "203.0.113.7:99999"), "127.0.0.1");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "[203.0.113.7]"), "127.0.0.1");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "256.1.1.1"), "127.0.0.1");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "fe80::1%eth0"), "127.0.0.1");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", " 203.0.113.7 ,\t10.0.0.2"), "203.0.113.7");
}

TEST(TrustedProxies, PortsAreDropped) {
    const auto trusted = TrustedProxies::Parse({"127.0.0.1"});
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "203.0.113.7:5000"), "203.0.113.7");
    EXPECT_EQ(trusted.ClientAddress("127.0.0.1", "[2001:db8::7]:443"), "2001:db8::7");
}

TEST(TrustedProxies, Ipv6) {
    const auto trusted = TrustedProxies::Parse({"::1", "fd00::/8"});
    EXPECT_TRUE(trusted.Contains("::1"));
    EXPECT_TRUE(trusted.Contains("fd12:3456::1"));
    EXPECT_FALSE(trusted.Contains("fe00::1"));
    EXPECT_FALSE(trusted.Contains("127.0.0.1"));
    EXPECT_EQ(trusted.ClientAddress("::1", "2001:db8::7"), "2001:db8::7");
    EXPECT_EQ(trusted.ClientAddress("fd00::2", "2001:db8::7, [fd00::3]"), "2001:db8::7");
    EXPECT_EQ(trusted.ClientAddress("2001:db8::9", "2001:db8::7"), "2001:db8::9");
    EXPECT_EQ(trusted.ClientAddress("::1", "203.0.113.7"), "203.0.113.7");
    // An IPv4 proxy seen through a dual-stack socket (IPv4-mapped) is the same proxy.
    const auto v4 = TrustedProxies::Parse({"10.0.0.0/8"});
    EXPECT_EQ(v4.ClientAddress("::ffff:10.0.0.1", "203.0.113.7"), "203.0.113.7");
}

TEST(TrustedProxies, NetworksMatchOnTheirPrefix) {
    const auto trusted = TrustedProxies::Parse({"192.168.4.0/22", "10.1.2.3/8"});
    EXPECT_TRUE(trusted.Contains("192.168.7.255"));
    EXPECT_FALSE(trusted.Contains("192.168.8.0"));
    EXPECT_TRUE(trusted.Contains("10.200.0.1"));  // host bits of the entry are ignored
    EXPECT_FALSE(trusted.Contains("11.0.0.1"));
    EXPECT_TRUE(TrustedProxies::Parse({"0.0.0.0/0"}).Contains("203.0.113.7"));
    EXPECT_FALSE(TrustedProxies::Parse({"0.0.0.0/0"}).Contains("2001:db8::1"));
}

TEST(TrustedProxies, BadEntriesAreRefused) {
    for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "host.example",
                            "10.0.0.1/8x", "10.0.0.0/-1"}) {
        EXPECT_THROW(TrustedProxies::Parse({bad}), std::invalid_argument) << bad;
    }
    EXPECT_TRUE(TrustedProxies().Empty());
    EXPECT_FALSE(TrustedProxies::Parse({"::1"}).Empty());
}

}  // namespace
}  // namespace nn::http
