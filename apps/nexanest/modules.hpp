#pragma once

#include <vector>

#include "infra/runtime/config.hpp"

namespace nn {
class App;
}

namespace nn::app {

// Chains every domain's Register(App&) (STYLE.md: main only chains the registrations).
void RegisterModules(App& app);

// The settings the domains own (market::Settings()), which every subcommand loads and checks
// with the rest of the configuration (GlobalOptions::Load).
std::vector<runtime::DomainSetting> DomainSettings();

}  // namespace nn::app
