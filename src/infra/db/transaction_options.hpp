#pragma once

#include <optional>
#include <string>
#include <utility>

namespace nn::db {

enum class IsolationLevel { kReadCommitted, kRepeatableRead, kSerializable };

// The user a transaction acts for, for row-level security: Begin runs
// `SELECT set_config('app.user_id', $1, true), set_config('app.role', $2, true)` inside the
// transaction (local to it, never session-wide on a pooled connection).
struct ActingUser {
    ActingUser(std::string id, std::string r) : user_id(std::move(id)), role(std::move(r)) {}
    std::string user_id;
    std::string role;
};

// Built fluently, usually right inside the co_await:
//   co_await pool.Begin(TransactionOptions().ActingAs(user_id, "USER").ReadOnly());
// (not an aggregate on purpose: see the note on Bytea in query.hpp about g++ 12).
struct TransactionOptions {
    TransactionOptions() = default;

    TransactionOptions& Isolation(IsolationLevel level) {
        isolation = level;
        return *this;
    }
    TransactionOptions& ReadOnly(bool value = true) {
        read_only = value;
        return *this;
    }
    TransactionOptions& ActingAs(std::string user_id, std::string role) {
        acting_user.emplace(std::move(user_id), std::move(role));
        return *this;
    }
    TransactionOptions& MaxAttempts(int attempts) {
        max_attempts = attempts;
        return *this;
    }

    IsolationLevel isolation = IsolationLevel::kReadCommitted;
    bool read_only = false;
    std::optional<ActingUser> acting_user;
    // RunInTransaction: how many times in all the body may run when the transaction fails
    // with a serialization failure, a deadlock or an invalidated cached plan.
    int max_attempts = 3;
};

}  // namespace nn::db
