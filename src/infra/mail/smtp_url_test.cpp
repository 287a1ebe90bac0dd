#include "infra/mail/smtp_url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "infra/mail/smtp_reply.hpp"

namespace nn::mail {
namespace {

TEST(SmtpUrl, Defaults) {
    auto u = ParseSmtpUrl("smtp://mail.example.com");
    EXPECT_FALSE(u.implicit_tls);
    EXPECT_EQ(u.host, "mail.example.com");
    EXPECT_EQ(u.port, 587);
    EXPECT_EQ(u.starttls, StartTls::kRequired);
    EXPECT_TRUE(u.tls_verify);
    EXPECT_TRUE(u.tls_ca_file.empty());
    EXPECT_EQ(u.timeout.count(), 30000);
    EXPECT_TRUE(u.user.empty());
    EXPECT_TRUE(u.password.Empty());

    auto s = ParseSmtpUrl("smtps://mail.example.com/");
    EXPECT_TRUE(s.implicit_tls);
    EXPECT_EQ(s.port, 465);
}

TEST(SmtpUrl, LoopbackMakesStartTlsOptional) {
    for (const char* url : {"smtp://127.0.0.1:2525", "smtp://localhost", "smtp://[::1]:25",
                            "smtp://127.1.2.3", "smtp://sink.localhost"}) {
        EXPECT_EQ(ParseSmtpUrl(url).starttls, StartTls::kOptional) << url;
    }
    EXPECT_EQ(ParseSmtpUrl("smtp://[::1]:25").host, "::1");
    EXPECT_EQ(ParseSmtpUrl("smtp://localhost?starttls=required").starttls, StartTls::kRequired);
    EXPECT_EQ(ParseSmtpUrl("smtp://10.0.0.1").starttls, StartTls::kRequired);
    EXPECT_EQ(ParseSmtpUrl("smtp://notlocalhost").starttls, StartTls::kRequired);
}

TEST(SmtpUrl, CredentialsAndOptions) {
    auto u = ParseSmtpUrl(
        "smtp://us%40er:p%40ss%3Aw@mail.example.com:2587?starttls=required&tls_verify=false&tls_ca=/etc/"
        "ca.pem&"
        "timeout_ms=1500");
    EXPECT_EQ(u.user, "us@er");
    EXPECT_EQ(u.password.Reveal(), "p@ss:w");
    EXPECT_EQ(u.port, 2587);
    EXPECT_FALSE(u.tls_verify);
    EXPECT_EQ(u.tls_ca_file, "/etc/ca.pem");
    EXPECT_EQ(u.timeout.count(), 1500);
    EXPECT_EQ(ParseSmtpUrl("smtp://u:p@127.0.0.1?starttls=never").starttls, StartTls::kNever);
    EXPECT_EQ(ParseSmtpUrl("smtps://u:p@mail.example.com").user, "u");
}

TEST(SmtpUrl, RejectsBadUrlsWithoutShowingThePassword) {
    std::vector<std::string> bad = {
        "http://x",
        "smtp://",
        "smtp://host:",
        "smtp://host:0",
        "smtp://host:70000",
        "smtp://host/path",
        "smtp://host?nope=1",
        "smtp://host?starttls=sometimes",
        "smtps://host?starttls=required",
        "smtp://host?tls_verify=maybe",
        "smtp://host?timeout_ms=0",
        "smtp://host?timeout_ms",
        "smtp://[::1",
        "smtp://:hunter2secret@host",
        "smtp://u:hunter2secret@mail.example.com?starttls=optional",
        "smtp://u:hunter2secret@mail.example.com?starttls=never",
        "smtp://u:hunter2%zzsecret@host",
    };
    for (const auto& url : bad) {
        try {
            ParseSmtpUrl(url);
            ADD_FAILURE() << "accepted " << url;
        } catch (const Error& e) {
            EXPECT_EQ(e.Code(), "config.invalid") << url;
            EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
            EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
        }
    }
}

TEST(SmtpReply, ReadsSingleAndMultiLineReplies) {
    SmtpReplyReader r;
    r.Feed(
        "220 mail.example.com ESMTP ready\r\n250-mail.example.com\r\n250-SIZE 1000\r\n250-AUTH PLAIN "
        "LOGIN\r\n");
    auto greeting = r.Next();
    ASSERT_TRUE(greeting);
    EXPECT_EQ(greeting->code, 220);
    EXPECT_EQ(greeting->lines, std::vector<std::string>{"mail.example.com ESMTP ready"});
    EXPECT_FALSE(r.Next());    // the multi-line reply is not complete yet
    r.Feed("250 STARTTLS\n");  // a bare LF is tolerated
    auto ehlo = r.Next();
    ASSERT_TRUE(ehlo);
    EXPECT_EQ(ehlo->code, 250);
    EXPECT_EQ(ehlo->lines.size(), 4u);
    auto ext = ParseExtensions(*ehlo);
    EXPECT_TRUE(ext.starttls);
    EXPECT_TRUE(ext.auth_plain);
    EXPECT_TRUE(ext.auth_login);
    EXPECT_FALSE(r.Next());
}

TEST(SmtpReply, ByteByByte) {
    std::string wire = "354 go ahead\r\n221\r\n";
    SmtpReplyReader r;
    std::vector<int> codes;
    for (char c : wire) {
        r.Feed(std::string(1, c));
        while (auto reply = r.Next()) codes.push_back(reply->code);
    }
    EXPECT_EQ(codes, (std::vector<int>{354, 221}));
}

TEST(SmtpReply, ExtensionsNeedTheirOwnLine) {
    SmtpReplyReader r;
    r.Feed("250-starttls.example.com\r\n250-auth=login\r\n250 8BITMIME\r\n");
    auto ext = ParseExtensions(*r.Next());
    EXPECT_FALSE(ext.starttls);  // the greeting name is not an extension
    EXPECT_TRUE(ext.auth_login);
    EXPECT_FALSE(ext.auth_plain);
}

TEST(SmtpReply, MalformedRepliesAreUnavailable) {
    for (std::string bad : {"hello\r\n", "25\r\n", "250x\r\n", "650 nope\r\n", "250-a\r\n251 b\r\n"}) {
        SmtpReplyReader r;
        r.Feed(bad);
        try {
            while (r.Next()) {
            }
            ADD_FAILURE() << "accepted " << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.Code(), "mail.unavailable");
            EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
        }
    }
    SmtpReplyReader endless;
    EXPECT_THROW(endless.Feed(std::string(5000, 'x')), Error);
    SmtpReplyReader many;
    std::string lines;
    for (int i = 0; i < 200; ++i) lines += "250-x\r\n";
    many.Feed(lines);
    EXPECT_THROW(many.Next(), Error);
}

TEST(SmtpReply, TextIsShortAndPrintable) {
    SmtpReply r{550, {"no such user", std::string("bad\x01") + std::string(400, 'y')}};
    auto text = r.Text();
    EXPECT_EQ(text.rfind("no such user / bad?", 0), 0u);
    EXPECT_LE(text.size(), 303u);
}

}  // namespace
}  // namespace nn::mail
