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

    std::size_t Size() const noexcept { return commands_.size(); }
    bool Empty() const noexcept { return commands_.empty(); }
    const std::string& Payload() const noexcept { return payload_; }
    std::string TakePayload() && { return std::move(payload_); }

    // For Redis Cluster routing: the slot of command `i` (key_slot.hpp: a slot, kNoKey or
    // kCrossSlot), and whether the pipeline holds a MULTI (it must then stay on one node).
    int Slot(std::size_t i) const { return commands_.at(i).slot; }
    bool HasTransaction() const noexcept { return has_transaction_; }
    // Appends command `i` of `other` as it was formatted there.
    Pipeline& AddFrom(const Pipeline& other, std::size_t i);

private:
    struct Command {
        std::size_t begin = 0;
        std::size_t end = 0;
        int slot = -1;
    };

    void Append(std::size_t argc, const char* const* argv, const std::size_t* lengths);

    std::string payload_;
    std::vector<Command> commands_;
    bool has_transaction_ = false;
};

}  // namespace nn::redis
