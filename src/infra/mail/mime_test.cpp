#include "infra/mail/mime.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace nn::mail {
namespace {

using namespace std::chrono;

// An independent quoted-printable decoder (RFC 2045 §6.7) to check round trips; CRLF hard
// breaks come back as "\n".
std::string DecodeQp(const std::string& in) {
    auto hex = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '=' && in.compare(i + 1, 2, "\r\n") == 0) {
            i += 2;
        } else if (in[i] == '=') {
            out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
            i += 2;
        } else if (in[i] == '\r' && in[i + 1] == '\n') {
            out += '\n';
            ++i;
        } else {
            out += in[i];
        }
    }
    return out;
}

std::string DecodeBase64(const std::string& in) {
    std::string out(in.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    std::size_t pad = in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

// Decodes a header value made of "=?UTF-8?B?...?=" words separated by folding white space.
std::string DecodeEncodedWords(const std::string& value) {
    std::string out;
    std::size_t pos = 0;
    while ((pos = value.find("=?UTF-8?B?", pos)) != std::string::npos) {
        auto end = value.find("?=", pos + 10);
        out += DecodeBase64(value.substr(pos + 10, end - pos - 10));
        pos = end + 2;
    }
    return out;
}

std::vector<std::string> Lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        auto end = s.find("\r\n", start);
        if (end == std::string::npos) end = s.size();
        out.push_back(s.substr(start, end - start));
        start = end + 2;
    }
    return out;
}

void ExpectCode(const std::function<void()>& f, ErrorKind kind, const std::string& code) {
    try {
        f();
        ADD_FAILURE() << "no exception, expected " << code;
    } catch (const Error& e) {
        EXPECT_EQ(e.Kind(), kind);
        EXPECT_EQ(e.Code(), code) << e.what();
    }
}

TEST(QuotedPrintable, EncodesTable) {
    struct Case {
        std::string in;
        std::string out;
    };
    std::vector<Case> cases = {
        {"plain text\n", "plain text\r\n"},
        {"a=b\n", "a=3Db\r\n"},
        {"trailing space \nnext\t\n", "trailing space=20\r\nnext=09\r\n"},
        {"caf\xc3\xa9\n", "caf=C3=A9\r\n"},
        {"crlf\r\nlf\ncr\rend", "crlf\r\nlf\r\ncr\r\nend\r\n"},
        {".leading dot\n", ".leading dot\r\n"},
        {"\n\n", "\r\n\r\n"},
        {"", ""},
    };
    for (const auto& c : cases) EXPECT_EQ(EncodeQuotedPrintable(c.in), c.out) << c.in;
}

TEST(QuotedPrintable, SoftBreaksKeepLinesShortAndRoundTrip) {
    std::vector<std::string> inputs = {
        std::string(300, 'x') + "\n",
        std::string(74, 'a') + "=" + std::string(10, 'b') + "\n",  // an escape straddling the limit
        "Gr\xc3\xbc\xc3\x9f" + std::string(200, ' ') + "x\n",
        std::string(100, '=') + " \n",
    };
    for (const auto& in : inputs) {
        auto encoded = EncodeQuotedPrintable(in);
        for (const auto& line : Lines(encoded)) {
            EXPECT_LE(line.size(), 76u) << line;
            for (unsigned char c : line) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << line;
        }
        EXPECT_EQ(DecodeQp(encoded), in);
    }
}

TEST(Subject, AsciiStaysReadableAndFoldsAtSpaces) {
    EXPECT_EQ(EncodeUnstructured("Reset your password", 7), "Reset your password");
    std::string long_subject;
    for (int i = 0; i < 30; ++i) long_subject += "word" + std::to_string(i) + " ";
    long_subject += "end";
    auto folded = EncodeUnstructured(long_subject, 7);
    EXPECT_NE(folded.find("\r\n "), std::string::npos);
    auto lines = Lines(folded);
    EXPECT_LE(lines.front().size() + 9, 78u);
    for (const auto& line : lines) EXPECT_LE(line.size(), 78u);
    std::string unfolded = folded;
    for (std::size_t p; (p = unfolded.find("\r\n")) != std::string::npos;) unfolded.erase(p, 2);
    EXPECT_EQ(unfolded, long_subject);
}

TEST(Subject, NonAsciiBecomesEncodedWords) {
    std::vector<std::string> subjects = {
        "Pr\xc3\xa9"
        "f\xc3\xa9rences mises \xc3\xa0 jour",
        "\xe6\xa0\xaa\xe4\xbb\xb7\xe3\x82\xa2\xe3\x83\xa9\xe3\x83\xbc\xe3\x83\x88: 7203 \xe2\x86\x91 " +
            std::string(60, 'x') + " \xf0\x9f\x93\x88",
        "looks like =?UTF-8?Q?an_encoded_word?=",  // would be decoded by a reader if sent as is
    };
    for (const auto& s : subjects) {
        auto encoded = EncodeUnstructured(s, 7);
        EXPECT_EQ(encoded.rfind("=?UTF-8?B?", 0), 0u) << encoded;
        auto lines = Lines(encoded);
        EXPECT_LE(lines.front().size() + 9, 78u);
        for (const auto& line : lines) {
            EXPECT_LE(line.size(), 76u);
            for (unsigned char c : line) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
        }
        EXPECT_EQ(DecodeEncodedWords(encoded), s);
    }
}

