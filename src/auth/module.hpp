#pragma once

#include <memory>
#include <vector>

#include "auth/model.hpp"
#include "auth/user_directory.hpp"
#include "core/secret.hpp"
#include "infra/runtime/config.hpp"

namespace nn {
class App;
}
namespace nn::mail {
class Mailer;
}

namespace nn::auth {

// The auth settings (docs/configuration.md "Auth"), checked at start with the rest of the
// configuration (apps/nexanest passes them to runtime::LoadConfig); the first three are secrets:
//   auth.jwt_keys              NEXANEST_JWT_KEYS              HS256 keys kid:base64url[,...]
//   auth.api_key_pepper        NEXANEST_API_KEY_PEPPER        HMAC key of API key hashes
//   auth.field_keys            NEXANEST_FIELD_KEYS            secretbox keys of profile fields
//   auth.jwt_issuer            NEXANEST_JWT_ISSUER            iss of access tokens
//   auth.jwt_audience          NEXANEST_JWT_AUDIENCE          aud of access tokens
//   auth.access_token_ttl      NEXANEST_ACCESS_TOKEN_TTL      access token lifetime
//   auth.refresh_token_ttl     NEXANEST_REFRESH_TOKEN_TTL     refresh token lifetime
//   auth.session_max_lifetime  NEXANEST_SESSION_MAX_LIFETIME  session end after sign-in
std::vector<runtime::DomainSetting> Settings();

// AuthSettings with what those settings give (issuer, audience, token lifetimes) over its
// defaults.
AuthSettings SettingsFrom(const runtime::Config& config);

// The secrets among them; empty when not given.
struct Keys {
    Secret jwt_keys;        // "kid:base64url,kid2:..." (first is active), crypto::ParseJwtKeys
    Secret api_key_pepper;  // HMAC key for API key hashes, at least 32 bytes
    Secret field_keys;      // "kid:base64url" secretbox keys for sensitive profile fields
};
Keys KeysFrom(const runtime::Config& config);
// Puts them into a configuration built without runtime::LoadConfig (tests, benchmarks; the
// fresh ones of auth/test_keys.hpp).
void PutKeys(runtime::Config& config, const Keys& keys);

struct ModuleOptions {
    AuthSettings settings;                 // Register(App&) takes SettingsFrom(config)
    std::shared_ptr<mail::Mailer> mailer;  // null: mail::MakeMailer(config) (SMTP or var/mail/*.eml)
};

// Registers the auth service: routes (docs/auth.md), the bearer-JWT and ApiKey authenticators,
// and the periodic cleanup job "auth.cleanup". Returns the directory other domains use to
// check accounts and advisor grants; it stays valid as long as the App.
// Throws nn::Error kUnprocessable when the JWT keys or the API key pepper are missing.
std::shared_ptr<UserDirectory> Register(App& app);
std::shared_ptr<UserDirectory> Register(App& app, ModuleOptions options);

}  // namespace nn::auth
