#include "portfolio/allocation/module.hpp"

#include "infra/app/app.hpp"
#include "portfolio/allocation/handlers.hpp"
#include "portfolio/allocation/pg_repository.hpp"
#include "portfolio/service.hpp"

namespace nn::portfolio {

std::shared_ptr<AllocationService> MakeAllocationService(
    App& app, std::shared_ptr<Service> portfolios, std::shared_ptr<market::InstrumentDirectory> instruments) {
    return std::make_shared<AllocationService>(
        app, std::move(portfolios), std::make_shared<PgAllocationRepository>(), std::move(instruments));
}

void RegisterAllocation(App& app,
                        std::shared_ptr<AllocationService> service,
                        std::shared_ptr<auth::UserDirectory> directory) {
    AddAllocationRoutes(app.Routes(),
                        SubdomainRoutes<AllocationService>{std::move(service), std::move(directory)});
}

}  // namespace nn::portfolio
