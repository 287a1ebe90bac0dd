#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace nn {

// A value that must never reach a log: passwords, tokens, keys, connection passwords.
// It has no formatter and no stream operator except one that prints a mask, so
// `spdlog::info("{}", secret)` does not compile and `os << secret` prints "***".
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}

    const std::string& Reveal() const noexcept { return value_; }
    bool Empty() const noexcept { return value_.empty(); }

    friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "***"; }

private:
    std::string value_;
};

}  // namespace nn
