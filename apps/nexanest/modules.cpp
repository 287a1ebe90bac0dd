#include "apps/nexanest/modules.hpp"

#include "analytics/module.hpp"
#include "auth/module.hpp"
#include "infra/app/app.hpp"
#include "market/module.hpp"
#include "notify/module.hpp"
#include "portfolio/module.hpp"

namespace nn::app {

void RegisterModules(App& app) {
    // The directory is the auth service's public interface (accounts, advisor grants); without
    // auth in this process portfolio and analytics trust the verified token alone.
    std::shared_ptr<auth::UserDirectory> directory;
    if (app.Runs("auth")) directory = auth::Register(app);
    if (app.Runs("market")) market::Register(app);
    // One set of portfolio services per process: analytics and notify receive the registered
    // ones, or (portfolio served by another process) ones built without routes.
    portfolio::Services portfolios;
    if (app.Runs("portfolio")) portfolios = portfolio::Register(app, directory);
    if (!portfolios.portfolios && (app.Runs("analytics") || app.Runs("notify"))) {
        portfolio::ModuleOptions options;
        options.directory = directory;
        portfolios = portfolio::MakeServices(app, options);
    }
    if (app.Runs("analytics")) analytics::Register(app, portfolios, directory);
    if (app.Runs("notify")) notify::Register(app, directory, portfolios.notify);
}

std::vector<runtime::DomainSetting> DomainSettings() { return market::Settings(); }

}  // namespace nn::app
