#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nn::redis {

inline constexpr int kClusterSlots = 16384;
// CommandSlot's answers besides a slot.
inline constexpr int kNoKey = -1;      // the command names no key (PING, PUBLISH, EVAL with 0 keys)
inline constexpr int kCrossSlot = -2;  // its keys hash to different slots

// CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with.
std::uint16_t Crc16(std::string_view data) noexcept;

// The cluster slot of a key: CRC16 mod 16384 of the key, or of its hash tag, the part between
// the first '{' and the next '}' when that part is not empty. Keys sharing a tag share a slot,
// which multi-key commands and Lua scripts need in a cluster.
int KeySlot(std::string_view key) noexcept;

// The slot a command's keys hash to, from the command table of the commands this code base
// sends (EVAL/EVALSHA numkeys, XREAD(GROUP) STREAMS, XGROUP/XINFO subcommands, MSET pairs,
// multi-key DEL/MGET/EXISTS, ...); any other command's key is its first argument.
int CommandSlot(std::size_t argc, const char* const* argv, const std::size_t* lengths);

// True for MULTI: a pipeline holding a transaction cannot be split between nodes.
bool IsMulti(std::string_view command) noexcept;

}  // namespace nn::redis
