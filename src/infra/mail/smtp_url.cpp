#include "infra/mail/smtp_url.hpp"

#include <boost/asio/ip/address.hpp>

#include "core/error.hpp"
#include "core/url_parts.hpp"

namespace nn::mail {
namespace {

[[noreturn]] void Bad(const std::string& why) {
    throw Error(ErrorKind::kUnprocessable, "config.invalid", "configuration: mail.smtp_url: " + why);
}

bool ParseBool(std::string_view text, const char* what) {
    if (text == "true" || text == "1" || text == "yes") return true;
    if (text == "false" || text == "0" || text == "no") return false;
    Bad(std::string(what) + " is true or false");
}

void ApplyOption(SmtpUrl& out, std::string_view key, std::string_view value, bool& starttls_given) {
    if (key == "starttls") {
        if (out.implicit_tls) Bad("starttls applies to smtp:// only (smtps:// is TLS from the start)");
        starttls_given = true;
        if (value == "required") {
            out.starttls = StartTls::kRequired;
        } else if (value == "optional") {
            out.starttls = StartTls::kOptional;
        } else if (value == "never") {
            out.starttls = StartTls::kNever;
        } else {
            Bad("starttls is required, optional or never");
        }
    } else if (key == "tls_verify") {
        out.tls_verify = ParseBool(value, "tls_verify");
    } else if (key == "tls_ca") {
        if (value.empty()) Bad("tls_ca names a PEM file");
        out.tls_ca_file = DecodeUrlPart(value, "tls_ca option", Bad);
    } else if (key == "timeout_ms") {
        out.timeout = std::chrono::milliseconds(ParseUrlInteger(value, 1, 3'600'000, "timeout_ms", Bad));
    } else {
        Bad("unknown option '" + std::string(key) + "' (known: starttls, tls_verify, tls_ca, timeout_ms)");
    }
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
    if (host == "localhost" || host.ends_with(".localhost")) return true;
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(std::string(host), ec);
    return !ec && address.is_loopback();
}

SmtpUrl ParseSmtpUrl(std::string_view url) {
    SmtpUrl out;
    std::string_view rest;
    if (url.starts_with("smtp://")) {
        rest = url.substr(7);
    } else if (url.starts_with("smtps://")) {
        rest = url.substr(8);
        out.implicit_tls = true;
        out.port = 465;
    } else {
        Bad("expected smtp:// or smtps://");
    }
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    if (rest.find('#') != std::string_view::npos) Bad("a fragment (#) is not allowed");
    // A trailing slash is harmless; any other path is a mistake.
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        if (slash + 1 != rest.size()) Bad("a path is not allowed");
        rest = rest.substr(0, slash);
    }
    if (auto info = TakeUrlUserInfo(rest, Bad)) {
        out.user = std::move(info->user);
        if (info->password) out.password = Secret(std::move(*info->password));
        if (out.user.empty()) Bad("a password needs a user name");
    }
    UrlHostPort authority = ParseUrlHostPort(rest, Bad);
    if (authority.host.empty()) Bad("empty host");
    out.host = std::move(authority.host);
    if (authority.port) out.port = *authority.port;

    bool loopback = IsLoopbackHost(out.host);
    bool starttls_given = false;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) Bad("option '" + std::string(pair) + "' needs a value");
        ApplyOption(out, pair.substr(0, eq), pair.substr(eq + 1), starttls_given);
    }
    if (!starttls_given && loopback) out.starttls = StartTls::kOptional;
    if (!out.user.empty() && !loopback && !out.implicit_tls && out.starttls != StartTls::kRequired)
        Bad("credentials go only over TLS to a host that is not loopback: use starttls=required or smtps://");
    return out;
}

}  // namespace nn::mail
