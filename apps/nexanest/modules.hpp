#pragma once

namespace nn {
class App;
}

namespace nn::app {

// Chains every domain's Register(App&) (STYLE.md: main only chains the registrations).
void RegisterModules(App& app);

}  // namespace nn::app
