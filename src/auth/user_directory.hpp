#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "auth/permissions.hpp"
#include "auth/principal.hpp"
#include "core/ids.hpp"

namespace nn::auth {

// What another domain may know about an account (DESIGN §3 flow 2: "the portfolio service
// checks the user exists and is active").
struct UserStatus {
    UserId id;
    Role role = Role::kUser;
    bool is_active = false;
    bool email_verified = false;
    // The sign-in address, for notices by email (docs/notify.md "Email"); send only when
    // email_verified, so an unproven address never receives account mail.
    std::optional<std::string> email;
};

// The clients an advisor may act for. `read` holds every client with a READ or MANAGE grant,
// `manage` those with MANAGE only. auth::ActorOf (auth/acting.hpp) puts them into the actor, and
// every transaction acting as it sets them (app.read_client_ids / app.manage_client_ids).
struct AdvisorGrants {
    std::vector<UserId> read;
    std::vector<UserId> manage;
};

// The auth service's interface for other domains: a call today, a network hop tomorrow.
// `shard` is the caller's request.shard (the implementation uses that shard's pool).
class UserDirectory {
public:
    virtual ~UserDirectory() = default;
    // nullopt when no such account exists.
    virtual boost::asio::awaitable<std::optional<UserStatus>> GetUser(UserId id, std::size_t shard) = 0;
    // Empty for a user who is not an active ADVISOR.
    virtual boost::asio::awaitable<AdvisorGrants> GrantsOf(UserId advisor, std::size_t shard) = 0;
    // Whether `principal` still speaks for its user: its token unexpired, its session not
    // revoked, its account active. Long-lived work (a live stream) asks every few seconds.
    virtual boost::asio::awaitable<bool> StillLive(const Principal& principal, std::size_t shard) = 0;
};

}  // namespace nn::auth
