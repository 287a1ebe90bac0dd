#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "auth/principal.hpp"
#include "auth/user_directory.hpp"
#include "core/actor.hpp"
#include "infra/http/request.hpp"

// The one principal → actor conversion (issue 18). Every domain acts for a request's caller
// through these, then opens its transactions with db::RunAs(pool, actor, ...) (or
// TransactionOptions::ActingAs), which sets the whole actor.
namespace nn::auth {

// The principal's user and role, without client lists (enough for the auth database, whose
// policies read advisor grants from its own tables).
Actor ActorOf(const Principal& p);

// The same, and for an ADVISOR its grants from `directory` as the client lists, so the other
// databases' row-level security shows it the clients who granted it access. A null directory
// (a command-line tool, a test) leaves the lists empty.
boost::asio::awaitable<Actor> ActorOf(const Principal& p,
                                      const std::shared_ptr<UserDirectory>& directory,
                                      std::size_t shard);

// The principal of a request: 401 auth.required without one, 403 auth.insufficient_scope
// ("needs <permission>") for the first of `permission` and `also` (when not empty) it lacks.
const Principal& RequirePrincipal(const http::Request& req,
                                  std::string_view permission,
                                  std::string_view also = {});

// Both: the acting user of a request that needs `permission` (and `also`).
boost::asio::awaitable<Actor> ActorOfRequest(const http::Request& req,
                                             const std::shared_ptr<UserDirectory>& directory,
                                             std::string_view permission,
                                             std::string_view also = {});

}  // namespace nn::auth
