#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "infra/mail/mailer.hpp"

// The emails the platform sends, each as a plain-text and an HTML body. Inserted values are
// HTML-escaped in the HTML body and percent-encoded inside links. `public_url` is
// runtime::Config::public_url (a trailing slash is ignored).
namespace nn::mail {

// Kind "verification": a link <public_url>/#/verify?token=... (the dashboard's hash route) and
// the token itself (for POST /api/v1/auth/verify-email), valid for `valid_for`. Message::link
// is the link.
Message VerificationEmail(std::string_view public_url,
                          std::string to,
                          std::string_view token,
                          std::chrono::seconds valid_for);

// Kind "password_reset": a link <public_url>/#/reset?token=... and the token itself (for
// POST /api/v1/auth/password/reset), valid for `valid_for`. Message::link is the link.
Message PasswordResetEmail(std::string_view public_url,
                           std::string to,
                           std::string_view token,
                           std::chrono::seconds valid_for);

struct PriceAlert {
    std::string symbol;     // "AAPL"
    std::string condition;  // what was crossed, as a phrase: "above 150.00", "down 5.2% today"
    std::string price;      // the price that fired it, as a decimal string ("151.20")
    std::string currency;   // "USD"; may be empty
    std::chrono::system_clock::time_point time;  // when that price was observed
};

// Kind "alert": "AAPL is above 150.00: 151.20 USD at 2025-03-04 09:05:07 UTC" and a link to
// <public_url>/.
Message PriceAlertEmail(std::string_view public_url, std::string to, const PriceAlert& alert);

// & < > " ' as character references.
std::string HtmlEscape(std::string_view text);

// "45 minutes", "1 hour", "24 hours", "7 days": the largest unit that divides evenly (days
// from two on, since "24 hours" reads better than "1 day" for a link's lifetime).
std::string FormatValidity(std::chrono::seconds duration);

}  // namespace nn::mail
