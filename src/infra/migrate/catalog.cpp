#include "infra/migrate/catalog.hpp"

#include <algorithm>

namespace nn::migrate {

std::string_view DatabaseKey(Database database) noexcept {
    switch (database) {
        case Database::kAuth:
            return "auth";
        case Database::kPortfolio:
            return "portfolio";
        case Database::kAnalytics:
            return "analytics";
        case Database::kNotifications:
            return "notifications";
        case Database::kTimescale:
            return "timescale";
    }
    return "unknown";
}

std::optional<Database> ParseDatabase(std::string_view key) noexcept {
    for (Database d : kAllDatabases) {
        if (DatabaseKey(d) == key) return d;
    }
    return std::nullopt;
}

std::string DatabaseName(std::string_view prefix, Database database) {
    std::string out(prefix);
    out += '_';
    out += DatabaseKey(database);
    return out;
}

std::string_view RoleName(ServiceRole role) noexcept {
    switch (role) {
        case ServiceRole::kAuth:
            return "nexanest_auth";
        case ServiceRole::kPortfolio:
            return "nexanest_portfolio";
        case ServiceRole::kMarket:
            return "nexanest_market";
        case ServiceRole::kAnalytics:
            return "nexanest_analytics";
        case ServiceRole::kNotify:
            return "nexanest_notify";
    }
    return "unknown";
}

bool MayConnect(ServiceRole role, Database database) noexcept {
    return std::any_of(kConnectGrants.begin(), kConnectGrants.end(),
                       [&](const auto& g) { return g.first == role && g.second == database; });
}

}  // namespace nn::migrate
