#pragma once

#include <CLI/CLI.hpp>

namespace nn::app {

struct GlobalOptions;

// `nexanest import transactions FILE --portfolio ID [--dry-run]`.
void AddPortfolioCommands(CLI::App& app, const GlobalOptions& global);

}  // namespace nn::app
