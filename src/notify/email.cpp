#include "notify/email.hpp"

#include <cctype>

#include "infra/mail/templates.hpp"

namespace nn::notify {

mail::Message NotificationEmail(std::string_view public_url,
                                std::string to,
                                std::string_view kind,
                                std::string_view title,
                                std::string_view body) {
    std::string base(public_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    const std::string link = base + "/";
    mail::Message m;
    for (char c : kind) m.kind += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    m.to = std::move(to);
    m.subject = "NexaNest: " + std::string(title);
    m.text_body = "Hello,\n\n" + std::string(title) + "\n\n" + std::string(body) +
                  "\n\nOpen NexaNest: " + link +
                  "\n\nYou can turn these emails off in your notification preferences.\n\n-- \nNexaNest\n";
    m.html_body = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                  mail::HtmlEscape(m.subject) + "</title></head><body>\n<p>Hello,</p>\n<p><strong>" +
                  mail::HtmlEscape(title) + "</strong></p>\n<p>" + mail::HtmlEscape(body) +
                  "</p>\n<p><a href=\"" + mail::HtmlEscape(link) +
                  "\">Open NexaNest</a></p>\n<p>You can turn these emails off in your notification "
                  "preferences.</p>\n</body></html>\n";
    return m;
}

}  // namespace nn::notify
