#include "auth/permissions.hpp"

#include <algorithm>
#include <array>

namespace nn::auth {

namespace {

using namespace perm;

constexpr std::array kUserPermissions{kProfileRead, kProfileWrite,  kPortfolioRead,     kPortfolioWrite,
                                      kMarketRead,  kAnalyticsRead, kNotificationsRead, kApiKeysManage};
constexpr std::array kAdvisorPermissions{kProfileRead,       kProfileWrite,  kPortfolioRead,
                                         kPortfolioWrite,    kMarketRead,    kAnalyticsRead,
                                         kNotificationsRead, kApiKeysManage, kAdvisorClients};
constexpr std::array kAdminPermissions{kProfileRead,   kProfileWrite,   kPortfolioRead,  kPortfolioWrite,
                                       kMarketRead,    kMarketWrite,    kAnalyticsRead,  kNotificationsRead,
                                       kApiKeysManage, kAdminUsersRead, kAdminUsersWrite};
constexpr std::array kSuperuserPermissions{
    kProfileRead,   kProfileWrite,      kPortfolioRead, kPortfolioWrite, kMarketRead,      kMarketWrite,
    kAnalyticsRead, kNotificationsRead, kApiKeysManage, kAdminUsersRead, kAdminUsersWrite, kAdminRolesGrant};
constexpr std::array kAllPermissions{kProfileRead,    kProfileWrite,   kPortfolioRead,  kPortfolioWrite,
                                     kMarketRead,     kMarketWrite,    kAnalyticsRead,  kNotificationsRead,
                                     kApiKeysManage,  kAdvisorClients, kAdminUsersRead, kAdminUsersWrite,
                                     kAdminRolesGrant};

}  // namespace

std::span<const std::string_view> PermissionsOf(Role role) noexcept {
    switch (role) {
        case Role::kUser:
            return kUserPermissions;
        case Role::kAdvisor:
            return kAdvisorPermissions;
        case Role::kAdmin:
            return kAdminPermissions;
        case Role::kSuperuser:
            return kSuperuserPermissions;
        case Role::kSystem:
            return {};  // no account and no token has it
    }
    return {};
}

std::vector<std::string> PermissionStrings(Role role) {
    auto perms = PermissionsOf(role);
    return {perms.begin(), perms.end()};
}

bool RoleHas(Role role, std::string_view permission) noexcept {
    auto perms = PermissionsOf(role);
    return std::find(perms.begin(), perms.end(), permission) != perms.end();
}

bool IsKnownPermission(std::string_view permission) noexcept {
    return std::find(kAllPermissions.begin(), kAllPermissions.end(), permission) != kAllPermissions.end();
}

bool CanChangeRole(Role actor, Role from, Role to) noexcept {
    auto elevated = [](Role r) { return r == Role::kAdmin || r == Role::kSuperuser; };
    if (actor == Role::kSuperuser) return true;
    if (actor == Role::kAdmin) return !elevated(from) && !elevated(to);
    return false;
}

}  // namespace nn::auth
