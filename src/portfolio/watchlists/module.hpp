#pragma once

#include <memory>

#include "portfolio/watchlists/service.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}

namespace nn::portfolio {

class Repository;

// The watchlist service on its PostgreSQL repository, with the app's portfolio pools; `core` is
// the portfolio repository (its outbox statement).
std::shared_ptr<WatchlistService> MakeWatchlistService(App& app, std::shared_ptr<Repository> core);

// Adds the /api/v1/watchlists routes (called by portfolio::Register); returns the service.
std::shared_ptr<WatchlistService> RegisterWatchlists(App& app,
                                                     std::shared_ptr<Repository> core,
                                                     std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
