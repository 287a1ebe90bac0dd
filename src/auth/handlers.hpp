#pragma once

#include <functional>
#include <memory>

#include "auth/live_answers.hpp"
#include "auth/service.hpp"
#include "auth/web_session.hpp"

namespace nn::http {
class Router;
class Request;
}  // namespace nn::http

namespace nn::auth {

// Makes the service for one request (on its shard): repository, limiter and shared deps.
class ServiceFactory {
public:
    virtual ~ServiceFactory() = default;
    // The service of the request's shard (the shard's pool, Redis client and limiter).
    virtual Service& For(http::Request& request) = 0;
    // The process's cached /me answers; null: every /me reads the database.
    virtual LiveAnswers* MeAnswers() { return nullptr; }
};

// Declares every auth route on the router (JSON ↔ service; no logic here). `web` configures the
// browser mode of login, refresh and logout (web_session.hpp).
void AddRoutes(http::Router& router, std::shared_ptr<ServiceFactory> services, WebSessionOptions web);

// Request facts for the audit trail (ip, user agent trimmed to what the columns hold).
Audit AuditOf(const http::Request& request);

}  // namespace nn::auth
