#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/actor.hpp"

namespace nn::auth {

// The role enum is nn::Role (core/actor.hpp), shared with the acting user of every database.
using nn::ParseRole;
using nn::Role;
using nn::RoleName;

// The permission names, one table for the whole platform. API key scopes are drawn from them.
namespace perm {
inline constexpr std::string_view kProfileRead = "profile:read";
inline constexpr std::string_view kProfileWrite = "profile:write";
inline constexpr std::string_view kPortfolioRead = "portfolio:read";
inline constexpr std::string_view kPortfolioWrite = "portfolio:write";
inline constexpr std::string_view kMarketRead = "market:read";
inline constexpr std::string_view kMarketWrite = "market:write";
inline constexpr std::string_view kAnalyticsRead = "analytics:read";
inline constexpr std::string_view kNotificationsRead = "notifications:read";
inline constexpr std::string_view kApiKeysManage = "apikeys:manage";
// ADVISOR: read (READ grant) or also write (MANAGE grant) the data of clients who granted it.
inline constexpr std::string_view kAdvisorClients = "advisor:clients";
inline constexpr std::string_view kAdminUsersRead = "admin:users:read";
inline constexpr std::string_view kAdminUsersWrite = "admin:users:write";
// SUPERUSER only: make someone ADMIN or SUPERUSER, or change an ADMIN/SUPERUSER account.
inline constexpr std::string_view kAdminRolesGrant = "admin:roles:grant";
}  // namespace perm

// Every permission of a role (the table in permissions.cpp; each role includes the one below it,
// except that market:write is granted to ADMIN and above: price ingest is an operator's job,
// done by an API key an ADMIN creates).
std::span<const std::string_view> PermissionsOf(Role role) noexcept;
std::vector<std::string> PermissionStrings(Role role);
bool RoleHas(Role role, std::string_view permission) noexcept;
// Whether `permission` names any permission of the table (API key scopes must).
bool IsKnownPermission(std::string_view permission) noexcept;

// Whether `actor` may set an account's role from `from` to `to` (only a SUPERUSER touches
// ADMIN/SUPERUSER accounts or grants those roles; an ADMIN moves accounts between USER and
// ADVISOR). The same rule is enforced by the users_update_admin policy of the database.
bool CanChangeRole(Role actor, Role from, Role to) noexcept;

}  // namespace nn::auth
