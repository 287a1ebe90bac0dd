#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nn::mail {

// One SMTP reply (RFC 5321 §4.2): a three-digit code and the text of each line.
struct SmtpReply {
    int code = 0;
    std::vector<std::string> lines;

    // The lines joined by " / ", cut to a length fit for an error message.
    std::string Text() const;
};

// Splits the bytes a server sends into replies, multi-line ones ("250-...", "250 ...")
// included. Lines may end in CRLF or a bare LF. A line longer than 4 KiB, a reply of more than
// 128 lines or a line that does not start with the reply's code throws
// nn::Error(kUnavailable, "mail.unavailable"): a broken server is treated as an unreachable one.
class SmtpReplyReader {
public:
    void Feed(std::string_view bytes);
    // The next complete reply, if the bytes fed so far hold one.
    std::optional<SmtpReply> Next();

private:
    std::string buffer_;
    std::size_t pos_ = 0;
    SmtpReply partial_;
};

// What an EHLO reply offers that the client uses.
struct SmtpExtensions {
    bool starttls = false;
    bool auth_plain = false;
    bool auth_login = false;
};

SmtpExtensions ParseExtensions(const SmtpReply& ehlo);

}  // namespace nn::mail
