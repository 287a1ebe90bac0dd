#pragma once

#include <vector>

#include "infra/runtime/config.hpp"

namespace nn {
class App;
}

namespace nn::app {

// Tells the app what the services it runs (Config::services) need from the cluster: the
// databases whose schema and readiness it checks, and the outboxes, streams and partitions
// whose figures /metrics shows (App::UseDatabase, WatchOutbox, ...). Call it before
// App::RequireSchemas and App::Start.
void DeclareServices(App& app);

// Chains every domain's Register(App&) (STYLE.md: main only chains the registrations).
void RegisterModules(App& app);

// The settings the domains own (auth::Settings(), market::Settings()), which every subcommand loads and
// checks with the rest of the configuration (GlobalOptions::Load).
std::vector<runtime::DomainSetting> DomainSettings();

}  // namespace nn::app
