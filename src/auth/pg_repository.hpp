#pragma once

#include "auth/repository.hpp"

namespace nn::db {
class Pool;
}

namespace nn::auth {

// The Repository on the auth database through the service role nexanest_auth. Cheap to
// construct: it only holds the pool of the request's shard.
class PgRepository final : public Repository {
public:
    explicit PgRepository(db::Pool& pool) : pool_(pool) {}

    boost::asio::awaitable<bool> CreateUser(UserId id,
                                            std::string email,
                                            std::string password_hash,
                                            std::optional<std::string> display_name,
                                            std::string verification_hash,
                                            Timestamp verification_expires,
                                            Audit audit) override;
    boost::asio::awaitable<std::optional<UserId>> ConsumeVerification(std::string token_hash,
                                                                      Audit audit) override;
    boost::asio::awaitable<std::optional<std::pair<UserId, std::string>>> CreateReset(std::string email,
                                                                                      std::string token_hash,
                                                                                      Timestamp expires_at,
                                                                                      Audit audit) override;
    boost::asio::awaitable<std::optional<std::pair<UserId, std::string>>> PeekReset(
        std::string token_hash) override;
    boost::asio::awaitable<bool> ConsumeReset(std::string token_hash,
                                              UserId user,
                                              std::string password_hash,
                                              Audit audit) override;

    boost::asio::awaitable<std::optional<LoginRecord>> FindForLogin(std::string email) override;
    boost::asio::awaitable<void> RecordLoginFailure(std::optional<LoginRecord> account,
                                                    std::string email,
                                                    std::string reason,
                                                    std::optional<LockoutPolicy> lockout,
                                                    Audit audit) override;
    boost::asio::awaitable<void> RecordLoginSuccess(LoginRecord account,
                                                    std::string email,
                                                    NewRefresh refresh,
                                                    std::optional<std::string> rehash,
                                                    Audit audit) override;
    boost::asio::awaitable<RecentFailures> RecentLoginFailures(std::optional<std::string> ip,
                                                               std::string email,
                                                               Timestamp since) override;

    boost::asio::awaitable<RotateResult> Rotate(std::string token_hash,
                                                NewRefresh child,
                                                Audit audit) override;
    boost::asio::awaitable<std::int64_t> RevokeSessions(Actor actor,
                                                        std::optional<std::string> family,
                                                        std::optional<std::string> keep,
                                                        std::string reason,
                                                        Audit audit) override;
    boost::asio::awaitable<std::vector<SessionInfo>> ListSessions(Actor actor) override;

    boost::asio::awaitable<std::optional<Account>> GetAccount(Actor actor,
                                                              UserId target,
                                                              std::optional<std::string> session) override;
    boost::asio::awaitable<Profile> UpdateProfile(Actor actor,
                                                  std::function<Profile(Profile)> change,
                                                  std::optional<std::string> key_id,
                                                  Audit audit) override;
    boost::asio::awaitable<void> ChangePassword(Actor actor,
                                                std::string password_hash,
                                                std::optional<std::string> keep_session,
                                                Audit audit) override;

    boost::asio::awaitable<void> CreateApiKey(Actor actor, NewApiKeyRecord key, Audit audit) override;
    boost::asio::awaitable<std::vector<ApiKeyInfo>> ListApiKeys(Actor actor) override;
    boost::asio::awaitable<bool> RevokeApiKey(Actor actor, ApiKeyId id, Audit audit) override;
    boost::asio::awaitable<std::optional<ApiKeyRecord>> FindApiKey(std::string prefix) override;
    boost::asio::awaitable<void> TouchApiKey(Actor actor,
                                             ApiKeyId id,
                                             std::optional<std::string> ip) override;

    boost::asio::awaitable<std::vector<Account>> SearchUsers(Actor actor,
                                                             std::string query,
                                                             std::optional<UserId> after,
                                                             int limit) override;
    boost::asio::awaitable<std::optional<Account>> UpdateUser(Actor actor,
                                                              UserId target,
                                                              std::optional<bool> is_active,
                                                              std::optional<Role> role,
                                                              std::function<void(Role)> check,
                                                              Audit audit) override;

    boost::asio::awaitable<bool> GrantAdvisor(Actor client,
                                              std::string advisor_email,
                                              GrantAccess access,
                                              Audit audit) override;
    boost::asio::awaitable<bool> RevokeAdvisor(Actor client, UserId advisor, Audit audit) override;
    boost::asio::awaitable<bool> AcceptAdvisorGrant(Actor advisor, UserId client, Audit audit) override;
    boost::asio::awaitable<std::vector<AdvisorGrantInfo>> ListGrants(Actor actor) override;

    boost::asio::awaitable<std::optional<UserStatus>> UserStatusOf(UserId id) override;
    boost::asio::awaitable<std::optional<Liveness>> LivenessOf(UserId id) override;
    boost::asio::awaitable<AdvisorGrants> GrantsOf(UserId advisor) override;

    boost::asio::awaitable<std::optional<std::pair<UserId, std::string>>> SessionOfRefresh(
        std::string token_hash) override;
    boost::asio::awaitable<bool> HasActiveAdmin() override;
    boost::asio::awaitable<CleanupCounts> Cleanup(Timestamp attempts_before) override;

private:
    db::Pool& pool_;
};

}  // namespace nn::auth
