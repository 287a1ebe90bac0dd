#pragma once

#include <CLI/CLI.hpp>

namespace nn::app {

struct GlobalOptions;

// `nexanest serve [--services LIST] [--listen HOST:PORT]`.
void AddServeCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace nn::app
