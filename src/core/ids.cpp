#include "core/ids.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/error.hpp"
#include "core/hex.hpp"

namespace nn {
namespace {

// Straight from the kernel CSPRNG on every call: no user-space pool that a fork() would
// duplicate into two processes.
void FillRandom(std::span<std::uint8_t> out) {
    std::size_t filled = 0;
    while (filled < out.size()) {
        const ssize_t n = getrandom(out.data() + filled, out.size() - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(ErrorKind::kInternal, "uuid.random",
                        fmt::format("getrandom failed: {}", std::strerror(errno)));
        }
        filled += static_cast<std::size_t>(n);
    }
}

bool IsHyphenPosition(std::size_t i) {
    return i == 8 || i == 13 || i == 18 || i == 23;
}

// The v7 clock and sequence of this process.
struct V7Clock {
    std::mutex mutex;
    std::int64_t last_ms = -1;
    std::uint16_t sequence = 0;
};

V7Clock& TheV7Clock() {
    static V7Clock clock;
    return clock;
}

constexpr std::uint16_t kSequenceMax = 0x0FFF;
// A fresh millisecond starts the sequence in its lower half, leaving at least 2048 increments.
constexpr std::uint16_t kSequenceSeedMask = 0x07FF;

}  // namespace

Uuid Uuid::FromBytes(std::span<const std::uint8_t, 16> bytes) noexcept {
    Bytes copy;
    std::copy(bytes.begin(), bytes.end(), copy.begin());
    return Uuid(copy);
}

std::optional<Uuid> Uuid::Parse(std::string_view text) noexcept {
    if (text.size() != 36) return std::nullopt;
    Bytes bytes{};
    std::size_t out = 0;
    for (std::size_t i = 0; i < text.size();) {
        if (IsHyphenPosition(i)) {
            if (text[i] != '-') return std::nullopt;
            ++i;
            continue;
        }
        const int high = HexDigitValue(text[i]);
        const int low = HexDigitValue(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes[out++] = static_cast<std::uint8_t>(high << 4 | low);
        i += 2;
    }
    return Uuid(bytes);
}

Uuid Uuid::FromString(std::string_view text) {
    if (auto id = Parse(text)) return *id;
    throw Error(ErrorKind::kBadRequest, "uuid.invalid",
                "not a UUID (expected the 36-character 8-4-4-4-12 form)");
}

Uuid Uuid::GenerateV4() {
    Bytes bytes;
    FillRandom(bytes);
    bytes[6] = static_cast<std::uint8_t>(0x40 | (bytes[6] & 0x0F));
    bytes[8] = static_cast<std::uint8_t>(0x80 | (bytes[8] & 0x3F));
    return Uuid(bytes);
}

Uuid Uuid::GenerateV7() {
    std::array<std::uint8_t, 10> random;
    FillRandom(random);
    const auto seed = static_cast<std::uint16_t>((random[0] << 8 | random[1]) & kSequenceSeedMask);
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();

    std::int64_t ms = 0;
    std::uint16_t sequence = 0;
    {
        V7Clock& clock = TheV7Clock();
        std::lock_guard lock(clock.mutex);
        if (now_ms > clock.last_ms) {
            clock.last_ms = now_ms;
            clock.sequence = seed;
        } else if (clock.sequence == kSequenceMax) {
            ++clock.last_ms;
            clock.sequence = seed;
        } else {
            ++clock.sequence;
        }
        ms = clock.last_ms;
        sequence = clock.sequence;
    }

    Bytes bytes;
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
    bytes[6] = static_cast<std::uint8_t>(0x70 | (sequence >> 8));
    bytes[7] = static_cast<std::uint8_t>(sequence);
    bytes[8] = static_cast<std::uint8_t>(0x80 | (random[2] & 0x3F));
    std::copy(random.begin() + 3, random.end(), bytes.begin() + 9);
    return Uuid(bytes);
}

std::string Uuid::ToString() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < bytes_.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(kHex[bytes_[i] >> 4]);
        out.push_back(kHex[bytes_[i] & 0x0F]);
    }
    return out;
}

bool Uuid::IsNil() const noexcept {
    return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

std::optional<std::chrono::sys_time<std::chrono::milliseconds>> Uuid::V7Time() const noexcept {
    if (Version() != 7) return std::nullopt;
    std::int64_t ms = 0;
    for (int i = 0; i < 6; ++i) ms = ms << 8 | bytes_[i];
    return std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms));
}

std::size_t Uuid::Hash() const noexcept {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::memcpy(&high, bytes_.data(), 8);
    std::memcpy(&low, bytes_.data() + 8, 8);
    return std::hash<std::uint64_t>{}(high ^ (low * 0x9e3779b97f4a7c15ULL));
}

}  // namespace nn
