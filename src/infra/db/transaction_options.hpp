#pragma once

#include <optional>
#include <utility>

#include "core/actor.hpp"

namespace nn::db {

enum class IsolationLevel { kReadCommitted, kRepeatableRead, kSerializable };

// Built fluently, usually right inside the co_await:
//   co_await pool.Begin(TransactionOptions().ActingAs(actor).ReadOnly());
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
    // Row-level security context: Begin (and ReadOnce) run, inside the transaction and local to
    // it (never session-wide on a pooled connection), one statement setting all of the actor:
    // set_config of app.user_id ('' for nobody), app.role, app.read_client_ids and
    // app.manage_client_ids ('{}' unless an ADVISOR has clients). db::RunAs is the short form.
    TransactionOptions& ActingAs(Actor actor) {
        acting_user = std::move(actor);
        return *this;
    }
    TransactionOptions& MaxAttempts(int attempts) {
        max_attempts = attempts;
        return *this;
    }

    IsolationLevel isolation = IsolationLevel::kReadCommitted;
    bool read_only = false;
    std::optional<Actor> acting_user;
    // RunInTransaction: how many times in all the body may run when the transaction fails
    // with a serialization failure, a deadlock or an invalidated cached plan.
    int max_attempts = 3;
};

}  // namespace nn::db
