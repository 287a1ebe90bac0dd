#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "infra/http/middleware.hpp"
#include "infra/http/request.hpp"
#include "infra/http/response.hpp"
#include "infra/http/router.hpp"

namespace nn::http {

// What is wrong with one answer, measured against its route's contract (RouteContract) in the
// OpenAPI `document` (whose components resolve the $refs); empty when it conforms:
//  - a 2xx/3xx status the route does not declare, or a body that does not match the declared
//    schema or media type (an SSE stream for a text/event-stream answer, no body for 204);
//  - an error answer that is neither problem+json matching Problem nor declared by the route;
//  - a 2xx answer to a request body the route's request schema refuses (the reader accepted
//    what the document says is invalid).
//  - a 4xx problem whose `code` is neither common (IsCommonProblemCode) nor listed in the
//    route's RouteContract::codes (the document's x-problem-codes).
// Unrouted answers (404/405, the dashboard's static files) are only checked when problem+json.
std::vector<std::string> ContractViolations(const Route* route,
                                            const Request& request,
                                            const Response& response,
                                            const boost::json::object& document);

// The codes every route may answer besides its own (docs/api.md "Errors"): validation.failed,
// auth.required / invalid_token / insufficient_scope / forbidden / csrf, rate_limited[.*],
// internal, and the families json.*, http.*, request.*, pagination.*, db.*.
bool IsCommonProblemCode(std::string_view code);

// ServerOptions::contract_check: every answer is checked; a violation is logged and replaced
// by 500 "contract.violation" naming it, so the test that received it fails.
Middleware ContractCheckMiddleware(std::shared_ptr<const boost::json::object> document);

// NEXANEST_CONTRACT_CHECK=1 in the environment (the test scripts and fixtures set it).
bool ContractCheckFromEnv();

}  // namespace nn::http
