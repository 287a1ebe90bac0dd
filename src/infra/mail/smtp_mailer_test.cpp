// Delivery against a real SMTP server: testdata/smtp_sink.py (python3-aiosmtpd) on loopback,
// started by each test on a free port.
#include "infra/mail/smtp_mailer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <set>

#include "core/error.hpp"
#include "infra/mail/mail_test_util.hpp"
#include "infra/mail/templates.hpp"
#include "infra/runtime/config.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::mail {
namespace {

using namespace test_util;
using nn::test::RunAwaitable;
using std::chrono::steady_clock;

class SmtpMailerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        certs_ = new TempDir();
        localhost_ = MakeCert(certs_->Path(), "localhost", "DNS:localhost,IP:127.0.0.1");
        other_ = MakeCert(certs_->Path(), "other", "DNS:other.example");
    }
    static void TearDownTestSuite() {
        delete certs_;
        certs_ = nullptr;
    }

    std::unique_ptr<mail::Mailer> MakeFor(const std::string& url) {
        runtime::Config c;
        c.smtp_url = Secret(url);
        c.mail_from = "NexaNest <no-reply@nexanest.localhost>";
        return MakeMailer(c, io_.get_executor());
    }

    static std::string Local(const SmtpSink& sink, const std::string& scheme = "smtp") {
        return scheme + "://127.0.0.1:" + std::to_string(sink.Port());
    }

    void Send(mail::Mailer& mailer, Message m) { RunAwaitable(io_, mailer.Send(std::move(m))); }

    // The nn::Error a send ends with; fails the test if it succeeds.
    Error SendFails(mail::Mailer& mailer, Message m) {
        try {
            Send(mailer, std::move(m));
        } catch (const Error& e) {
            return e;
        }
        ADD_FAILURE() << "the message was sent";
        return Error(ErrorKind::kInternal, "none", "none");
    }

public:
    static Message Simple(std::string to = "ann@example.com") {
        return {std::move(to), "Hello", "Hello Ann\n", std::nullopt, "test"};
    }

protected:
    asio::io_context io_;
    static inline TempDir* certs_ = nullptr;
    static inline Cert localhost_;
    static inline Cert other_;
};

TEST_F(SmtpMailerTest, PlainDeliveryKeepsTheBodyExact) {
    SmtpSink sink;
    auto mailer = MakeFor(Local(sink));
    // Lines that SMTP treats specially: a lone "." ends DATA unless it is stuffed.
    std::string text = "Hello,\n.\n.leading dot\n..two dots\n. space\nlast line " + std::string(100, 'z') +
                       "\nUnicode: \xe6\xa0\xaa \xe2\x82\xac\n";
    std::string html = "<p>.\n.dot</p>\n";
    std::string subject =
        "Pr\xc3\xa9"
        "f\xc3\xa9rences \xe2\x80\x94 test";
    Send(*mailer, {"ann@example.com", subject, text, html, "test"});

    auto msg = sink.Message(1);
    EXPECT_EQ(Str(msg, "mail_from"), "no-reply@nexanest.localhost");
    ASSERT_EQ(msg.at("rcpt_tos").as_array().size(), 1u);
    EXPECT_EQ(msg.at("rcpt_tos").as_array()[0].as_string(), "ann@example.com");
    EXPECT_FALSE(msg.at("tls").as_bool());  // the sink offers no STARTTLS
    EXPECT_TRUE(msg.at("defects").as_array().empty()) << boost::json::serialize(msg);
    EXPECT_TRUE(msg.at("part_defects").as_array().empty());
    EXPECT_TRUE(msg.at("crlf_only").as_bool());
    EXPECT_EQ(Header(msg, "subject"), subject);
    EXPECT_EQ(Header(msg, "from"), "NexaNest <no-reply@nexanest.localhost>");
    EXPECT_EQ(Lf(Str(msg, "text")), text);
    EXPECT_EQ(Lf(Str(msg, "html")), html);
    // After the server removed the stuffing, the lone dot line is a plain "." again.
    EXPECT_NE(sink.Raw(1).find("\r\n.\r\n.leading dot\r\n..two dots\r\n"), std::string::npos);
    EXPECT_EQ(sink.Count(), 1);
}

TEST_F(SmtpMailerTest, TemplatesArriveIntact) {
    SmtpSink sink;
    auto mailer = MakeFor(Local(sink));
    auto m =
        VerificationEmail("http://127.0.0.1:8080", "ann@example.com", "tok-123_abc", std::chrono::hours(24));
    Send(*mailer, m);
    auto msg = sink.Message(1);
    EXPECT_EQ(Lf(Str(msg, "text")), m.text_body);
    EXPECT_EQ(Lf(Str(msg, "html")), *m.html_body);
    EXPECT_NE(Str(msg, "text").find("http://127.0.0.1:8080/#/verify?token=tok-123_abc"), std::string::npos);
}

