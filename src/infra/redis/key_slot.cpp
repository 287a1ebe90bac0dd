#include "infra/redis/key_slot.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>

namespace nn::redis {
namespace {

constexpr std::array<std::uint16_t, 256> MakeTable() {
    std::array<std::uint16_t, 256> table{};
    for (int i = 0; i < 256; ++i) {
        auto crc = static_cast<std::uint16_t>(i << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
        table[static_cast<std::size_t>(i)] = crc;
    }
    return table;
}

constexpr auto kCrcTable = MakeTable();

bool Is(std::string_view word, std::string_view upper) noexcept {
    return word.size() == upper.size() &&
           std::equal(word.begin(), word.end(), upper.begin(),
                      [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
}

bool IsAnyOf(std::string_view word, std::initializer_list<std::string_view> names) noexcept {
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return Is(word, n); });
}

// Folds the slots of several keys: kCrossSlot as soon as two differ.
class SlotOfKeys {
public:
    void Add(std::string_view key) noexcept {
        const int s = KeySlot(key);
        if (slot_ == kNoKey) {
            slot_ = s;
        } else if (slot_ != s) {
            slot_ = kCrossSlot;
        }
    }
    int Slot() const noexcept { return slot_; }

private:
    int slot_ = kNoKey;
};

}  // namespace

std::uint16_t Crc16(std::string_view data) noexcept {
    std::uint16_t crc = 0;
    for (char c : data) {
        const auto byte = static_cast<std::uint8_t>(c);
        crc = static_cast<std::uint16_t>((crc << 8) ^ kCrcTable[((crc >> 8) ^ byte) & 0xff]);
    }
    return crc;
}

int KeySlot(std::string_view key) noexcept {
    if (auto open = key.find('{'); open != std::string_view::npos) {
        if (auto close = key.find('}', open + 1); close != std::string_view::npos && close > open + 1)
            key = key.substr(open + 1, close - open - 1);
    }
    return Crc16(key) & (kClusterSlots - 1);
}

bool IsMulti(std::string_view command) noexcept {
    return Is(command, "MULTI");
}

int CommandSlot(std::size_t argc, const char* const* argv, const std::size_t* lengths) {
    auto arg = [&](std::size_t i) { return std::string_view(argv[i], lengths[i]); };
    if (argc < 2) return kNoKey;
    const std::string_view name = arg(0);
    SlotOfKeys keys;
    auto range = [&](std::size_t from, std::size_t to, std::size_t step) {
        for (std::size_t i = from; i < std::min(to, argc); i += step) keys.Add(arg(i));
        return keys.Slot();
    };
    if (IsAnyOf(name, {"PING",       "ECHO",         "INFO",         "SCRIPT",   "CLUSTER",   "CLIENT",
                       "CONFIG",     "FLUSHALL",     "FLUSHDB",      "DBSIZE",   "PUBLISH",   "SUBSCRIBE",
                       "PSUBSCRIBE", "UNSUBSCRIBE",  "PUNSUBSCRIBE", "PUBSUB",   "TIME",      "WAIT",
                       "SELECT",     "AUTH",         "HELLO",        "READONLY", "READWRITE", "ASKING",
                       "COMMAND",    "MULTI",        "EXEC",         "DISCARD",  "UNWATCH",   "KEYS",
                       "SCAN",       "RANDOMKEY",    "DEBUG",        "FUNCTION", "LASTSAVE",  "SAVE",
                       "BGSAVE",     "BGREWRITEAOF", "ROLE",         "SLOWLOG",  "LATENCY",   "SWAPDB",
                       "QUIT",       "RESET",        "ACL",          "MODULE",   "SHUTDOWN",  "MONITOR"})) {
        return kNoKey;
    }
    if (IsAnyOf(name, {"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"})) {
        if (argc < 3) return kNoKey;
        std::size_t numkeys = 0;
        const std::string_view n = arg(2);
        std::from_chars(n.data(), n.data() + n.size(), numkeys);
        return range(3, 3 + numkeys, 1);
    }
    if (IsAnyOf(name, {"XREAD", "XREADGROUP"})) {
        for (std::size_t i = 1; i < argc; ++i) {
            if (Is(arg(i), "STREAMS")) {
                const std::size_t streams = (argc - i - 1) / 2;
                return range(i + 1, i + 1 + streams, 1);
            }
        }
        return kNoKey;
    }
    if (IsAnyOf(name, {"XGROUP", "XINFO", "OBJECT", "MEMORY"})) return argc > 2 ? range(2, 3, 1) : kNoKey;
    if (IsAnyOf(name, {"MSET", "MSETNX"})) return range(1, argc, 2);
    if (IsAnyOf(name, {"BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX"})) return range(1, argc - 1, 1);
    if (IsAnyOf(name, {"DEL", "UNLINK", "EXISTS", "MGET", "TOUCH", "WATCH", "SINTER", "SUNION", "SDIFF",
                       "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "PFCOUNT", "PFMERGE", "RENAME", "RENAMENX",
                       "RPOPLPUSH", "SMOVE"})) {
        return range(1, IsAnyOf(name, {"SMOVE"}) ? 3 : argc, 1);
    }
    return KeySlot(arg(1));
}

}  // namespace nn::redis
