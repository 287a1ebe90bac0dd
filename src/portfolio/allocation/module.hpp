#pragma once

#include <memory>

#include "portfolio/allocation/service.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}
namespace nn::market {
class InstrumentDirectory;
}

namespace nn::portfolio {

// The allocation service on its PostgreSQL repository; `portfolios` values the holdings.
// portfolio::MakeServices builds it (analytics is handed it too).
// `instruments` is the market's interface for the instruments' facts.
std::shared_ptr<AllocationService> MakeAllocationService(
    App& app, std::shared_ptr<Service> portfolios, std::shared_ptr<market::InstrumentDirectory> instruments);

// Adds the allocation and rebalance routes (called by portfolio::Register).
void RegisterAllocation(App& app,
                        std::shared_ptr<AllocationService> service,
                        std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
