#include "infra/runtime/logging.hpp"

#include <gtest/gtest.h>

namespace nn::runtime {
namespace {

TEST(LoggingTest, JsonEscapeTable) {
    struct Case {
        std::string in, out;
    };
    for (const auto& c : std::vector<Case>{{"plain", "plain"},
                                           {"a\"b", "a\\\"b"},
                                           {"back\\slash", "back\\\\slash"},
                                           {"line\nbreak\r\t", "line\\nbreak\\r\\t"},
                                           {std::string("nul\0x", 5), "nul\\u0000x"},
                                           {"\x1f", "\\u001f"},
                                           {"é", "é"}}) {
        EXPECT_EQ(JsonEscape(c.in), c.out) << c.in;
    }
}

}  // namespace
}  // namespace nn::runtime
