#include "infra/redis/resp.hpp"

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "infra/redis/key_slot.hpp"
#include "infra/redis/pipeline.hpp"

namespace nn::redis {
namespace detail {
namespace {

struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};

Reply Copy(const redisReply& r) {
    switch (r.type) {
        case REDIS_REPLY_STRING:
            return Reply::String(std::string(r.str, r.len));
        case REDIS_REPLY_STATUS:
            return Reply::Status(std::string(r.str, r.len));
        case REDIS_REPLY_ERROR:
            return Reply::Error(std::string(r.str, r.len));
        case REDIS_REPLY_INTEGER:
            return Reply::Integer(r.integer);
        case REDIS_REPLY_ARRAY: {
            std::vector<Reply> elements;
            elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i) elements.push_back(Copy(*r.element[i]));
            return Reply::Array(std::move(elements));
        }
        default:
            return Reply::Nil();
    }
}

[[noreturn]] void ProtocolError(const redisReader* r) {
    throw nn::Error(ErrorKind::kUnavailable, "redis.protocol",
                    std::string("Redis protocol error: ") + r->errstr);
}

// hiredis' own reply builders (static inside hiredis; reached through a reader it creates).
const redisReplyObjectFunctions& HiredisFunctions() {
    static const redisReplyObjectFunctions functions = [] {
        redisReader* r = redisReaderCreate();
        if (r == nullptr) throw std::bad_alloc();
        const redisReplyObjectFunctions f = *r->fn;
        redisReaderFree(r);
        return f;
    }();
    return functions;
}

// Refusing (nullptr) makes hiredis fail the stream before it allocates the element pointers.
void* CreateBoundedArray(const redisReadTask* task, int elements) {
    if (elements > kMaxArrayElements) return nullptr;
    return HiredisFunctions().createArray(task, elements);
}

redisReplyObjectFunctions* BoundedFunctions() {
    static redisReplyObjectFunctions functions = [] {
        redisReplyObjectFunctions f = HiredisFunctions();
        f.createArray = CreateBoundedArray;
        return f;
    }();
    return &functions;
}

}  // namespace

RespReader::RespReader() : reader_(redisReaderCreateWithFunctions(BoundedFunctions())) {
    if (reader_ == nullptr) throw std::bad_alloc();
}

RespReader::~RespReader() {
    redisReaderFree(reader_);
}

void RespReader::Feed(const char* data, std::size_t size) {
    if (redisReaderFeed(reader_, data, size) != REDIS_OK) ProtocolError(reader_);
}

bool RespReader::Next(Reply& out) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) ProtocolError(reader_);
    if (raw == nullptr) return false;
    std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(raw));
    out = Copy(*reply);
    return true;
}

}  // namespace detail

void Pipeline::Append(std::size_t argc, const char* const* argv, const std::size_t* lengths) {
    if (argc == 0 || argc > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw nn::Error(ErrorKind::kInternal, "redis.bad_command", "a Redis command needs 1.. arguments");
    }
    char* out = nullptr;
    // argv form: every argument goes with its length, so user data is never a format string.
    int n = redisFormatCommandArgv(&out, static_cast<int>(argc), const_cast<const char**>(argv), lengths);
    if (n < 0 || out == nullptr) throw std::bad_alloc();
    const std::size_t begin = payload_.size();
    payload_.append(out, static_cast<std::size_t>(n));
    redisFreeCommand(out);
    commands_.push_back(Command{begin, payload_.size(), CommandSlot(argc, argv, lengths)});
    if (IsMulti(std::string_view(argv[0], lengths[0]))) has_transaction_ = true;
}

Pipeline& Pipeline::AddFrom(const Pipeline& other, std::size_t i) {
    const Command& c = other.commands_.at(i);
    const std::size_t begin = payload_.size();
    payload_.append(other.payload_, c.begin, c.end - c.begin);
    commands_.push_back(Command{begin, payload_.size(), c.slot});
    return *this;
}

namespace {

// Pointers and lengths of the arguments, the shape redisFormatCommandArgv takes.
template <typename Range>
std::pair<std::vector<const char*>, std::vector<std::size_t>> ArgvOf(const Range& argv) {
    std::pair<std::vector<const char*>, std::vector<std::size_t>> out;
    out.first.reserve(argv.size());
    out.second.reserve(argv.size());
    for (const auto& a : argv) {
        out.first.push_back(a.data());
        out.second.push_back(a.size());
    }
    return out;
}

}  // namespace

Pipeline& Pipeline::Add(std::initializer_list<std::string_view> argv) {
    auto [ptrs, lens] = ArgvOf(argv);
    Append(argv.size(), ptrs.data(), lens.data());
    return *this;
}

Pipeline& Pipeline::Add(const std::vector<std::string>& argv) {
    auto [ptrs, lens] = ArgvOf(argv);
    Append(argv.size(), ptrs.data(), lens.data());
    return *this;
}

Pipeline& Pipeline::Add(const std::vector<std::string_view>& argv) {
    auto [ptrs, lens] = ArgvOf(argv);
    Append(argv.size(), ptrs.data(), lens.data());
    return *this;
}

}  // namespace nn::redis
