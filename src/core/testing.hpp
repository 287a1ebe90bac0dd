#pragma once

// Shorthands shared by the pure tests (`*_test.cpp`): one definition each, so a unity batch of
// several test files (cmake/NexaNest.cmake) and a reader see the same helper.

#include <string_view>

#include "core/decimal.hpp"

namespace nn::testing {

// An exact decimal from its text: D("12.50").
inline Decimal D(std::string_view text) {
    return Decimal::FromString(text);
}

}  // namespace nn::testing
