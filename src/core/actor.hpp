#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"

namespace nn {

// An account's role (auth.users.role), and SYSTEM for work no account does (jobs, consumers,
// relays, operator commands). Row-level security reads it as app.role (docs/schema.md).
enum class Role { kUser, kAdvisor, kAdmin, kSuperuser, kSystem };

std::string_view RoleName(Role role) noexcept;  // "USER", "ADVISOR", "ADMIN", "SUPERUSER", "SYSTEM"
// An account's role by name; SYSTEM is no account's role, so it does not parse.
std::optional<Role> ParseRole(std::string_view name) noexcept;

// Who a transaction acts for: everything row-level security reads (app.user_id, app.role and,
// for an ADVISOR, app.read_client_ids / app.manage_client_ids). db::RunAs and
// db::TransactionOptions::ActingAs set all of it at once; auth::ActorOf builds it from a
// request's principal (an advisor's client lists from its grants).
// Constructors rather than an aggregate: GCC 12 destroys aggregate temporaries of a co_await
// expression twice (infra/db/query.hpp).
struct Actor {
    Actor() = default;
    Actor(UserId id, Role r) : user_id(id), role(r) {}
    // SYSTEM work, for nobody (app.user_id '') or on behalf of `owner` (an import into the
    // owner's portfolio records the owner as the acting user).
    static Actor System(UserId owner = UserId()) { return Actor(owner, Role::kSystem); }

    bool IsAdvisor() const noexcept { return role == Role::kAdvisor; }
    bool IsSystem() const noexcept { return role == Role::kSystem; }

    UserId user_id;  // nil only for SYSTEM work done for nobody
    Role role = Role::kUser;
    std::vector<UserId> read_clients;    // ADVISOR: clients with a READ or MANAGE grant
    std::vector<UserId> manage_clients;  // ADVISOR: clients with a MANAGE grant
};

}  // namespace nn
