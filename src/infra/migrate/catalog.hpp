#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

// The fixed shape of the cluster (docs/architecture.md "Databases and roles"): five databases
// per prefix, one owner role and five service roles shared by the whole cluster.
namespace nn::migrate {

enum class Database { kAuth, kPortfolio, kAnalytics, kNotifications, kTimescale };

inline constexpr std::array<Database, 5> kAllDatabases = {Database::kAuth, Database::kPortfolio,
                                                          Database::kAnalytics, Database::kNotifications,
                                                          Database::kTimescale};

// "auth", "portfolio", ...: the folder under migrations/ and the suffix of the database name.
std::string_view DatabaseKey(Database database) noexcept;
std::optional<Database> ParseDatabase(std::string_view key) noexcept;

// "<prefix>_<key>", for example "nexanest_auth".
std::string DatabaseName(std::string_view prefix, Database database);

enum class ServiceRole { kAuth, kPortfolio, kMarket, kAnalytics, kNotify };

inline constexpr std::array<ServiceRole, 5> kAllServiceRoles = {ServiceRole::kAuth, ServiceRole::kPortfolio,
                                                                ServiceRole::kMarket, ServiceRole::kAnalytics,
                                                                ServiceRole::kNotify};

// Owns every object and runs every migration (NOLOGIN: the admin reaches it with SET ROLE).
inline constexpr std::string_view kOwnerRole = "nexanest_owner";

// "nexanest_auth", "nexanest_portfolio", "nexanest_market", "nexanest_analytics", "nexanest_notify".
std::string_view RoleName(ServiceRole role) noexcept;

// The one place that says which service role may CONNECT to which database. Bootstrap grants
// exactly these and revokes CONNECT from every other service role. The timescale database is
// shared: market writes prices, portfolio writes analytics_ts snapshots, analytics reads them,
// notify reads and writes events.
inline constexpr std::array<std::pair<ServiceRole, Database>, 8> kConnectGrants = {{
    {ServiceRole::kAuth, Database::kAuth},
    {ServiceRole::kPortfolio, Database::kPortfolio},
    {ServiceRole::kAnalytics, Database::kAnalytics},
    {ServiceRole::kNotify, Database::kNotifications},
    {ServiceRole::kMarket, Database::kTimescale},
    {ServiceRole::kPortfolio, Database::kTimescale},
    {ServiceRole::kAnalytics, Database::kTimescale},
    {ServiceRole::kNotify, Database::kTimescale},
}};

bool MayConnect(ServiceRole role, Database database) noexcept;

// A setting a service role gets in one database (ALTER ROLE ... IN DATABASE ... SET), applied
// by bootstrap to every session of that role there, through a pooler too.
struct RoleSetting {
    ServiceRole role;
    Database database;
    std::string_view name;
    std::string_view value;
};

// The portfolio role plans its prepared statements once (generic plans): its statements look
// rows up by portfolio and user, so a plan built for the values of one call is no better than
// one for any, while a custom plan costs a planning of the row-level policies at every call.
// PostgreSQL keeps custom plans forever for statements with array parameters (`= ANY ($1)`: the
// generic plan's estimate assumes ten elements), which made planning the largest single cost
// of recording a transaction (docs/architecture.md "The write path"). The time-series databases
// keep the default: their range predicates do want plans for the values.
inline constexpr std::array<RoleSetting, 1> kRoleSettings = {{
    {ServiceRole::kPortfolio, Database::kPortfolio, "plan_cache_mode", "force_generic_plan"},
}};

}  // namespace nn::migrate
