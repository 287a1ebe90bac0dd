#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "infra/http/router.hpp"
#include "notify/live_hub.hpp"
#include "notify/notifier.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}

namespace nn::notify {

struct HandlerContext {
    App* app = nullptr;
    std::shared_ptr<Notifier> notifier;
    std::vector<std::shared_ptr<LiveHub>> hubs;  // by shard
    std::shared_ptr<auth::UserDirectory> directory;
    std::chrono::milliseconds live_poll{5000};
};

// The routes of docs/notify.md.
void AddRoutes(http::Router& routes, HandlerContext ctx);

}  // namespace nn::notify
