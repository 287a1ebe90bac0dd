#include "infra/mail/smtp_mailer.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "core/error.hpp"
#include "infra/mail/smtp_reply.hpp"

namespace nn::mail {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

[[noreturn]] void Unavailable(const std::string& message) {
    throw Error(ErrorKind::kUnavailable, "mail.unavailable", message);
}

std::string Describe(const boost::system::error_code& ec) {
    return ec == asio::error::eof ? std::string("the server closed the connection") : ec.message();
}

// Wipes a string that held credentials before its memory is reused.
struct Wiped {
    std::string value;
    ~Wiped() { OPENSSL_cleanse(value.data(), value.size()); }
};

// The result of one bounded step: an error description, or the reply when the step reads one.
struct Outcome {
    std::string error;
    SmtpReply reply;
};

// One SMTP dialogue over one connection. Its steps never throw from inside a deadline race
// (a throwing step would make `||` wait for the timer); they report errors in an Outcome.
class Session {
public:
    Session(asio::any_io_executor executor, ssl::context& tls, const SmtpUrl& url)
        : stream_(executor, tls), url_(url) {}

    asio::awaitable<void> Deliver(const std::string& from, const std::string& to, const std::string& data);

private:
    asio::awaitable<Outcome> Bounded(asio::awaitable<Outcome> step, std::string what);
    asio::awaitable<Outcome> ConnectStep();
    asio::awaitable<Outcome> HandshakeStep();
    asio::awaitable<Outcome> WriteStep(const std::string& bytes);  // `bytes` outlives the step
    asio::awaitable<Outcome> ReadStep();

    asio::awaitable<void> Connect();
    asio::awaitable<void> StartTls();
    asio::awaitable<SmtpReply> Command(std::string line, std::string what, int expected, int alternative = 0);
    asio::awaitable<SmtpExtensions> Ehlo();
    asio::awaitable<void> Authenticate(const SmtpExtensions& extensions);

    ssl::stream<tcp::socket> stream_;
    const SmtpUrl& url_;
    bool tls_ = false;
    SmtpReplyReader reader_;
    std::array<char, 4096> buffer_{};
};

// Maps an unexpected reply to the error the Mailer contract names: 4xx is worth retrying, 5xx
// is not.
void Check(const SmtpReply& reply, const std::string& what, int expected, int alternative = 0) {
    if (reply.code == expected || reply.code == alternative) return;
    std::string message = "SMTP " + what + " answered " + std::to_string(reply.code) + " " + reply.Text();
    if (reply.code >= 500) throw Error(ErrorKind::kUnprocessable, "mail.rejected", message);
    Unavailable(message);
}

asio::awaitable<Outcome> Session::Bounded(asio::awaitable<Outcome> step, std::string what) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, url_.timeout);
    auto result = co_await (std::move(step) || timer.async_wait(kNoThrow));
    if (result.index() == 1)
        Unavailable("SMTP " + what + " with " + url_.host + ":" + std::to_string(url_.port) +
                    " timed out after " + std::to_string(url_.timeout.count()) + " ms");
    auto outcome = std::get<0>(std::move(result));
    if (!outcome.error.empty())
        Unavailable("SMTP " + what + " with " + url_.host + ":" + std::to_string(url_.port) + ": " +
                    outcome.error);
    co_return outcome;
}

asio::awaitable<Outcome> Session::ConnectStep() {
    auto& socket = stream_.next_layer();
    boost::system::error_code ec;
    auto address = asio::ip::make_address(url_.host, ec);
    if (!ec) {
        auto [cec] = co_await socket.async_connect(tcp::endpoint(address, url_.port), kNoThrow);
        if (cec) co_return Outcome{cec.message(), {}};
    } else {
        tcp::resolver resolver(co_await asio::this_coro::executor);
        auto [rec, endpoints] =
            co_await resolver.async_resolve(url_.host, std::to_string(url_.port), kNoThrow);
        if (rec) co_return Outcome{"resolving the host: " + rec.message(), {}};
        auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, kNoThrow);
        if (cec) co_return Outcome{cec.message(), {}};
    }
    socket.set_option(tcp::no_delay(true), ec);
    co_return Outcome{};
}

