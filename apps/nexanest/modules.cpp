#include "apps/nexanest/modules.hpp"

#include "analytics/module.hpp"
#include "auth/module.hpp"
#include "infra/app/app.hpp"
#include "market/module.hpp"

namespace nn::app {

void RegisterModules(App& app) {
    if (app.Runs("auth")) auth::Register(app);
    if (app.Runs("market")) market::Register(app);
    if (app.Runs("analytics")) analytics::Register(app);
}

}  // namespace nn::app
