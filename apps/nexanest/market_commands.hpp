#pragma once

#include <CLI/CLI.hpp>

#include "apps/nexanest/global_options.hpp"

namespace nn::app {

// `nexanest import prices FILE.csv` and `nexanest feed simulate ...` (docs/market.md).
void AddMarketCommands(CLI::App& app, const GlobalOptions& global);

}  // namespace nn::app