TEST(HeaderValue, RejectsInjectionAndBadUtf8) {
    std::vector<std::string> bads = {"Hi\r\nBcc: evil@example.com",
                                     "Hi\nBcc: x",
                                     "Hi\rX",
                                     std::string("a\0b", 3),
                                     "tab\there",
                                     "\xff",
                                     "\xc0\xaf",
                                     "\xed\xa0\x80",
                                     "\xe2\x82",
                                     "\xf4\x90\x80\x80"};
    for (const auto& bad : bads) {
        ExpectCode([&] { CheckHeaderValue("subject", bad); }, ErrorKind::kUnprocessable, "mail.bad_header");
    }
    EXPECT_NO_THROW(CheckHeaderValue("subject", "Prix: 5 \xe2\x82\xac, \xf0\x9f\x93\x88 ok"));
}

TEST(Address, AcceptsPlainAddresses) {
    for (const char* ok : {"a@b.c", "first.last+tag@example.co.uk", "user@localhost", "o'brien@x.io",
                           "x_y-z@sub-domain.example.com", "UPPER@EXAMPLE.COM"}) {
        EXPECT_NO_THROW(CheckAddress(ok)) << ok;
    }
}

TEST(Address, RejectsBadShapes) {
    std::vector<std::string> bad = {
        "",
        "plain",
        "@x.com",
        "a@",
        "a..b@x.com",
        ".a@x.com",
        "a.@x.com",
        "a@-x.com",
        "a@x-.com",
        "a@x..com",
        "a@.x.com",
        "a@x.com.",
        "a b@x.com",
        "\"q\"@x.com",
        "a@[127.0.0.1]",
        "j\xc3\xb6@x.com",
        "a@b_c.com",
        "a@b@c.com",
        "<a@b.c>",
        std::string(65, 'l') + "@x.com",
        "a@" + std::string(64, 'd') + ".com",
        std::string(64, 'l') + "@" + std::string(60, 'd') + "." + std::string(60, 'd') + "." +
            std::string(60, 'd') + "." + std::string(10, 'd'),
    };
    for (const auto& b : bad) {
        ExpectCode([&] { CheckAddress(b); }, ErrorKind::kUnprocessable, "mail.bad_address");
    }
    for (const char* injected : {"a@b.c\r\nBcc: evil@x.com", "a@b.c\n", "a\r@b.c"}) {
        ExpectCode([&] { CheckAddress(injected); }, ErrorKind::kUnprocessable, "mail.bad_header");
    }
}

TEST(Mailbox, ParsesAndFormats) {
    auto a = ParseMailbox("NexaNest <no-reply@nexanest.localhost>");
    EXPECT_EQ(a.display_name, "NexaNest");
    EXPECT_EQ(a.address, "no-reply@nexanest.localhost");
    EXPECT_EQ(FormatMailbox(a), "NexaNest <no-reply@nexanest.localhost>");

    auto b = ParseMailbox("  \"Doe, \\\"JD\\\" John\" <j@x.io> ");
    EXPECT_EQ(b.display_name, "Doe, \"JD\" John");
    EXPECT_EQ(FormatMailbox(b), "\"Doe, \\\"JD\\\" John\" <j@x.io>");

    auto c = ParseMailbox("plain@x.io");
    EXPECT_EQ(c.display_name, "");
    EXPECT_EQ(FormatMailbox(c), "plain@x.io");

    auto d = ParseMailbox("Z\xc3\xbcrich Team <z@x.io>");
    auto formatted = FormatMailbox(d);
    EXPECT_EQ(formatted.rfind("=?UTF-8?B?", 0), 0u);
    EXPECT_EQ(DecodeEncodedWords(formatted), "Z\xc3\xbcrich Team");
    EXPECT_TRUE(formatted.ends_with(" <z@x.io>"));

    ExpectCode([] { ParseMailbox("Bad <nope>"); }, ErrorKind::kUnprocessable, "mail.bad_address");
    ExpectCode([] { ParseMailbox("Evil\r\nBcc: x <a@b.c>"); }, ErrorKind::kUnprocessable, "mail.bad_header");
}

TEST(Date, FormatsRfc5322InUtc) {
    auto t = sys_days{year{2025} / 3 / 4} + hours(9) + minutes(5) + seconds(7) + milliseconds(999);
    EXPECT_EQ(FormatDate(t), "Tue, 04 Mar 2025 09:05:07 +0000");
    EXPECT_EQ(FormatDate(sys_days{year{2024} / 12 / 29}), "Sun, 29 Dec 2024 00:00:00 +0000");
}

