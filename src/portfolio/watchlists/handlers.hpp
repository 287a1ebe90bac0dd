#pragma once

#include <memory>

#include "infra/http/router.hpp"
#include "portfolio/watchlists/service.hpp"

namespace nn::auth {
class UserDirectory;
}

namespace nn::portfolio {

// /api/v1/watchlists routes (docs/portfolio.md "Watchlists").
void AddWatchlistRoutes(http::Router& routes,
                        std::shared_ptr<WatchlistService> service,
                        std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
