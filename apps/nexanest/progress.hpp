#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace nn::app {

// A one-line progress bar on stderr ("[####    ]  42% 420/1000 rows 3500 rows/s"), redrawn in
// place; the caller prints the final newline.
void PrintProgress(std::int64_t done,
                   std::int64_t total,
                   std::chrono::steady_clock::time_point start,
                   std::string_view unit = "rows");

}  // namespace nn::app