asio::awaitable<Outcome> Session::HandshakeStep() {
    SSL* ssl = stream_.native_handle();
    boost::system::error_code ec;
    asio::ip::make_address(url_.host, ec);
    bool is_address = !ec;
    if (!is_address) SSL_set_tlsext_host_name(ssl, url_.host.c_str());  // SNI names hosts, never addresses
    if (url_.tls_verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int ok = is_address ? X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str())
                            : X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), 0);
        if (ok != 1) co_return Outcome{"cannot set the host name to verify", {}};
    }
    auto [hec] = co_await stream_.async_handshake(ssl::stream_base::client, kNoThrow);
    if (hec) {
        long verify = SSL_get_verify_result(ssl);
        std::string why = hec.message();
        if (verify != X509_V_OK)
            why += " (certificate: " + std::string(X509_verify_cert_error_string(verify)) + ")";
        co_return Outcome{why, {}};
    }
    tls_ = true;
    co_return Outcome{};
}

asio::awaitable<Outcome> Session::WriteStep(const std::string& bytes) {
    auto [ec, n] = tls_ ? co_await asio::async_write(stream_, asio::buffer(bytes), kNoThrow)
                        : co_await asio::async_write(stream_.next_layer(), asio::buffer(bytes), kNoThrow);
    if (ec) co_return Outcome{Describe(ec), {}};
    co_return Outcome{};
}

asio::awaitable<Outcome> Session::ReadStep() {
    try {
        while (true) {
            if (auto reply = reader_.Next()) co_return Outcome{{}, std::move(*reply)};
            auto [ec, n] =
                tls_ ? co_await stream_.async_read_some(asio::buffer(buffer_), kNoThrow)
                     : co_await stream_.next_layer().async_read_some(asio::buffer(buffer_), kNoThrow);
            if (ec) co_return Outcome{Describe(ec), {}};
            reader_.Feed(std::string_view(buffer_.data(), n));
        }
    } catch (const Error& e) {
        co_return Outcome{e.what(), {}};
    }
}

asio::awaitable<void> Session::Connect() {
    co_await Bounded(ConnectStep(), "connect");
    if (url_.implicit_tls) co_await Bounded(HandshakeStep(), "TLS handshake");
}

asio::awaitable<SmtpReply> Session::Command(std::string line,
                                            std::string what,
                                            int expected,
                                            int alternative) {
    line += "\r\n";
    co_await Bounded(WriteStep(line), what);
    // The line may have carried credentials (AUTH).
    OPENSSL_cleanse(line.data(), line.size());
    auto outcome = co_await Bounded(ReadStep(), what);
    Check(outcome.reply, what, expected, alternative);
    co_return std::move(outcome.reply);
}

asio::awaitable<SmtpExtensions> Session::Ehlo() {
    // An address literal names this client: it needs no configuration and is always valid.
    boost::system::error_code ec;
    auto local = stream_.next_layer().local_endpoint(ec).address();
    std::string name = local.is_v6() ? "[IPv6:" + local.to_string() + "]" : "[" + local.to_string() + "]";
    auto reply = co_await Command("EHLO " + name, "EHLO", 250);
    co_return ParseExtensions(reply);
}

asio::awaitable<void> Session::StartTls() {
    co_await Command("STARTTLS", "STARTTLS", 220);
    // Bytes after the 220 were sent before TLS and could be injected by anyone on the path
    // (CVE-2011-0411 and kin): refuse them instead of reading them as TLS-protected replies.
    if (reader_.Next()) Unavailable("SMTP server sent data after its STARTTLS answer");
    reader_ = SmtpReplyReader{};
    co_await Bounded(HandshakeStep(), "TLS handshake");
}

