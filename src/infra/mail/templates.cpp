#include "infra/mail/templates.hpp"

#include <ctime>

#include "core/percent_coding.hpp"

namespace nn::mail {
namespace {

std::string Base(std::string_view public_url) {
    while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
    return std::string(public_url);
}

std::string Plural(long long n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

std::string FormatUtc(std::chrono::system_clock::time_point time) {
    std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string Html(const std::string& title, const std::string& inner) {
    return "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>" + HtmlEscape(title) +
           "</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.5\">\n" + inner +
           "<p style=\"color: #666\">NexaNest</p>\n</body>\n</html>\n";
}

// The shape shared by the two token emails.
Message TokenEmail(std::string kind,
                   std::string to,
                   std::string subject,
                   const std::string& intro,
                   const std::string& link,
                   std::string_view token,
                   const std::string& action,
                   std::chrono::seconds valid_for,
                   const std::string& ignore) {
    std::string validity = FormatValidity(valid_for);
    Message m;
    m.kind = std::move(kind);
    m.to = std::move(to);
    m.text_body = "Hello,\n\n" + intro + "\n\n" + link +
                  "\n\nIf the link does not open, use this code instead:\n\n" + std::string(token) +
                  "\n\nThe link and the code are valid for " + validity + " and work once.\n" + ignore +
                  "\n\n-- \nNexaNest\n";
    m.html_body =
        Html(subject, "<p>Hello,</p>\n<p>" + HtmlEscape(intro) + "</p>\n<p><a href=\"" + HtmlEscape(link) +
                          "\">" + HtmlEscape(action) +
                          "</a></p>\n<p>If the link does not open, use this code instead:</p>\n"
                          "<p><code>" +
                          HtmlEscape(token) + "</code></p>\n<p>The link and the code are valid for " +
                          HtmlEscape(validity) + " and work once. " + HtmlEscape(ignore) + "</p>\n");
    m.subject = std::move(subject);
    m.link = link;
    return m;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string FormatValidity(std::chrono::seconds duration) {
    constexpr long long kMinute = 60;
    constexpr long long kHour = 60 * kMinute;
    constexpr long long kDay = 24 * kHour;
    long long s = duration.count();
    if (s >= 2 * kDay && s % kDay == 0) return Plural(s / kDay, "day");
    if (s > 0 && s % kHour == 0) return Plural(s / kHour, "hour");
    if (s > 0 && s % kMinute == 0) return Plural(s / kMinute, "minute");
    return Plural(s, "second");
}

Message VerificationEmail(std::string_view public_url,
                          std::string to,
                          std::string_view token,
                          std::chrono::seconds valid_for) {
    return TokenEmail("verification", std::move(to), "Confirm your email address for NexaNest",
                      "Please confirm your email address by opening this link:",
                      Base(public_url) + "/#/verify?token=" + PercentEncode(token), token,
                      "Confirm my email address", valid_for,
                      "If you did not create a NexaNest account, ignore this email.");
}

Message PasswordResetEmail(std::string_view public_url,
                           std::string to,
                           std::string_view token,
                           std::chrono::seconds valid_for) {
    return TokenEmail(
        "password_reset", std::move(to), "Reset your NexaNest password",
        "Someone asked to reset the password of your NexaNest account. To choose a new password, "
        "open this link:",
        Base(public_url) + "/#/reset?token=" + PercentEncode(token), token, "Choose a new password",
        valid_for, "If you did not ask for this, ignore this email: your password stays as it is.");
}

Message PriceAlertEmail(std::string_view public_url, std::string to, const PriceAlert& alert) {
    std::string price = alert.currency.empty() ? alert.price : alert.price + " " + alert.currency;
    std::string when = FormatUtc(alert.time);
    std::string link = Base(public_url) + "/";
    Message m;
    m.kind = "alert";
    m.to = std::move(to);
    m.subject = "NexaNest alert: " + alert.symbol + " " + alert.condition;
    m.text_body = "Hello,\n\nYour price alert fired: " + alert.symbol + " is " + alert.condition +
                  ".\n\nPrice: " + price + "\nTime:  " + when + "\n\nOpen NexaNest: " + link +
                  "\n\n-- \nNexaNest\n";
    m.html_body =
        Html(m.subject,
             "<p>Hello,</p>\n<p>Your price alert fired: <strong>" + HtmlEscape(alert.symbol) +
                 "</strong> is " + HtmlEscape(alert.condition) + ".</p>\n<table>\n<tr><td>Price</td><td>" +
                 HtmlEscape(price) + "</td></tr>\n<tr><td>Time</td><td>" + HtmlEscape(when) +
                 "</td></tr>\n</table>\n<p><a href=\"" + HtmlEscape(link) + "\">Open NexaNest</a></p>\n");
    return m;
}

}  // namespace nn::mail
