#pragma once

#include <string>
#include <string_view>

#include "infra/mail/mailer.hpp"

namespace nn::notify {

// The email of a notification that brings no template of its own (drift, goal milestone,
// security notices): subject "NexaNest: <title>", the body and a link to <public_url>/, as plain
// text and HTML (values escaped). `kind` becomes the message kind in lower case.
mail::Message NotificationEmail(std::string_view public_url,
                                std::string to,
                                std::string_view kind,
                                std::string_view title,
                                std::string_view body);

}  // namespace nn::notify
