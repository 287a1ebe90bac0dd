#pragma once

#include <string>

#include "infra/http/router.hpp"

namespace nn::http {

struct OpenApiInfo {
    std::string title = "NexaNest API";
    std::string version = "1";
};

// The OpenAPI 3.1 document of every route registered on `router`, derived from the router
// itself so it cannot drift from what the server answers: each path with its methods, path
// parameters, whether a credential is required (bearer JWT or `ApiKey` key), the body limit of
// writing routes, the schemas of each route's query, request body and answers (its
// RouteContract, written next to its registration), the router's named components, and
// problem+json (RFC 9457) for every error. HEAD is implied by GET and not listed.
std::string OpenApiDocument(const Router& router, const OpenApiInfo& info = {});

}  // namespace nn::http
