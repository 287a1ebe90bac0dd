#include "auth/acting.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace nn::auth {
namespace asio = boost::asio;

Actor ActorOf(const Principal& p) {
    return Actor(p.user_id, p.role);
}

asio::awaitable<Actor> ActorOf(const Principal& p,
                               const std::shared_ptr<UserDirectory>& directory,
                               std::size_t shard) {
    Actor actor = ActorOf(p);
    if (actor.IsAdvisor() && directory) {
        AdvisorGrants grants = co_await directory->GrantsOf(p.user_id, shard);
        actor.read_clients = std::move(grants.read);
        actor.manage_clients = std::move(grants.manage);
    }
    co_return actor;
}

const Principal& RequirePrincipal(const http::Request& req,
                                  std::string_view permission,
                                  std::string_view also) {
    const auto* p = req.PrincipalAs<Principal>();
    if (!p) throw Error(ErrorKind::kUnauthorized, "auth.required", "authentication required");
    for (std::string_view needed : {permission, also}) {
        if (needed.empty() || p->Has(needed)) continue;
        throw Error(ErrorKind::kForbidden, "auth.insufficient_scope", fmt::format("needs {}", needed));
    }
    return *p;
}

asio::awaitable<Actor> ActorOfRequest(const http::Request& req,
                                      const std::shared_ptr<UserDirectory>& directory,
                                      std::string_view permission,
                                      std::string_view also) {
    const Principal& p = RequirePrincipal(req, permission, also);
    co_return co_await ActorOf(p, directory, req.shard);
}

}  // namespace nn::auth
