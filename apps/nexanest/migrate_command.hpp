#pragma once

#include <CLI/CLI.hpp>

#include "infra/migrate/migrator.hpp"
#include "infra/runtime/config.hpp"

namespace nn::app {

struct GlobalOptions;

// The migration engine's options from the configuration (the administrative URL and the role
// passwords are required); progress lines go to standard output.
migrate::Options MigrateOptions(const runtime::Config& config);

// `nexanest migrate up|down|to|status`.
void AddMigrateCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace nn::app
