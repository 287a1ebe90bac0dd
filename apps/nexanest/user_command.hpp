#pragma once

#include <CLI/CLI.hpp>

#include "apps/nexanest/global_options.hpp"

namespace nn::app {

// `nexanest user create --email E --password-file F|- --role ADMIN|SUPERUSER|ADVISOR|USER`: how an
// operator makes the first admin (DESIGN.md §4). Talks to the configured auth database as serve does.
void AddUserCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace nn::app
