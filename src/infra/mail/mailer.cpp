#include "infra/mail/mailer.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "infra/mail/eml_mailer.hpp"
#include "infra/mail/smtp_mailer.hpp"
#include "infra/runtime/config.hpp"

namespace nn::mail {

std::unique_ptr<Mailer> MakeMailer(const runtime::Config& config, boost::asio::any_io_executor executor) {
    Mailbox from;
    try {
        from = ParseMailbox(config.mail_from);
    } catch (const Error& e) {
        throw Error(ErrorKind::kUnprocessable, "config.invalid",
                    std::string("configuration: mail.from: ") + e.what());
    }
    if (config.smtp_url.Empty())
        return MakeEmlMailer(std::filesystem::path(config.var_dir) / "mail", std::move(from));
    return MakeSmtpMailer(ParseSmtpUrl(config.smtp_url.Reveal()), std::move(from), std::move(executor));
}

}  // namespace nn::mail
