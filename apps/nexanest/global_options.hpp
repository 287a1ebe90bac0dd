#pragma once

#include <optional>
#include <string>

#include "infra/runtime/config.hpp"

namespace nn::app {

// Options every subcommand shares.
struct GlobalOptions {
    std::optional<std::string> config_file;

    runtime::Config Load() const { return runtime::LoadConfig(config_file, runtime::ProcessEnv()); }
};

}  // namespace nn::app