TEST_F(SmtpMailerTest, StartTlsWithVerifiedCertificate) {
    SmtpSink sink(
        {"--tls-cert", localhost_.cert.string(), "--tls-key", localhost_.key.string(), "--require-starttls"});
    auto mailer = MakeFor(Local(sink) + "?starttls=required&tls_ca=" + localhost_.cert.string());
    Send(*mailer, Simple());
    auto msg = sink.Message(1);
    EXPECT_TRUE(msg.at("tls").as_bool());
    EXPECT_EQ(Lf(Str(msg, "text")), "Hello Ann\n");
}

TEST_F(SmtpMailerTest, StartTlsRefusesUntrustedCertificate) {
    SmtpSink sink({"--tls-cert", localhost_.cert.string(), "--tls-key", localhost_.key.string()});
    // The self-signed certificate is not among the system CAs.
    auto e = SendFails(*MakeFor(Local(sink) + "?starttls=required"), Simple());
    EXPECT_EQ(e.Code(), "mail.unavailable") << e.what();
    EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
    EXPECT_EQ(sink.Count(), 0);
}

TEST_F(SmtpMailerTest, StartTlsRefusesCertificateForAnotherHost) {
    SmtpSink sink({"--tls-cert", other_.cert.string(), "--tls-key", other_.key.string()});
    // Trusted CA, but the certificate names other.example, not 127.0.0.1.
    auto e = SendFails(*MakeFor(Local(sink) + "?starttls=required&tls_ca=" + other_.cert.string()), Simple());
    EXPECT_EQ(e.Code(), "mail.unavailable") << e.what();
    EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
    EXPECT_EQ(sink.Count(), 0);
}

TEST_F(SmtpMailerTest, TlsVerifyFalseAcceptsAnyCertificate) {
    SmtpSink sink(
        {"--tls-cert", other_.cert.string(), "--tls-key", other_.key.string(), "--require-starttls"});
    Send(*MakeFor(Local(sink) + "?starttls=required&tls_verify=false"), Simple());
    EXPECT_TRUE(sink.Message(1).at("tls").as_bool());
}

TEST_F(SmtpMailerTest, StartTlsRequiredButNotOffered) {
    SmtpSink sink;
    auto e = SendFails(*MakeFor(Local(sink) + "?starttls=required"), Simple());
    EXPECT_EQ(e.Code(), "mail.unavailable");
    EXPECT_NE(std::string(e.what()).find("STARTTLS"), std::string::npos) << e.what();
    EXPECT_EQ(sink.Count(), 0);
}

TEST_F(SmtpMailerTest, StartTlsNeverStaysPlain) {
    SmtpSink sink({"--tls-cert", localhost_.cert.string(), "--tls-key", localhost_.key.string()});
    Send(*MakeFor(Local(sink) + "?starttls=never"), Simple());
    EXPECT_FALSE(sink.Message(1).at("tls").as_bool());
}

