#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace nn::redis {

// One RESP2 reply, copied out of the parser so it outlives the connection's buffers.
class Reply {
public:
    enum class Type : std::uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };

    Reply() = default;  // nil
    static Reply Nil() { return Reply(); }
    static Reply Integer(std::int64_t value);
    static Reply String(std::string value);
    static Reply Status(std::string value);
    static Reply Error(std::string message);
    static Reply Array(std::vector<Reply> elements);

    Type GetType() const noexcept { return type_; }
    bool IsNil() const noexcept { return type_ == Type::kNil; }
    bool IsInteger() const noexcept { return type_ == Type::kInteger; }
    bool IsString() const noexcept { return type_ == Type::kString; }
    bool IsStatus() const noexcept { return type_ == Type::kStatus; }
    bool IsError() const noexcept { return type_ == Type::kError; }
    bool IsArray() const noexcept { return type_ == Type::kArray; }

    // Typed access; a reply of another type throws nn::Error (kInternal, "redis.unexpected_reply"),
    // and an error reply throws CommandError.
    std::int64_t AsInteger() const;
    const std::string& AsString() const;                  // bulk string or status
    std::optional<std::string> AsOptionalString() const;  // nil -> nullopt
    const std::vector<Reply>& AsArray() const;            // nil (a null array) -> empty
    std::vector<Reply>&& TakeArray() &&;

    // The server's error text ("WRONGTYPE Operation against ...") of an error reply.
    const std::string& ErrorMessage() const;
    void ThrowIfError() const;

    // A readable rendering for messages and test failures (values are not masked).
    std::string Describe() const;

    friend bool operator==(const Reply&, const Reply&) = default;

private:
    Type type_ = Type::kNil;
    std::int64_t integer_ = 0;
    std::string str_;
    std::vector<Reply> elements_;
};

// The server refused one command (an error reply: WRONGTYPE, NOSCRIPT, BUSYGROUP, ...). The
// connection stays usable. Prefix() is the first word, which Redis keeps stable.
class CommandError : public nn::Error {
public:
    explicit CommandError(const std::string& server_message);
    const std::string& Prefix() const noexcept { return prefix_; }

private:
    std::string prefix_;
};

}  // namespace nn::redis
