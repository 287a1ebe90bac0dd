#pragma once

#include <CLI/CLI.hpp>

namespace nn::app {

struct GlobalOptions;

// `nexanest backup --to DIR` and `nexanest restore --from DIR` (docs/operations.md).
void AddBackupCommands(CLI::App& app, const GlobalOptions& global);

}  // namespace nn::app
