#include "infra/mail/smtp_reply.hpp"

#include <cctype>

#include "core/error.hpp"

namespace nn::mail {
namespace {

constexpr std::size_t kMaxLine = 4096;
constexpr std::size_t kMaxLines = 128;
constexpr std::size_t kMaxText = 300;

[[noreturn]] void Malformed(const std::string& why) {
    throw Error(ErrorKind::kUnavailable, "mail.unavailable", "SMTP server sent a malformed reply: " + why);
}

std::string Upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string SmtpReply::Text() const {
    std::string out;
    for (const auto& line : lines) {
        if (!out.empty()) out += " / ";
        out += line;
    }
    // The text goes into error messages and logs: keep it short and printable.
    for (auto& c : out) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) c = '?';
    }
    if (out.size() > kMaxText) out = out.substr(0, kMaxText) + "...";
    return out;
}

void SmtpReplyReader::Feed(std::string_view bytes) {
    if (pos_ > 0 && pos_ == buffer_.size()) {
        buffer_.clear();
        pos_ = 0;
    }
    buffer_.append(bytes);
    if (buffer_.find('\n', pos_) == std::string::npos && buffer_.size() - pos_ > kMaxLine)
        Malformed("a line longer than 4096 bytes");
}

std::optional<SmtpReply> SmtpReplyReader::Next() {
    while (true) {
        auto nl = buffer_.find('\n', pos_);
        if (nl == std::string::npos) return std::nullopt;
        std::string_view line(buffer_.data() + pos_, nl - pos_);
        pos_ = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > kMaxLine) Malformed("a line longer than 4096 bytes");
        if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
            !std::isdigit(static_cast<unsigned char>(line[1])) ||
            !std::isdigit(static_cast<unsigned char>(line[2])) || line[0] < '2' || line[0] > '5')
            Malformed("a line without a reply code");
        if (line.size() > 3 && line[3] != ' ' && line[3] != '-')
            Malformed("a reply code not followed by ' ' or '-'");
        int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (!partial_.lines.empty() && code != partial_.code)
            Malformed("a multi-line reply changed its code");
        if (partial_.lines.size() >= kMaxLines) Malformed("a reply of more than 128 lines");
        partial_.code = code;
        partial_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
        if (line.size() == 3 || line[3] == ' ') {
            SmtpReply done = std::move(partial_);
            partial_ = SmtpReply{};
            return done;
        }
    }
}

SmtpExtensions ParseExtensions(const SmtpReply& ehlo) {
    SmtpExtensions out;
    // The first line is the server's greeting name; each further line is one extension.
    for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
        std::string line = Upper(ehlo.lines[i]);
        if (line == "STARTTLS") {
            out.starttls = true;
        } else if (line.starts_with("AUTH ") || line.starts_with("AUTH=")) {
            std::size_t start = 5;
            while (start < line.size()) {
                auto end = line.find(' ', start);
                if (end == std::string::npos) end = line.size();
                auto mech = line.substr(start, end - start);
                if (mech == "PLAIN") out.auth_plain = true;
                if (mech == "LOGIN") out.auth_login = true;
                start = end + 1;
            }
        }
    }
    return out;
}

}  // namespace nn::mail