asio::awaitable<void> Session::Authenticate(const SmtpExtensions& extensions) {
    // ParseSmtpUrl refuses credentials without TLS to a remote host; this keeps that promise
    // even if the server stopped offering STARTTLS under starttls=optional on loopback.
    if (!tls_ && !IsLoopbackHost(url_.host)) Unavailable("SMTP refusing to send credentials without TLS");
    const std::string& password = url_.password.Reveal();
    if (extensions.auth_plain) {
        Wiped credentials{std::string(1, '\0') + url_.user + std::string(1, '\0') + password};
        Wiped line{"AUTH PLAIN " + Base64(credentials.value)};
        co_await Command(line.value, "AUTH PLAIN", 235);
    } else if (extensions.auth_login) {
        co_await Command("AUTH LOGIN", "AUTH LOGIN", 334);
        co_await Command(Base64(url_.user), "AUTH LOGIN user", 334);
        Wiped line{Base64(password)};
        co_await Command(line.value, "AUTH LOGIN password", 235);
    } else {
        Unavailable("SMTP server offers neither AUTH PLAIN nor AUTH LOGIN, but the URL has credentials");
    }
}

asio::awaitable<void> Session::Deliver(const std::string& from,
                                       const std::string& to,
                                       const std::string& data) {
    co_await Connect();
    auto greeting = co_await Bounded(ReadStep(), "greeting");
    Check(greeting.reply, "greeting", 220);
    auto extensions = co_await Ehlo();
    if (!url_.implicit_tls && url_.starttls != StartTls::kNever) {
        if (extensions.starttls) {
            co_await StartTls();
            extensions = co_await Ehlo();
        } else if (url_.starttls == StartTls::kRequired) {
            Unavailable("SMTP server " + url_.host + " does not offer STARTTLS (the URL requires it)");
        }
    }
    if (!url_.user.empty()) co_await Authenticate(extensions);
    co_await Command("MAIL FROM:<" + from + ">", "MAIL FROM", 250);
    co_await Command("RCPT TO:<" + to + ">", "RCPT TO", 250, 251);
    co_await Command("DATA", "DATA", 354);
    co_await Bounded(WriteStep(data), "DATA");
    auto accepted = co_await Bounded(ReadStep(), "end of DATA");
    Check(accepted.reply, "end of DATA", 250);
    // The message is accepted: QUIT is a courtesy whose failure changes nothing.
    try {
        co_await Command("QUIT", "QUIT", 221);
    } catch (const Error&) {
    }
}

class SmtpMailer final : public Mailer {
public:
    SmtpMailer(SmtpUrl url, Mailbox from, asio::any_io_executor executor)
        : url_(std::move(url)),
          from_(std::move(from)),
          executor_(std::move(executor)),
          tls_(ssl::context::tls_client) {
        SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
        try {
            if (url_.tls_verify) {
                tls_.set_verify_mode(ssl::verify_peer);
                if (url_.tls_ca_file.empty()) {
                    tls_.set_default_verify_paths();
                } else {
                    tls_.load_verify_file(url_.tls_ca_file);
                }
            } else {
                tls_.set_verify_mode(ssl::verify_none);
            }
        } catch (const boost::system::system_error& e) {
            throw Error(
                ErrorKind::kUnprocessable, "config.invalid",
                std::string("configuration: mail.smtp_url: cannot load the trusted CAs: ") + e.what());
        }
    }

    asio::awaitable<void> Send(Message message) override {
        // Built (and validated) before connecting: a bad message never reaches the server.
        std::string data = DotStuff(BuildMessage(message, from_, NewStamp(from_)));
        auto started = std::chrono::steady_clock::now();
        auto to_domain = message.to.substr(message.to.rfind('@') + 1);
        try {
            co_await asio::co_spawn(executor_, Run(message.to, std::move(data)), asio::use_awaitable);
        } catch (const Error& e) {
            spdlog::warn("mail: {} message to @{} not sent: {}", message.kind, to_domain, e.what());
            throw;
        }
        auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        spdlog::info("mail: {} message to @{} accepted by {}:{} in {} ms", message.kind, to_domain, url_.host,
                     url_.port, ms.count());
    }

private:
    asio::awaitable<void> Run(std::string to, std::string data) {
        Session session(co_await asio::this_coro::executor, tls_, url_);
        co_await session.Deliver(from_.address, to, data);
    }

    SmtpUrl url_;
    Mailbox from_;
    asio::any_io_executor executor_;
    ssl::context tls_;
};

}  // namespace

std::unique_ptr<Mailer> MakeSmtpMailer(SmtpUrl url, Mailbox from, boost::asio::any_io_executor executor) {
    return std::make_unique<SmtpMailer>(std::move(url), std::move(from), std::move(executor));
}

}  // namespace nn::mail