TEST_F(SmtpMailerTest, ImplicitTls) {
    SmtpSink sink({"--tls-cert", localhost_.cert.string(), "--tls-key", localhost_.key.string(), "--smtps"});
    Send(*MakeFor(Local(sink, "smtps") + "?tls_ca=" + localhost_.cert.string()), Simple());
    EXPECT_EQ(Lf(Str(sink.Message(1), "text")), "Hello Ann\n");
    // Plain SMTP to a TLS port fails within the deadline instead of hanging.
    auto started = steady_clock::now();
    auto e = SendFails(*MakeFor(Local(sink) + "?timeout_ms=500"), Simple());
    EXPECT_EQ(e.Code(), "mail.unavailable");
    EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(SmtpMailerTest, AuthPlainOverStartTls) {
    SmtpSink sink({"--tls-cert", localhost_.cert.string(), "--tls-key", localhost_.key.string(), "--auth",
                   "mailer:p@ss word"});
    Send(*MakeFor("smtp://mailer:p%40ss%20word@127.0.0.1:" + std::to_string(sink.Port()) +
                  "?starttls=required&tls_ca=" + localhost_.cert.string()),
         Simple());
    auto msg = sink.Message(1);
    EXPECT_EQ(Str(msg, "auth_login"), "mailer");
    EXPECT_TRUE(msg.at("tls").as_bool());
}

TEST_F(SmtpMailerTest, AuthLoginOnLoopbackPlain) {
    SmtpSink sink({"--auth", "mailer:secret", "--auth-mechanisms", "LOGIN"});
    Send(*MakeFor("smtp://mailer:secret@127.0.0.1:" + std::to_string(sink.Port())), Simple());
    EXPECT_EQ(Str(sink.Message(1), "auth_login"), "mailer");
}

TEST_F(SmtpMailerTest, WrongPasswordIsRejectedWithoutEchoingIt) {
    SmtpSink sink({"--auth", "mailer:right"});
    auto e =
        SendFails(*MakeFor("smtp://mailer:hunter2wrong@127.0.0.1:" + std::to_string(sink.Port())), Simple());
    EXPECT_EQ(e.Code(), "mail.rejected") << e.what();
    EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
    EXPECT_NE(std::string(e.what()).find("535"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    EXPECT_EQ(sink.Count(), 0);
}

TEST_F(SmtpMailerTest, RejectedRecipientIsUnprocessable) {
    SmtpSink sink({"--reject-rcpt", "nobody"});
    auto e = SendFails(*MakeFor(Local(sink)), Simple("nobody@example.com"));
    EXPECT_EQ(e.Code(), "mail.rejected");
    EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
    EXPECT_NE(std::string(e.what()).find("550"), std::string::npos) << e.what();
    EXPECT_EQ(sink.Count(), 0);
}

TEST_F(SmtpMailerTest, TemporaryFailureIsUnavailable) {
    SmtpSink sink({"--tempfail-rcpt", "later"});
    auto e = SendFails(*MakeFor(Local(sink)), Simple("later@example.com"));
    EXPECT_EQ(e.Code(), "mail.unavailable");
    EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("451"), std::string::npos) << e.what();
}

TEST_F(SmtpMailerTest, ConnectionRefusedIsUnavailableAtOnce) {
    std::uint16_t port = 0;
    {
        asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }
    auto started = steady_clock::now();
    auto e = SendFails(*MakeFor("smtp://127.0.0.1:" + std::to_string(port)), Simple());
    EXPECT_EQ(e.Code(), "mail.unavailable");
    EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
    EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(2));
}

TEST_F(SmtpMailerTest, SilentServerTimesOut) {
    // Listening but never accepting: the kernel completes the connection, no greeting comes.
    asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
    auto started = steady_clock::now();
    auto e = SendFails(
        *MakeFor("smtp://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "?timeout_ms=300"),
        Simple());
    auto took = steady_clock::now() - started;
    EXPECT_EQ(e.Code(), "mail.unavailable");
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
    EXPECT_GE(took, std::chrono::milliseconds(250));
    EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(SmtpMailerTest, BadMessageFailsBeforeConnecting) {
    // Nothing listens on this port: a connection attempt would fail with mail.unavailable.
    std::uint16_t port = 0;
    {
        asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }
    auto mailer = MakeFor("smtp://127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(SendFails(*mailer, {"a@b.c", "x\r\nBcc: evil@x.io", "b", std::nullopt, "t"}).Code(),
              "mail.bad_header");
    EXPECT_EQ(SendFails(*mailer, {"a@b.c>\r\nRCPT TO:<evil@x.io", "x", "b", std::nullopt, "t"}).Code(),
              "mail.bad_header");
    EXPECT_EQ(SendFails(*mailer, {"evil@x.io> NOTIFY=NEVER", "x", "b", std::nullopt, "t"}).Code(),
              "mail.bad_address");
}

asio::awaitable<void> SendFour(mail::Mailer& mailer) {
    using namespace asio::experimental::awaitable_operators;
    co_await (mailer.Send(SmtpMailerTest::Simple("a1@example.com")) &&
              mailer.Send(SmtpMailerTest::Simple("a2@example.com")) &&
              mailer.Send(SmtpMailerTest::Simple("a3@example.com")) &&
              mailer.Send(SmtpMailerTest::Simple("a4@example.com")));
}

TEST_F(SmtpMailerTest, ConcurrentSends) {
    SmtpSink sink;
    auto mailer = MakeFor(Local(sink));
    RunAwaitable(io_, SendFour(*mailer));
    std::set<std::string> recipients;
    for (int i = 1; i <= 4; ++i)
        recipients.insert(std::string(sink.Message(i).at("rcpt_tos").as_array()[0].as_string()));
    EXPECT_EQ(recipients, (std::set<std::string>{"a1@example.com", "a2@example.com", "a3@example.com",
                                                 "a4@example.com"}));
}

}  // namespace
}  // namespace nn::mail
