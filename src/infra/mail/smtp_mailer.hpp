#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "infra/mail/mailer.hpp"
#include "infra/mail/mime.hpp"
#include "infra/mail/smtp_url.hpp"

namespace nn::mail {

// Delivers each message over its own SMTP connection (RFC 5321): connect, TLS (implicit for
// smtps://, STARTTLS as the URL asks), EHLO, AUTH PLAIN or LOGIN when the URL has credentials,
// MAIL FROM, RCPT TO, DATA, QUIT. Transactional mail is a few messages a minute, so a
// connection per message costs little and needs no pool, keep-alive or reconnect logic.
// Every step has the URL's deadline. The connection runs on `executor`; Send may be awaited
// from any executor. Throws nn::Error: kUnavailable "mail.unavailable" when the server cannot be
// reached, times out, breaks the protocol, lacks required TLS or answers 4xx (retry later);
// kUnprocessable "mail.rejected" on a 5xx answer; "mail.bad_header" / "mail.bad_address" /
// "mail.bad_body" for a message that cannot be sent at all (before connecting).
// Throws "config.invalid" when the TLS set-up (tls_ca) cannot be loaded.
std::unique_ptr<Mailer> MakeSmtpMailer(SmtpUrl url, Mailbox from, boost::asio::any_io_executor executor);

}  // namespace nn::mail
