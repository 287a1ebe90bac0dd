#pragma once

#include <string>

#include "infra/runtime/config.hpp"

namespace nn::runtime {

// Sets up the process-wide spdlog logger: level, and either human-readable text or one JSON
// object per line ({"ts","level","msg"} plus fields). Safe to call again (tests, reloads).
void InitLogging(const std::string& level, LogFormat format);

// Escapes a string for embedding in a JSON log line.
std::string JsonEscape(const std::string& s);

}  // namespace nn::runtime
