#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "infra/mail/mailer.hpp"

// Building blocks of an RFC 5322 / MIME message, pure and shared by the .eml sink and the SMTP
// client. Every produced line ends in CRLF and holds 7-bit ASCII only, so no transport needs
// 8BITMIME or SMTPUTF8.
namespace nn::mail {

// A sender or recipient: `display_name` may be empty.
struct Mailbox {
    std::string display_name;
    std::string address;
};

// Throws nn::Error(kUnprocessable, "mail.bad_header") when `value` holds CR, LF or another
// control character (header injection) or is not valid UTF-8. `field` names it in the message.
void CheckHeaderValue(std::string_view field, std::string_view value);

// Accepts a plain addr-spec, local@domain: a dot-atom local part of at most 64 characters and
// a host name of letters, digits and hyphens (one label such as "localhost" is allowed), 254
// characters in all. Quoted local parts, address literals and non-ASCII (SMTPUTF8) are
// refused. Throws "mail.bad_header" for control characters, otherwise "mail.bad_address".
void CheckAddress(std::string_view address);

// Parses "addr@host", "Name <addr@host>" or "\"Name\" <addr@host>" (the mail_from setting).
// Throws like CheckAddress.
Mailbox ParseMailbox(std::string_view text);

// The header form of a mailbox: the display name as atoms, a quoted string or RFC 2047
// encoded-words, whichever it needs.
std::string FormatMailbox(const Mailbox& mailbox);

// The value of an unstructured header (Subject) as it follows "Name: ": printable ASCII is
// folded at spaces; anything else, or text that would read as an encoded-word, becomes
// RFC 2047 "=?UTF-8?B?...?=" words, each short enough to keep lines under 78 characters.
std::string EncodeUnstructured(std::string_view value, std::size_t name_length);

// RFC 2045 quoted-printable with CRLF hard line breaks; "\n", "\r\n" and "\r" in `text` are
// line breaks. Lines stay within 76 characters with soft breaks. A body always ends with a
// line break.
std::string EncodeQuotedPrintable(std::string_view text);

std::string Base64(std::string_view bytes);

// "Tue, 04 Mar 2025 09:05:07 +0000" (RFC 5322 §3.3), always in UTC.
std::string FormatDate(std::chrono::system_clock::time_point time);

// `n` random bytes (OpenSSL's CSPRNG) as lowercase hex.
std::string RandomHex(std::size_t n);

// Values that differ per message, separate so that tests can build a message reproducibly.
struct MessageStamp {
    std::chrono::system_clock::time_point date;
    std::string message_id;  // "<...@domain>"
    std::string boundary;    // used only for multipart/alternative
};

// A fresh stamp: the current time, a random Message-ID at the sender's domain and a boundary.
MessageStamp NewStamp(const Mailbox& from);

// The whole message (headers, blank line, body) in CRLF form. Validates `to` and `subject`
// first (CheckAddress, CheckHeaderValue).
std::string BuildMessage(const Message& message, const Mailbox& from, const MessageStamp& stamp);

// The DATA payload for SMTP (RFC 5321 §4.5.2): a '.' is doubled at the start of every line and
// the terminating "." line is appended. `message` is CRLF-formed as BuildMessage makes it.
std::string DotStuff(std::string_view message);

}  // namespace nn::mail
