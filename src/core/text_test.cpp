#include "core/text.hpp"

#include <gtest/gtest.h>

namespace nn {
namespace {

TEST(AsciiLower, LowersOnlyAsciiLetters) {
    EXPECT_EQ(AsciiLower("Alice@Example.COM"), "alice@example.com");
    EXPECT_EQ(AsciiLower("Content-Type: 0-9 @[`{"), "content-type: 0-9 @[`{");
    // UTF-8 bytes are left alone (std::tolower under a Latin-1 locale would change them).
    EXPECT_EQ(AsciiLower("\xC3\x84PFEL"), "\xC3\x84pfel");
    EXPECT_EQ(AsciiLower(""), "");
}

}  // namespace
}  // namespace nn
