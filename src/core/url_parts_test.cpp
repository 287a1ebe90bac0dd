#include "core/url_parts.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace nn {
namespace {

[[noreturn]] void UrlPartsFail(const std::string& why) {
    throw std::invalid_argument(why);
}

std::string UrlPartsFailure(void (*call)()) {
    try {
        call();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TEST(UrlParts, UserInfoSplitsAtTheLastAtAndDecodes) {
    std::string_view rest = "us%40er:p%40ss@w@rd@host:25/x";
    auto info = TakeUrlUserInfo(rest, UrlPartsFail);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->user, "us@er");
    EXPECT_EQ(info->password, "p@ss@w@rd");
    EXPECT_EQ(rest, "host:25/x");

    std::string_view bare = "host:25";
    EXPECT_FALSE(TakeUrlUserInfo(bare, UrlPartsFail).has_value());
    EXPECT_EQ(bare, "host:25");

    std::string_view user_only = "alice@host";
    auto alice = TakeUrlUserInfo(user_only, UrlPartsFail);
    ASSERT_TRUE(alice.has_value());
    EXPECT_EQ(alice->user, "alice");
    EXPECT_FALSE(alice->password.has_value());
    EXPECT_EQ(UrlPartsFailure([] {
                  std::string_view r = "a%zz@host";
                  TakeUrlUserInfo(r, UrlPartsFail);
              }),
              "bad %-escape in the user");
}

TEST(UrlParts, HostAndPort) {
    auto plain = ParseUrlHostPort("mail.example.org:587", UrlPartsFail);
    EXPECT_EQ(plain.host, "mail.example.org");
    EXPECT_EQ(plain.port, 587);
    auto v6 = ParseUrlHostPort("[::1]:6380", UrlPartsFail);
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 6380);
    auto no_port = ParseUrlHostPort("[::1]", UrlPartsFail);
    EXPECT_EQ(no_port.host, "::1");
    EXPECT_FALSE(no_port.port.has_value());
    auto port_only = ParseUrlHostPort(":6379", UrlPartsFail);
    EXPECT_EQ(port_only.host, "");  // the caller's default host applies
    EXPECT_EQ(port_only.port, 6379);
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlHostPort("[::1", UrlPartsFail); }), "unterminated IPv6 address");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlHostPort("[]:1", UrlPartsFail); }), "empty host");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlHostPort("[::1]x", UrlPartsFail); }),
              "unexpected text after the IPv6 address");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlHostPort("host:", UrlPartsFail); }), "empty port");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlHostPort("host:0", UrlPartsFail); }), "bad port '0'");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlHostPort("host:65536", UrlPartsFail); }), "bad port '65536'");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlHostPort("host:+1", UrlPartsFail); }), "bad port '+1'");
}

TEST(UrlParts, BoundedIntegers) {
    EXPECT_EQ(ParseUrlInteger("0", 0, 10, "n", UrlPartsFail), 0);
    EXPECT_EQ(ParseUrlInteger("10", 0, 10, "n", UrlPartsFail), 10);
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlInteger("11", 0, 10, "n", UrlPartsFail); }), "bad n '11'");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlInteger("-1", 0, 10, "n", UrlPartsFail); }), "bad n '-1'");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlInteger("1x", 0, 10, "n", UrlPartsFail); }), "bad n '1x'");
    EXPECT_EQ(UrlPartsFailure([] { ParseUrlInteger("", 0, 10, "n", UrlPartsFail); }), "bad n ''");
}

}  // namespace
}  // namespace nn
