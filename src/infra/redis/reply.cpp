#include "infra/redis/reply.hpp"

#include <utility>

namespace nn::redis {
namespace {

const char* TypeName(Reply::Type type) {
    switch (type) {
        case Reply::Type::kNil:
            return "nil";
        case Reply::Type::kInteger:
            return "integer";
        case Reply::Type::kString:
            return "string";
        case Reply::Type::kStatus:
            return "status";
        case Reply::Type::kError:
            return "error";
        case Reply::Type::kArray:
            return "array";
    }
    return "unknown";
}

}  // namespace

Reply Reply::Integer(std::int64_t value) {
    Reply r;
    r.type_ = Type::kInteger;
    r.integer_ = value;
    return r;
}

Reply Reply::String(std::string value) {
    Reply r;
    r.type_ = Type::kString;
    r.str_ = std::move(value);
    return r;
}

Reply Reply::Status(std::string value) {
    Reply r;
    r.type_ = Type::kStatus;
    r.str_ = std::move(value);
    return r;
}

Reply Reply::Error(std::string message) {
    Reply r;
    r.type_ = Type::kError;
    r.str_ = std::move(message);
    return r;
}

Reply Reply::Array(std::vector<Reply> elements) {
    Reply r;
    r.type_ = Type::kArray;
    r.elements_ = std::move(elements);
    return r;
}

namespace {

[[noreturn]] void Unexpected(const Reply& reply, const char* wanted) {
    reply.ThrowIfError();
    throw nn::Error(
        ErrorKind::kInternal, "redis.unexpected_reply",
        std::string("Redis replied ") + TypeName(reply.GetType()) + " where " + wanted + " was expected");
}

}  // namespace

std::int64_t Reply::AsInteger() const {
    if (type_ != Type::kInteger) Unexpected(*this, "an integer");
    return integer_;
}

const std::string& Reply::AsString() const {
    if (type_ != Type::kString && type_ != Type::kStatus) Unexpected(*this, "a string");
    return str_;
}

std::optional<std::string> Reply::AsOptionalString() const {
    if (type_ == Type::kNil) return std::nullopt;
    return AsString();
}

const std::vector<Reply>& Reply::AsArray() const {
    if (type_ != Type::kArray && type_ != Type::kNil) Unexpected(*this, "an array");
    return elements_;
}

std::vector<Reply>&& Reply::TakeArray() && {
    if (type_ != Type::kArray && type_ != Type::kNil) Unexpected(*this, "an array");
    return std::move(elements_);
}

const std::string& Reply::ErrorMessage() const {
    if (type_ != Type::kError) Unexpected(*this, "an error");
    return str_;
}

void Reply::ThrowIfError() const {
    if (type_ == Type::kError) throw CommandError(str_);
}

std::string Reply::Describe() const {
    switch (type_) {
        case Type::kNil:
            return "(nil)";
        case Type::kInteger:
            return "(integer) " + std::to_string(integer_);
        case Type::kString:
            return "\"" + str_ + "\"";
        case Type::kStatus:
            return str_;
        case Type::kError:
            return "(error) " + str_;
        case Type::kArray: {
            std::string out = "[";
            for (std::size_t i = 0; i < elements_.size(); ++i) {
                if (i > 0) out += ", ";
                out += elements_[i].Describe();
            }
            return out + "]";
        }
    }
    return {};
}

CommandError::CommandError(const std::string& server_message)
    : nn::Error(ErrorKind::kInternal, "redis.command_error", "Redis: " + server_message),
      prefix_(server_message.substr(0, server_message.find(' '))) {}

}  // namespace nn::redis
