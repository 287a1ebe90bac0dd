#pragma once

#include "portfolio/request_actor.hpp"
#include "portfolio/watchlists/service.hpp"

namespace nn::portfolio {

// /api/v1/watchlists routes (docs/portfolio.md "Watchlists").
void AddWatchlistRoutes(http::Router& routes, SubdomainRoutes<WatchlistService> context);

}  // namespace nn::portfolio
