#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/secret.hpp"

namespace nn::mail {

enum class StartTls {
    kRequired,  // the server must offer STARTTLS; the dialogue goes on only under TLS
    kOptional,  // upgrade when offered, otherwise stay in plain text
    kNever,     // plain text only
};

// Where and how to deliver:
//   smtp://[user[:password]@]host[:port][?option=value&...]   port 587 by default, STARTTLS
//   smtps://[user[:password]@]host[:port][?option=value&...]  port 465 by default, implicit TLS
// User and password may be percent-encoded. Options:
//   starttls=required|optional|never  (smtp:// only) default: required, except optional for a
//                                     loopback host (localhost, 127.0.0.0/8, ::1), where a local
//                                     relay or test sink often speaks plain text
//   tls_verify=true|false             default true: the certificate must chain to the system CAs
//                                     (or tls_ca) and name the host. false is for tests only.
//   tls_ca=/path/ca.pem               trust this CA file instead of the system store
//   timeout_ms=N                      deadline of each step (connect, TLS handshake, every
//                                     command's reply), default 30000
// Credentials travel only under TLS, except to a loopback host: a URL with a password, a
// non-loopback host and starttls other than required is refused.
struct SmtpUrl {
    bool implicit_tls = false;  // smtps://
    std::string host;
    std::uint16_t port = 587;
    std::string user;  // empty: no AUTH
    Secret password;
    StartTls starttls = StartTls::kRequired;
    bool tls_verify = true;
    std::string tls_ca_file;
    std::chrono::milliseconds timeout{30'000};
};

// Throws nn::Error(kUnprocessable, "config.invalid") naming what is wrong; the message never
// repeats the password.
SmtpUrl ParseSmtpUrl(std::string_view url);

// localhost, *.localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine.
bool IsLoopbackHost(std::string_view host);

}  // namespace nn::mail
