#pragma once

#include <memory>

#include "auth/model.hpp"
#include "auth/user_directory.hpp"

namespace nn {
class App;
}
namespace nn::mail {
class Mailer;
}

namespace nn::auth {

struct ModuleOptions {
    AuthSettings settings;                 // issuer, audience and TTLs are taken from Config
    std::shared_ptr<mail::Mailer> mailer;  // null: mail::MakeMailer(config) (SMTP or var/mail/*.eml)
};

// Registers the auth service: routes (docs/auth.md), the bearer-JWT and ApiKey authenticators,
// and the periodic cleanup job "auth.cleanup". Returns the directory other domains use to
// check accounts and advisor grants; it stays valid as long as the App.
// Throws nn::Error kUnprocessable when the JWT keys or the API key pepper are missing.
std::shared_ptr<UserDirectory> Register(App& app);
std::shared_ptr<UserDirectory> Register(App& app, ModuleOptions options);

// AuthSettings with what the configuration holds (issuer, audience, token lifetimes).
AuthSettings SettingsFromConfig(const App& app);

}  // namespace nn::auth
