#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nn::redis {

// One or more commands in RESP form, written to the server in one piece. Arguments are
// binary safe (any bytes, including \0 and \r\n): each is sent with its length, never
// through a printf format. Formatting happens when Add is called, so the arguments need not
// outlive the call.
class Pipeline {
public:
    Pipeline() = default;
    Pipeline(std::initializer_list<std::string_view> argv) { Add(argv); }

    Pipeline& Add(std::initializer_list<std::string_view> argv);
    Pipeline& Add(const std::vector<std::string>& argv);
    Pipeline& Add(const std::vector<std::string_view>& argv);

    std::size_t Size() const noexcept { return count_; }
    bool Empty() const noexcept { return count_ == 0; }
    const std::string& Payload() const noexcept { return payload_; }
    std::string TakePayload() && { return std::move(payload_); }

private:
    void Append(std::size_t argc, const char* const* argv, const std::size_t* lengths);

    std::string payload_;
    std::size_t count_ = 0;
};

}  // namespace nn::redis
