// The RESP reader (infra/redis/resp.hpp, RespReader over hiredis' redisReader): the bytes a
// Redis server, or anything answering on its port, sends back. The input is decoded twice, fed
// whole and fed in small chunks (sizes taken from the first byte), as a socket may deliver it;
// both must yield the same replies and the same protocol error. A malformed stream may only
// throw nn::Error "redis.protocol".
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "fuzz_check.hpp"
#include "infra/redis/reply.hpp"
#include "infra/redis/resp.hpp"

namespace {
using nn::redis::Reply;

struct Decoded {
    std::vector<Reply> replies;
    bool failed = false;
};

void Drain(nn::redis::detail::RespReader& reader, Decoded& out) {
    Reply reply;
    while (reader.Next(reply)) {
        (void)reply.Describe();
        out.replies.push_back(std::move(reply));
    }
}

Decoded Decode(const char* data, std::size_t size, std::size_t chunk) {
    Decoded out;
    nn::redis::detail::RespReader reader;
    try {
        for (std::size_t at = 0; at < size; at += chunk) {
            const std::size_t n = size - at < chunk ? size - at : chunk;
            reader.Feed(data + at, n);
            Drain(reader, out);
        }
    } catch (const nn::Error& e) {
        NN_FUZZ_CHECK(e.Code() == "redis.protocol");
        out.failed = true;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 7;
    const char* bytes = reinterpret_cast<const char*>(data + 1);
    const Decoded whole = Decode(bytes, size - 1, size);
    const Decoded pieces = Decode(bytes, size - 1, chunk);
    NN_FUZZ_CHECK(whole.failed == pieces.failed);
    NN_FUZZ_CHECK(whole.replies == pieces.replies);
    return 0;
}
