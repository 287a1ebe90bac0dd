#pragma once

#include <cstdint>
#include <string>

#include "infra/migrate/migrator.hpp"

// Shared by migrator.cpp and bootstrap.cpp; not part of the public API.
namespace nn::migrate::detail {

// pg_advisory_lock keys. Advisory locks are scoped to the database they are taken in, so the
// bootstrap key is taken in "postgres" (one lock for the cluster) and the migrate key in each
// migrated database (one lock per database).
inline constexpr std::int64_t kBootstrapLockKey = 0x6e6e626f6f74;  // "nnboot"
inline constexpr std::int64_t kMigrateLockKey = 0x6e6e6d6967;      // "nnmig"

inline constexpr const char* kMaintenanceDatabase = "postgres";

// Throws nn::Error(kUnprocessable, "migrate.options") for an unusable prefix or empty URL.
void ValidateOptions(const Options& options);

}  // namespace nn::migrate::detail
