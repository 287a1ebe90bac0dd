#include "auth/device.hpp"

#include <gtest/gtest.h>

namespace nn::auth {
namespace {

TEST(Device, UserAgentFamilies) {
    struct Case {
        const char* ua;
        const char* family;
    };
    const Case cases[] = {
        {"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36",
         "Chrome on Windows"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
         "Edge on Windows"},
        {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.5 Safari/605.1.15",
         "Safari on macOS"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "CriOS/126.0 Mobile/15E148 Safari/604.1",
         "Chrome on iOS"},
        {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Mobile Safari/537.36",
         "Chrome on Android"},
        {"curl/8.1.2", "curl"},
        {"nexanest-cli 1.0", "nexanest-cli"},
        {"", "unknown"},
    };
    for (const auto& c : cases) EXPECT_EQ(UserAgentFamily(c.ua), c.family) << c.ua;
}

TEST(Device, VersionsDoNotMakeANewDevice) {
    EXPECT_EQ(
        DeviceKey("Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "192.0.2.0/24"),
        DeviceKey("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "192.0.2.0/24"));
    EXPECT_NE(DeviceKey("curl/8.1.2", "192.0.2.0/24"), DeviceKey("curl/8.1.2", "198.51.100.0/24"));
    EXPECT_NE(DeviceKey("curl/8.1.2", "192.0.2.0/24"), DeviceKey("Firefox/1 (Linux)", "192.0.2.0/24"));
}

}  // namespace
}  // namespace nn::auth
