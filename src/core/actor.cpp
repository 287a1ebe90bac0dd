#include "core/actor.hpp"

namespace nn {

std::string_view RoleName(Role role) noexcept {
    switch (role) {
        case Role::kUser:
            return "USER";
        case Role::kAdvisor:
            return "ADVISOR";
        case Role::kAdmin:
            return "ADMIN";
        case Role::kSuperuser:
            return "SUPERUSER";
        case Role::kSystem:
            return "SYSTEM";
    }
    return "USER";
}

std::optional<Role> ParseRole(std::string_view name) noexcept {
    if (name == "USER") return Role::kUser;
    if (name == "ADVISOR") return Role::kAdvisor;
    if (name == "ADMIN") return Role::kAdmin;
    if (name == "SUPERUSER") return Role::kSuperuser;
    return std::nullopt;
}

}  // namespace nn
