#pragma once

#include <memory>

#include "portfolio/service.hpp"
#include "portfolio/value_feed.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}

namespace nn::portfolio {

struct ModuleOptions {
    ServiceOptions service;
    // Without a directory (auth runs in another process and no remote directory is wired)
    // portfolio creation trusts the verified token instead of checking the account.
    std::shared_ptr<auth::UserDirectory> directory;
    bool start_price_consumer = true;
    ValueFeedOptions values;  // where portfolio values go for live push (value_feed.hpp)
};

// Registers the portfolio service: routes, the price-update consumer (price_consumer.hpp) and
// the daily snapshot job. The returned service lives as long as the App.
std::shared_ptr<Service> Register(App& app, ModuleOptions options);
std::shared_ptr<Service> Register(App& app, std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
