#include "auth/device.hpp"

#include <array>
#include <utility>

namespace nn::auth {
namespace {

bool Contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// Order matters: Edge and Opera also send "Chrome/", Chrome also sends "Safari/".
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kBrowsers{{
    {"Edg/", "Edge"},
    {"OPR/", "Opera"},
    {"Firefox/", "Firefox"},
    {"Chrome/", "Chrome"},
    {"CriOS/", "Chrome"},
    {"Safari/", "Safari"},
    {"MSIE ", "Internet Explorer"},
}};

// iPhone and Android before Linux and Mac OS X: their agents name those too.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kSystems{{
    {"iPhone", "iOS"},
    {"iPad", "iOS"},
    {"Android", "Android"},
    {"Windows", "Windows"},
    {"Mac OS X", "macOS"},
    {"CrOS", "ChromeOS"},
    {"Linux", "Linux"},
}};

}  // namespace

std::string UserAgentFamily(std::string_view ua) {
    if (ua.empty()) return "unknown";
    std::string browser;
    for (const auto& [marker, name] : kBrowsers) {
        if (Contains(ua, marker)) {
            browser = name;
            break;
        }
    }
    std::string system;
    for (const auto& [marker, name] : kSystems) {
        if (Contains(ua, marker)) {
            system = name;
            break;
        }
    }
    if (browser.empty()) {
        // A non-browser client ("curl/8.1", "nexanest-cli/1.0"): its product name.
        auto end = ua.find_first_of("/ ");
        browser = std::string(ua.substr(0, end == std::string_view::npos ? ua.size() : end));
    }
    return system.empty() ? browser : browser + " on " + system;
}

std::string DeviceKey(std::string_view user_agent, std::string_view network) {
    return UserAgentFamily(user_agent) + "|" + std::string(network);
}

}  // namespace nn::auth
