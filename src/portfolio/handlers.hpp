#pragma once

#include <memory>

#include "infra/http/router.hpp"
#include "portfolio/service.hpp"

namespace nn::auth {
class UserDirectory;
}

namespace nn::portfolio {

// The portfolio REST routes (docs/portfolio.md): parse, call the service, serialise.
void AddRoutes(http::Router& routes, Service& service, std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
