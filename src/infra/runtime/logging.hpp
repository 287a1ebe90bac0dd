#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "infra/runtime/config.hpp"

namespace spdlog {
class logger;
}

namespace nn::runtime {

// Sets up the process-wide spdlog logger: level, and either human-readable text or one JSON
// object per line ({"ts","level","msg"} plus fields). Safe to call again (tests, reloads).
// Also sets the level and format of AccessLogger().
void InitLogging(const std::string& level, LogFormat format);

// The logger of the per-request access lines (docs/configuration.md "Access log"). Lines are
// formatted on the calling thread into a buffer under a short lock and written to stderr by a
// background thread in batches (every 200 ms, or at once past 64 KiB), so a request pays for
// formatting, not for a write(2) or for a lock held across one. Past 4 MiB waiting (stderr
// blocked) new lines are dropped and counted, and a notice line says how many. One per process.
std::shared_ptr<spdlog::logger> AccessLogger();

// A batching logger writing to `fd` (kept open by the caller), for tests and benchmarks.
std::shared_ptr<spdlog::logger> MakeBatchingLogger(const std::string& name, int fd, LogFormat format);

// Lines the batching logger dropped because its buffer was full (since it was made).
std::uint64_t DroppedLines(const spdlog::logger& logger);

// Escapes a string for embedding in a JSON log line.
std::string JsonEscape(const std::string& s);

}  // namespace nn::runtime
