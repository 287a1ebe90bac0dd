#include "market/access.hpp"

#include <algorithm>

#include "auth/principal.hpp"
#include "core/error.hpp"
#include "infra/http/request.hpp"

namespace nn::market {

std::optional<Caller> CallerOf(const http::Request& request) {
    if (const auto* p = request.PrincipalAs<auth::Principal>()) {
        // An administrator's bearer token may do everything here; an API key only what its
        // scopes say, even when its owner is an administrator.
        bool admin_role = p->role == auth::Role::kAdmin || p->role == auth::Role::kSuperuser;
        return Caller{.admin = admin_role && !p->is_api_key, .scopes = p->scopes};
    }
    if (const auto* c = request.PrincipalAs<Caller>()) return *c;
    return std::nullopt;
}

namespace {
Caller Authenticated(const http::Request& request) {
    auto caller = CallerOf(request);
    if (!caller) throw Error(ErrorKind::kUnauthorized, "auth.required", "authentication required");
    return *caller;
}
}  // namespace

void RequireScope(const http::Request& request, std::string_view scope) {
    Caller c = Authenticated(request);
    if (c.admin || std::find(c.scopes.begin(), c.scopes.end(), scope) != c.scopes.end()) return;
    throw Error(ErrorKind::kForbidden, "auth.insufficient_scope",
                "this needs the " + std::string(scope) + " scope");
}

void RequireAdmin(const http::Request& request) {
    if (!Authenticated(request).admin) {
        throw Error(ErrorKind::kForbidden, "auth.admin_required", "only administrators may do this");
    }
}

}  // namespace nn::market
