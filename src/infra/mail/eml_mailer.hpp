#pragma once

#include <filesystem>
#include <memory>

#include "infra/mail/mailer.hpp"
#include "infra/mail/mime.hpp"

namespace nn::mail {

// Writes each message as one RFC 5322 file (CRLF lines, exactly what SMTP would carry)
// `<dir>/<UTC yyyymmddThhmmss.mmmZ>-<kind>-<random>.eml`, mode 0600 since it holds tokens.
// The file is written under a hidden temporary name, fsync'd, renamed into place and the
// directory fsync'd, so a reader never sees a partial file and the message survives a crash
// once Send returns. The blocking file work runs on a private thread, not the event loop.
// Throws nn::Error kUnavailable "mail.unavailable" when the file cannot be written, and the
// message errors of BuildMessage.
std::unique_ptr<Mailer> MakeEmlMailer(std::filesystem::path dir, Mailbox from);

}  // namespace nn::mail
