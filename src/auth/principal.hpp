#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/permissions.hpp"
#include "core/ids.hpp"

namespace nn::auth {

// Who is calling, as the auth authenticators set it on http::Request::principal. Other domains
// read it with `request.PrincipalAs<auth::Principal>()` and act as auth::ActorOf(principal, ...)
// (auth/acting.hpp).
struct Principal {
    UserId user_id;
    Role role = Role::kUser;
    // For a bearer token: the role's permissions (PermissionsOf). For an API key: exactly the
    // scopes the key was created with, never more than its owner's role allows.
    std::vector<std::string> scopes;
    std::string session_id;  // refresh-token family of a bearer token; "" for API keys
    std::string api_key_id;  // the key's id for API keys; "" for bearer tokens
    bool is_api_key = false;
    bool email_verified = false;
    // When a bearer token stops being valid; long-lived work (a live stream) ends then.
    std::optional<std::chrono::system_clock::time_point> expires_at;
    // For a bearer token: this process's copy of the user's liveness facts the request was
    // checked against (opaque here). Answers cached under it (LiveAnswers) live no longer than it.
    std::shared_ptr<const void> live;

    bool Has(std::string_view permission) const {
        return std::find(scopes.begin(), scopes.end(), permission) != scopes.end();
    }
};

}  // namespace nn::auth
