#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nn::http {
class Request;
}

namespace nn::market {

// Who is calling, as far as the market module cares. This is the one place that reads the
// authenticator's principal: auth::Principal (role ADMIN/SUPERUSER with a bearer token → admin;
// scopes as they are), or a market::Caller set by tests and tools.
struct Caller {
    bool admin = false;
    std::vector<std::string> scopes;  // e.g. "market:write" for an ingest API key
};

std::optional<Caller> CallerOf(const http::Request& request);

// 401 when anonymous, 403 unless the caller is an admin or holds `scope`.
void RequireScope(const http::Request& request, std::string_view scope);
// 401 when anonymous, 403 unless the caller is an admin.
void RequireAdmin(const http::Request& request);

inline constexpr std::string_view kScopeWrite = "market:write";
inline constexpr std::string_view kScopeRead = "market:read";

}  // namespace nn::market
