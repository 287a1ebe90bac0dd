#pragma once

#include <cstddef>

#include "infra/redis/reply.hpp"

struct redisReader;

namespace nn::redis::detail {

// The most elements one array reply may announce. hiredis 0.14 allocates a pointer for every
// announced element before any arrives, so "*1000000000\r\n" alone reserved 8 GB (found by
// fuzz/resp_fuzz); a larger count is a protocol error. Our largest replies (HGETALL, MGET,
// XRANGE pages) stay far below it.
inline constexpr int kMaxArrayElements = 1 << 22;

// Incremental RESP2 decoder over hiredis' redisReader: feed bytes as they arrive, then take
// complete replies in order. A malformed stream throws nn::Error (kUnavailable,
// "redis.protocol"); the reader stays failed and the connection must be dropped.
class RespReader {
public:
    RespReader();
    ~RespReader();
    RespReader(const RespReader&) = delete;
    RespReader& operator=(const RespReader&) = delete;

    void Feed(const char* data, std::size_t size);
    // True and `out` filled when a whole reply is buffered; false when more bytes are needed.
    bool Next(Reply& out);

private:
    redisReader* reader_;
};

}  // namespace nn::redis::detail
