#include "apps/nexanest/progress.hpp"

#include <fmt/format.h>

#include <iostream>
#include <string>

namespace nn::app {

void PrintProgress(std::int64_t done,
                   std::int64_t total,
                   std::chrono::steady_clock::time_point start,
                   std::string_view unit) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int width = 30;
    const int filled = total > 0 ? static_cast<int>(width * done / total) : width;
    std::cerr << fmt::format("\r[{}{}] {:3}% {}/{} {} {:.0f} {}/s", std::string(filled, '#'),
                             std::string(width - filled, ' '), total > 0 ? 100 * done / total : 100, done,
                             total, unit, secs > 0 ? done / secs : 0.0, unit)
              << std::flush;
}

}  // namespace nn::app
