#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace nn::runtime {
struct Config;
}

namespace nn::mail {

struct Message {
    std::string to;         // one address, "user@example.com"
    std::string subject;    // UTF-8; encoded as RFC 2047 when not ASCII
    std::string text_body;  // UTF-8 plain text
    std::optional<std::string> html_body;
    std::string kind;  // "verification", "password_reset", "alert", ... (logs, metrics)
    // The one link the message is about (the dashboard's verify or reset page), or "". Only the
    // .eml file sink logs it (docs/configuration.md "Mail without SMTP").
    std::string link;
};

// Sends one email. Send returns once the message is handed over (SMTP server accepted it, or
// the .eml file is durably written) and throws nn::Error (kUnavailable "mail.unavailable" when
// the server cannot be reached or answers 4xx; kUnprocessable "mail.rejected" on 5xx) otherwise.
// Never logs bodies (they hold single-use tokens). A message that cannot be sent at all throws
// kUnprocessable before anything is written or connected: "mail.bad_header" (CR, LF or another
// control character in `to` or `subject`: header injection), "mail.bad_address" (not a plain
// local@domain), "mail.bad_body" (a body that is not UTF-8).
// Inside a coroutine, pass a named Message or a function's result, never a braced temporary:
// GCC 12 miscompiles `co_await mailer.Send({...})` (double free).
class Mailer {
public:
    virtual ~Mailer() = default;
    virtual boost::asio::awaitable<void> Send(Message message) = 0;
};

// SMTP (plain with STARTTLS when offered, or smtps://) when Config::smtp_url is set, otherwise
// one .eml file per message in <var_dir>/mail/. smtp_url.hpp documents the URL and its options,
// smtp_mailer.hpp and eml_mailer.hpp the two kinds. Throws nn::Error(kUnprocessable,
// "config.invalid") for a bad smtp_url or mail_from.
std::unique_ptr<Mailer> MakeMailer(const runtime::Config& config, boost::asio::any_io_executor executor);

}  // namespace nn::mail
