#include "infra/mail/mime.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <ctime>
#include <vector>

#include "core/error.hpp"

namespace nn::mail {
namespace {

constexpr std::size_t kMaxAddress = 254;
constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxLabel = 63;
// Bytes of UTF-8 per encoded-word: 39 bytes are 52 base64 characters, so "=?UTF-8?B?...?="
// is 64 characters and "Subject: " plus one word stays under 78.
constexpr std::size_t kEncodedWordBytes = 39;
constexpr std::size_t kFoldAt = 78;
constexpr std::size_t kQpLine = 75;  // characters before a soft break's '=' (RFC 2045: 76 in all)

[[noreturn]] void BadHeader(const std::string& message) {
    throw Error(ErrorKind::kUnprocessable, "mail.bad_header", message);
}

[[noreturn]] void BadAddress(const std::string& message) {
    throw Error(ErrorKind::kUnprocessable, "mail.bad_address", message);
}

bool IsControl(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

bool ValidUtf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3f);
        }
        // Overlong forms, UTF-16 surrogates and values beyond Unicode are not UTF-8.
        static constexpr std::array<std::uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[extra] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
        i += extra + 1;
    }
    return true;
}

bool IsAtext(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
    return kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsPrintableAscii(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits UTF-8 text into pieces of at most kEncodedWordBytes without cutting a character.
std::vector<std::string_view> Utf8Chunks(std::string_view s) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        std::size_t n = std::min(kEncodedWordBytes, s.size());
        while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
        out.push_back(s.substr(0, n));
        s.remove_prefix(n);
    }
    return out;
}

std::string EncodedWords(std::string_view utf8) {
    std::string out;
    for (auto chunk : Utf8Chunks(utf8)) {
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + Base64(chunk) + "?=";
    }
    return out;
}

void CheckBody(std::string_view what, std::string_view body) {
    if (!ValidUtf8(body))
        throw Error(ErrorKind::kUnprocessable, "mail.bad_body", std::string(what) + " is not valid UTF-8");
}

std::string Part(std::string_view mime_type, std::string_view body) {
    return "Content-Type: " + std::string(mime_type) +
           "; charset=utf-8\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n"
           "\r\n" +
           EncodeQuotedPrintable(body);
}

}  // namespace

void CheckHeaderValue(std::string_view field, std::string_view value) {
    for (unsigned char c : value) {
        if (IsControl(c)) BadHeader(std::string(field) + " contains a control character (CR, LF, ...)");
    }
    if (!ValidUtf8(value)) BadHeader(std::string(field) + " is not valid UTF-8");
}

void CheckAddress(std::string_view address) {
    for (unsigned char c : address) {
        if (IsControl(c)) BadHeader("address contains a control character (CR, LF, ...)");
    }
    if (address.empty() || address.size() > kMaxAddress)
        BadAddress("an email address has 3 to 254 characters");
    auto at = address.rfind('@');
    if (at == std::string_view::npos) BadAddress("an email address has the form local@domain");
    auto local = address.substr(0, at);
    auto domain = address.substr(at + 1);
    if (local.empty() || local.size() > kMaxLocalPart) BadAddress("the part before @ has 1 to 64 characters");
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
        BadAddress("the part before @ may not start or end with a dot or hold two in a row");
    for (unsigned char c : local) {
        if (c != '.' && !IsAtext(c)) BadAddress("the part before @ holds a character that needs quoting");
    }
    if (domain.empty()) BadAddress("the domain after @ is empty");
    std::size_t start = 0;
    while (true) {
        auto dot = domain.find('.', start);
        auto label =
            domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > kMaxLabel)
            BadAddress("each part of the domain has 1 to 63 characters");
        if (label.front() == '-' || label.back() == '-')
            BadAddress("a part of the domain may not start or end with a hyphen");
        for (unsigned char c : label) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) BadAddress("the domain holds letters, digits, hyphens and dots only");
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
}

Mailbox ParseMailbox(std::string_view text) {
    text = Trim(text);
    Mailbox box;
    if (!text.empty() && text.back() == '>') {
        auto lt = text.rfind('<');
        if (lt == std::string_view::npos) BadAddress("a mailbox is \"Name <local@domain>\"");
        auto name = Trim(text.substr(0, lt));
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
            name = name.substr(1, name.size() - 2);
            for (std::size_t i = 0; i < name.size(); ++i) {
                if (name[i] == '\\' && i + 1 < name.size()) ++i;
                box.display_name += name[i];
            }
        } else {
            box.display_name = std::string(name);
        }
        CheckHeaderValue("display name", box.display_name);
        box.address = std::string(text.substr(lt + 1, text.size() - lt - 2));
    } else {
        box.address = std::string(text);
    }
    CheckAddress(box.address);
    return box;
}

std::string FormatMailbox(const Mailbox& mailbox) {
    if (mailbox.display_name.empty()) return mailbox.address;
    const auto& name = mailbox.display_name;
    std::string phrase;
    bool atoms = name.front() != ' ' && name.back() != ' ' && name.find("  ") == std::string::npos;
    for (unsigned char c : name) atoms = atoms && (c == ' ' || IsAtext(c));
    if (atoms) {
        phrase = name;
    } else if (IsPrintableAscii(name)) {
        phrase = "\"";
        for (char c : name) {
            if (c == '"' || c == '\\') phrase += '\\';
            phrase += c;
        }
        phrase += '"';
    } else {
        phrase = EncodedWords(name);
    }
    return phrase + " <" + mailbox.address + ">";
}

