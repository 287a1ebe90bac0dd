#pragma once

#include <CLI/CLI.hpp>

namespace nn::app {

struct GlobalOptions;

// `nexanest migrate up|down|to|status`.
void AddMigrateCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace nn::app