TEST(DotStuff, DoublesLeadingDotsAndTerminates) {
    EXPECT_EQ(DotStuff("a\r\n.b\r\n..c\r\n.\r\nd.e\r\n"), "a\r\n..b\r\n...c\r\n..\r\nd.e\r\n.\r\n");
    EXPECT_EQ(DotStuff(".first\r\n"), "..first\r\n.\r\n");
    EXPECT_EQ(DotStuff("no final break"), "no final break\r\n.\r\n");
}

MessageStamp FixedStamp() {
    return {sys_days{year{2025} / 1 / 2} + hours(3), "<abc@nexanest.localhost>", "=_nn_b0undary"};
}

TEST(BuildMessage, TextOnly) {
    Message m{"user@example.com", "Hello", "Line one\n.dot line\n", std::nullopt, "test"};
    auto raw = BuildMessage(m, ParseMailbox("NexaNest <no-reply@nexanest.localhost>"), FixedStamp());
    auto header_end = raw.find("\r\n\r\n");
    ASSERT_NE(header_end, std::string::npos);
    auto headers = raw.substr(0, header_end + 2);
    for (const char* h :
         {"From: NexaNest <no-reply@nexanest.localhost>\r\n", "To: user@example.com\r\n",
          "Subject: Hello\r\n", "Date: Thu, 02 Jan 2025 03:00:00 +0000\r\n",
          "Message-ID: <abc@nexanest.localhost>\r\n", "MIME-Version: 1.0\r\n",
          "Content-Type: text/plain; charset=utf-8\r\n", "Content-Transfer-Encoding: quoted-printable\r\n"}) {
        EXPECT_NE(headers.find(h), std::string::npos) << h;
    }
    EXPECT_EQ(raw.substr(header_end + 4), "Line one\r\n.dot line\r\n");
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\n') {
            EXPECT_EQ(raw[i - 1], '\r') << "bare LF at " << i;
        }
        if (raw[i] == '\r') {
            EXPECT_EQ(raw[i + 1], '\n') << "bare CR at " << i;
        }
    }
}

TEST(BuildMessage, HtmlMakesMultipartAlternative) {
    Message m{"user@example.com", "Hi", "text\n", std::string("<p>html</p>\n"), "test"};
    auto raw = BuildMessage(m, ParseMailbox("a@b.c"), FixedStamp());
    EXPECT_NE(raw.find("Content-Type: multipart/alternative; boundary=\"=_nn_b0undary\"\r\n"),
              std::string::npos);
    auto text_at = raw.find("--=_nn_b0undary\r\nContent-Type: text/plain; charset=utf-8\r\n");
    auto html_at = raw.find("\r\n--=_nn_b0undary\r\nContent-Type: text/html; charset=utf-8\r\n");
    ASSERT_NE(text_at, std::string::npos);
    ASSERT_NE(html_at, std::string::npos);
    EXPECT_LT(text_at, html_at);
    EXPECT_TRUE(raw.ends_with("<p>html</p>\r\n\r\n--=_nn_b0undary--\r\n"));
}

TEST(BuildMessage, RefusesInjectionAndBadInput) {
    auto from = ParseMailbox("a@b.c");
    ExpectCode(
        [&] {
            BuildMessage({"u@x.io", "Hi\r\nBcc: evil@x.io", "b", std::nullopt, "t"}, from, FixedStamp());
        },
        ErrorKind::kUnprocessable, "mail.bad_header");
    ExpectCode(
        [&] {
            BuildMessage({"u@x.io\r\nBcc: evil@x.io", "Hi", "b", std::nullopt, "t"}, from, FixedStamp());
        },
        ErrorKind::kUnprocessable, "mail.bad_header");
    ExpectCode(
        [&] {
            BuildMessage({"u@x.io, evil@x.io", "Hi", "b", std::nullopt, "t"}, from, FixedStamp());
        },
        ErrorKind::kUnprocessable, "mail.bad_address");
    ExpectCode(
        [&] {
            BuildMessage({"u@x.io", "Hi", "bad \xff", std::nullopt, "t"}, from, FixedStamp());
        },
        ErrorKind::kUnprocessable, "mail.bad_body");
}

TEST(Stamp, IsFreshEachTime) {
    auto from = ParseMailbox("n <no-reply@nexanest.localhost>");
    auto a = NewStamp(from);
    auto b = NewStamp(from);
    EXPECT_NE(a.message_id, b.message_id);
    EXPECT_NE(a.boundary, b.boundary);
    EXPECT_TRUE(a.message_id.ends_with("@nexanest.localhost>"));
    EXPECT_EQ(a.message_id.front(), '<');
}

}  // namespace
}  // namespace nn::mail
