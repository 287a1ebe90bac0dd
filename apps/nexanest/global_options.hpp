#pragma once

#include <optional>
#include <string>

#include "apps/nexanest/modules.hpp"
#include "infra/app/config_files.hpp"
#include "infra/runtime/config.hpp"

namespace nn::app {

// Options every subcommand shares.
struct GlobalOptions {
    std::optional<std::string> config_file;

    // The environment over the discovered environment files over the TOML file
    // (infra/app/config_files.hpp): after `make run`, ./var; installed, /etc/nexanest. The
    // domains' settings are checked with the rest (DomainSettings).
    runtime::Config Load() const { return Load(runtime::ProcessEnv()); }
    runtime::Config Load(const runtime::EnvLookup& env) const {
        return LoadDiscoveredConfig(config_file, env, DetectLayout(SelfExe(), env), DomainSettings());
    }
};

}  // namespace nn::app
