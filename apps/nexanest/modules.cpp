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
    if (app.Runs("portfolio")) portfolio::Register(app, directory);
    if (app.Runs("analytics")) analytics::Register(app, directory);
    if (app.Runs("notify")) notify::Register(app, directory);
}

}  // namespace nn::app
