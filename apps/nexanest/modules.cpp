#include "apps/nexanest/modules.hpp"

#include "infra/app/app.hpp"

namespace nn::app {

void RegisterModules(App& app) {
    (void)app;
}

}  // namespace nn::app
