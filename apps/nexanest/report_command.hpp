#pragma once

#include <CLI/CLI.hpp>

namespace nn::app {

struct GlobalOptions;

// `nexanest report generate --portfolio ID --period monthly|annual --year Y [--month M]
// [--format json|csv] [--output FILE]` (docs/analytics.md §13).
void AddReportCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace nn::app
