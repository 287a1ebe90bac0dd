#include "portfolio/watchlists/module.hpp"

#include "infra/app/app.hpp"
#include "portfolio/watchlists/handlers.hpp"
#include "portfolio/watchlists/pg_repository.hpp"

namespace nn::portfolio {

std::shared_ptr<WatchlistService> MakeWatchlistService(App& app, std::shared_ptr<Repository> core) {
    return std::make_shared<WatchlistService>(app, std::move(core),
                                              std::make_shared<PgWatchlistRepository>());
}

std::shared_ptr<WatchlistService> RegisterWatchlists(App& app,
                                                     std::shared_ptr<Repository> core,
                                                     std::shared_ptr<auth::UserDirectory> directory) {
    auto service = MakeWatchlistService(app, std::move(core));
    AddWatchlistRoutes(app.Routes(), SubdomainRoutes<WatchlistService>{service, std::move(directory)});
    return service;
}

}  // namespace nn::portfolio