std::string EncodeUnstructured(std::string_view value, std::size_t name_length) {
    bool plain = IsPrintableAscii(value) && value.find("=?") == std::string_view::npos;
    // A word that cannot be folded would make an over-long line; encoded-words can always fold.
    std::size_t word = 0;
    for (char c : value) {
        word = c == ' ' ? 0 : word + 1;
        if (word > kFoldAt - 2) plain = false;
    }
    if (!plain) return EncodedWords(value);

    std::string out;
    std::size_t line = name_length + 2;  // "Name: "
    std::size_t i = 0;
    while (i < value.size()) {
        // The next segment: the spaces before a word and the word itself.
        std::size_t j = i;
        while (j < value.size() && value[j] == ' ') ++j;
        while (j < value.size() && value[j] != ' ') ++j;
        auto segment = value.substr(i, j - i);
        bool breakable = !out.empty() && segment.front() == ' ' &&
                         segment.find_first_not_of(' ') != std::string_view::npos;
        if (breakable && line + segment.size() > kFoldAt) {
            out += "\r\n";
            line = 0;
        }
        out += segment;
        line += segment.size();
        i = j;
    }
    return out;
}

std::string EncodeQuotedPrintable(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = text.find_first_of("\r\n", i);
        if (end == std::string_view::npos) end = text.size();
        auto line = text.substr(i, end - i);
        std::string current;
        for (std::size_t k = 0; k < line.size(); ++k) {
            auto c = static_cast<unsigned char>(line[k]);
            bool last = k + 1 == line.size();
            bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
            char token[3] = {static_cast<char>(c), 0, 0};
            std::size_t token_size = 1;
            if (!literal) {
                token[0] = '=';
                token[1] = kHex[c >> 4];
                token[2] = kHex[c & 0x0f];
                token_size = 3;
            }
            if (current.size() + token_size > kQpLine) {
                out += current;
                out += "=\r\n";
                current.clear();
            }
            current.append(token, token_size);
        }
        out += current;
        out += "\r\n";
        // One line break: "\r\n", "\r" or "\n".
        if (end < text.size() && text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ++end;
        i = end + 1;
    }
    return out;
}

std::string Base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string FormatDate(std::chrono::system_clock::time_point time) {
    // Names spelled out: strftime's %a and %b follow the process locale.
    static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                  kDays[static_cast<std::size_t>(tm.tm_wday)], tm.tm_mday,
                  kMonths[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

std::string RandomHex(std::size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::vector<unsigned char> bytes(n);
    if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1)
        throw Error(ErrorKind::kInternal, "mail.random", "the random number generator failed");
    std::string out;
    out.reserve(2 * n);
    for (auto b : bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 0x0f];
    }
    return out;
}

MessageStamp NewStamp(const Mailbox& from) {
    auto at = from.address.rfind('@');
    std::string domain = at == std::string::npos ? "localhost" : from.address.substr(at + 1);
    return {std::chrono::system_clock::now(), "<" + RandomHex(16) + "@" + domain + ">",
            "=_nn_" + RandomHex(12)};
}

std::string BuildMessage(const Message& message, const Mailbox& from, const MessageStamp& stamp) {
    CheckAddress(message.to);
    CheckHeaderValue("subject", message.subject);
    CheckBody("text body", message.text_body);
    if (message.html_body) CheckBody("html body", *message.html_body);

    std::string out;
    out += "From: " + FormatMailbox(from) + "\r\n";
    out += "To: " + message.to + "\r\n";
    out += "Subject: " + EncodeUnstructured(message.subject, 7) + "\r\n";
    out += "Date: " + FormatDate(stamp.date) + "\r\n";
    out += "Message-ID: " + stamp.message_id + "\r\n";
    out += "MIME-Version: 1.0\r\n";
    // RFC 3834: auto-responders must not answer machine-sent mail.
    out += "Auto-Submitted: auto-generated\r\n";
    if (!message.html_body) {
        out += Part("text/plain", message.text_body);
        return out;
    }
    // "=_" cannot occur in quoted-printable text, so the boundary never collides with a body.
    out += "Content-Type: multipart/alternative; boundary=\"" + stamp.boundary + "\"\r\n\r\n";
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), hence the extra
    // one: a body's own last line break survives decoding.
    out += "--" + stamp.boundary + "\r\n" + Part("text/plain", message.text_body);
    out += "\r\n--" + stamp.boundary + "\r\n" + Part("text/html", *message.html_body);
    out += "\r\n--" + stamp.boundary + "--\r\n";
    return out;
}

std::string DotStuff(std::string_view message) {
    std::string out;
    out.reserve(message.size() + 16);
    bool line_start = true;
    for (char c : message) {
        if (line_start && c == '.') out += '.';
        out += c;
        line_start = c == '\n';
    }
    if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
    out += ".\r\n";
    return out;
}

}  // namespace nn::mail
