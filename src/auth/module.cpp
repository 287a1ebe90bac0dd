#include "auth/module.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <string_view>

#include "auth/handlers.hpp"
#include "auth/pg_repository.hpp"
#include "auth/service.hpp"
#include "infra/app/app.hpp"
#include "infra/crypto/api_key.hpp"
#include "infra/crypto/key_ring.hpp"
#include "infra/mail/mailer.hpp"

namespace nn::auth {

namespace asio = boost::asio;

namespace {

const runtime::DomainSetting kJwtKeysSetting = runtime::SecretSetting(
    "auth.jwt_keys", "NEXANEST_JWT_KEYS", [](const std::string& v) -> std::optional<std::string> {
        if (v.find(':') == std::string::npos) return "kid:base64url-secret[,kid:secret...]";
        return std::nullopt;
    });
const runtime::DomainSetting kApiKeyPepperSetting = runtime::SecretSetting(
    "auth.api_key_pepper", "NEXANEST_API_KEY_PEPPER", [](const std::string& v) -> std::optional<std::string> {
        if (v.size() < crypto::kMinPepperBytes) return "at least 32 characters";
        return std::nullopt;
    });
const runtime::DomainSetting kFieldKeysSetting = runtime::SecretSetting(
    "auth.field_keys", "NEXANEST_FIELD_KEYS", [](const std::string& v) -> std::optional<std::string> {
        if (v.find(':') == std::string::npos) return "kid:base64url-32-byte-key[,kid:key...]";
        return std::nullopt;
    });

std::optional<std::string> TokenClaimText(const std::string& v) {
    if (v.empty() || v.size() > 200) return "1 to 200 characters";
    return std::nullopt;
}
const runtime::DomainSetting kJwtIssuerSetting{"auth.jwt_issuer", "NEXANEST_JWT_ISSUER", TokenClaimText,
                                               false};
const runtime::DomainSetting kJwtAudienceSetting{"auth.jwt_audience", "NEXANEST_JWT_AUDIENCE", TokenClaimText,
                                                 false};
const runtime::DomainSetting kAccessTtlSetting =
    runtime::DurationSetting("auth.access_token_ttl", "NEXANEST_ACCESS_TOKEN_TTL");
const runtime::DomainSetting kRefreshTtlSetting =
    runtime::DurationSetting("auth.refresh_token_ttl", "NEXANEST_REFRESH_TOKEN_TTL");
const runtime::DomainSetting kSessionMaxLifetimeSetting =
    runtime::DurationSetting("auth.session_max_lifetime", "NEXANEST_SESSION_MAX_LIFETIME");

std::chrono::seconds WholeSeconds(std::chrono::milliseconds d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d);
}

// Redis fixed windows; nullopt when Redis cannot answer (the caller falls back or fails open).
class RedisLimiter final : public Limiter {
public:
    explicit RedisLimiter(redis::Client& redis) : redis_(redis) {}

    asio::awaitable<std::optional<std::pair<std::int64_t, std::chrono::seconds>>> Hit(
        std::string key, std::chrono::seconds window) override {
        try {
            auto c = co_await redis_.RateLimit(key, window);
            co_return std::make_pair(c.count, Ceil(c.ttl));
        } catch (const Error& e) {
            co_return Unavailable(e);
        }
    }

    asio::awaitable<void> Reset(std::string key) override {
        try {
            co_await redis_.Del(key);
        } catch (const Error& e) {
            if (e.Kind() != ErrorKind::kUnavailable && e.Kind() != ErrorKind::kTimeout) throw;
        }
    }

private:
    static std::chrono::seconds Ceil(std::chrono::milliseconds ms) {
        return std::chrono::ceil<std::chrono::seconds>(ms);
    }
    static std::optional<std::pair<std::int64_t, std::chrono::seconds>> Unavailable(const Error& e) {
        if (e.Kind() != ErrorKind::kUnavailable && e.Kind() != ErrorKind::kTimeout) throw;
        spdlog::warn("auth: rate limiter unavailable ({}); using the fallback", e.Code());
        return std::nullopt;
    }

    redis::Client& redis_;
};

// Liveness entries and versions in Redis. A Redis that is down or slow is a miss (the service
// then reads the database); a failed drop is logged and bounded by kLivenessCacheTtl.
class RedisLivenessCache final : public LivenessCache {
public:
    explicit RedisLivenessCache(redis::Client& redis) : redis_(redis) {}

    asio::awaitable<std::optional<SharedLiveness>> Get(std::string entry_key,
                                                       std::string version_key) override {
        std::vector<std::string> keys{std::move(entry_key), std::move(version_key)};
        try {
            auto values = co_await redis_.MGet(keys);
            SharedLiveness out;
            if (values.size() == 2) {
                out.entry = std::move(values[0]);
                if (values[1]) out.version = std::move(*values[1]);
            }
            co_return out;
        } catch (const Error& e) {
            if (e.Kind() != ErrorKind::kUnavailable && e.Kind() != ErrorKind::kTimeout) throw;
        }
        co_return std::nullopt;
    }
    asio::awaitable<void> Put(std::string key, std::string value, std::chrono::seconds ttl) override {
        redis::SetOptions options;
        options.ttl = ttl;
        try {
            co_await redis_.Set(key, value, options);
        } catch (const Error& e) {
            if (e.Kind() != ErrorKind::kUnavailable && e.Kind() != ErrorKind::kTimeout) throw;
        }
    }
    asio::awaitable<void> Drop(std::string entry_key, std::string version_key) override {
        const std::string ttl = std::to_string(kLivenessVersionTtl.count());
        // Named vectors: braced lists as arguments inside a coroutine trip g++ 12.
        const std::vector<std::string_view> incr{"INCR", version_key}, expire{"EXPIRE", version_key, ttl},
            del{"DEL", entry_key};
        redis::Pipeline p;
        p.Add(incr).Add(expire).Add(del);
        std::string failure;
        try {
            auto replies = co_await redis_.Execute(std::move(p));
            for (const auto& r : replies) r.ThrowIfError();
        } catch (const Error& e) {
            if (e.Kind() != ErrorKind::kUnavailable && e.Kind() != ErrorKind::kTimeout) throw;
            failure = e.Code();
        }
        if (!failure.empty()) {
            spdlog::warn("auth: liveness entry not dropped ({}); stale for at most {} s", failure,
                         kLivenessCacheTtl.count());
        }
    }

private:
    redis::Client& redis_;
};

struct Shard {
    std::unique_ptr<PgRepository> repo;
    std::unique_ptr<RedisLimiter> limiter;
    std::unique_ptr<RedisLivenessCache> cache;
    std::unique_ptr<Service> service;
};

// Everything the module owns; shared by the routes, authenticators, job and directory.
class Module final : public ServiceFactory, public UserDirectory {
public:
    Module(App& app, ModuleOptions options)
        : settings_(std::move(options.settings)), mailer_(std::move(options.mailer)) {
        const auto& config = app.Config();
        Keys keys = KeysFrom(config);
        if (keys.jwt_keys.Empty()) {
            throw Error(ErrorKind::kUnprocessable, "config.missing",
                        "configuration: NEXANEST_JWT_KEYS is required");
        }
        if (keys.api_key_pepper.Reveal().size() < crypto::kMinPepperBytes) {
            throw Error(ErrorKind::kUnprocessable, "config.missing",
                        "configuration: NEXANEST_API_KEY_PEPPER (at least 32 bytes) is required");
        }
        jwt_keys_ = crypto::ParseJwtKeys(keys.jwt_keys.Reveal());
        if (!keys.field_keys.Empty()) field_keys_ = crypto::ParseSecretboxKeys(keys.field_keys.Reveal());
        pepper_ = std::move(keys.api_key_pepper);
        if (!mailer_) mailer_ = mail::MakeMailer(config, app.Shard(0).get_executor());
        deps_.settings = &settings_;
        deps_.jwt_keys = &jwt_keys_;
        deps_.field_keys = &field_keys_;
        deps_.api_key_pepper = &pepper_;
        deps_.mailer = mailer_.get();
        deps_.cpu = &app.Cpu();
        deps_.public_url = config.public_url;
        deps_.local_liveness = &local_liveness_;
        deps_.verified_tokens = &verified_tokens_;
        for (std::size_t i = 0; i < app.ShardCount(); ++i) {
            Shard s;
            s.repo = std::make_unique<PgRepository>(app.Db(ServiceRole::kAuth, Database::kAuth, i));
            s.limiter = std::make_unique<RedisLimiter>(app.Redis(i));
            s.cache = std::make_unique<RedisLivenessCache>(app.Redis(i));
            s.service = std::make_unique<Service>(deps_, *s.repo, *s.limiter, s.cache.get());
            shards_.push_back(std::move(s));
        }
    }

    Service& For(http::Request& request) override { return *shards_.at(request.shard).service; }
    Service& OnShard(std::size_t shard) { return *shards_.at(shard).service; }
    LiveAnswers* MeAnswers() override { return &me_answers_; }

    asio::awaitable<std::optional<UserStatus>> GetUser(UserId id, std::size_t shard) override {
        co_return co_await shards_.at(shard).repo->UserStatusOf(id);
    }
    asio::awaitable<AdvisorGrants> GrantsOf(UserId advisor, std::size_t shard) override {
        co_return co_await shards_.at(shard).repo->GrantsOf(advisor);
    }
    asio::awaitable<bool> StillLive(const Principal& principal, std::size_t shard) override {
        if (principal.expires_at && *principal.expires_at <= std::chrono::system_clock::now())
            co_return false;
        Principal copy = principal;
        bool live = true;
        try {
            co_await shards_.at(shard).service->CheckLive(copy);
        } catch (const Error& e) {
            if (e.Kind() != ErrorKind::kUnauthorized) throw;
            live = false;
        }
        co_return live;
    }

    const AuthSettings& Settings() const { return settings_; }

private:
    AuthSettings settings_;
    std::shared_ptr<mail::Mailer> mailer_;
    crypto::KeyRing jwt_keys_;
    crypto::KeyRing field_keys_;
    Secret pepper_;
    LocalLiveness local_liveness_;
    VerifiedTokens verified_tokens_;
    LiveAnswers me_answers_;
    ServiceDeps deps_;
    std::vector<Shard> shards_;
};

// "Bearer <token>" / "ApiKey <key>": the scheme (case-insensitive) and the credentials.
std::optional<std::pair<std::string, std::string_view>> SplitAuthorization(std::string_view header) {
    auto space = header.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::string scheme(header.substr(0, space));
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto rest = header.substr(space + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return std::make_pair(scheme, rest);
}

}  // namespace

std::vector<runtime::DomainSetting> Settings() {
    return {kJwtKeysSetting,     kApiKeyPepperSetting, kFieldKeysSetting,  kJwtIssuerSetting,
            kJwtAudienceSetting, kAccessTtlSetting,    kRefreshTtlSetting, kSessionMaxLifetimeSetting};
}

AuthSettings SettingsFrom(const runtime::Config& config) {
    AuthSettings s;
    if (auto v = runtime::TextValue(config, kJwtIssuerSetting)) s.issuer = *v;
    if (auto v = runtime::TextValue(config, kJwtAudienceSetting)) s.audience = *v;
    if (auto d = runtime::DurationValue(config, kAccessTtlSetting)) s.access_ttl = WholeSeconds(*d);
    if (auto d = runtime::DurationValue(config, kRefreshTtlSetting)) s.refresh_ttl = WholeSeconds(*d);
    if (auto d = runtime::DurationValue(config, kSessionMaxLifetimeSetting))
        s.session_max_lifetime = WholeSeconds(*d);
    return s;
}

Keys KeysFrom(const runtime::Config& config) {
    return {runtime::SecretValue(config, kJwtKeysSetting), runtime::SecretValue(config, kApiKeyPepperSetting),
            runtime::SecretValue(config, kFieldKeysSetting)};
}

void PutKeys(runtime::Config& config, const Keys& keys) {
    // An empty secret is one not given, as LoadConfig leaves it.
    const std::pair<const runtime::DomainSetting*, const Secret*> given[] = {
        {&kJwtKeysSetting, &keys.jwt_keys},
        {&kApiKeyPepperSetting, &keys.api_key_pepper},
        {&kFieldKeysSetting, &keys.field_keys}};
    for (const auto& [setting, value] : given) {
        if (!value->Empty()) runtime::PutValue(config, *setting, value->Reveal());
    }
}

std::shared_ptr<UserDirectory> Register(App& app) {
    ModuleOptions options;
    options.settings = SettingsFrom(app.Config());
    return Register(app, std::move(options));
}

std::shared_ptr<UserDirectory> Register(App& app, ModuleOptions options) {
    auto module = std::make_shared<Module>(app, std::move(options));
    WebSessionOptions web;
    web.public_url = app.Config().public_url;
    web.refresh_max_age = module->Settings().refresh_ttl;
    AddRoutes(app.Routes(), module, std::move(web));

    app.AddAuthenticator([module](http::Request& request) -> asio::awaitable<void> {
        const auto count = request.HeaderCount("Authorization");
        if (count == 0) co_return;
        if (count > 1) ThrowInvalidToken();
        auto parts = SplitAuthorization(request.Header("Authorization"));
        if (!parts || parts->second.empty()) ThrowInvalidToken();
        if (parts->first == "bearer") {
            Principal p = module->For(request).AuthenticateBearer(parts->second);
            co_await module->For(request).CheckLive(p);
            request.principal = std::move(p);
        } else if (parts->first == "apikey") {
            std::optional<std::string> ip;
            if (!request.remote_address.empty()) ip = request.remote_address;
            request.principal = co_await module->For(request).AuthenticateApiKey(parts->second, ip);
        } else {
            ThrowInvalidToken();
        }
        request.principal_key = std::any_cast<const Principal&>(request.principal).user_id.ToString();
    });

    jobs::JobSpec cleanup;
    cleanup.name = "auth.cleanup";
    cleanup.interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(module->Settings().cleanup_interval);
    cleanup.lease_pool = &app.Db(ServiceRole::kAuth, Database::kAuth, 0);
    cleanup.run = [module]() -> asio::awaitable<void> {
        auto c = co_await module->OnShard(0).Cleanup();
        spdlog::info(
            "auth.cleanup: removed {} refresh tokens, {} verifications, {} resets, {} login attempts",
            c.refresh_tokens, c.verifications, c.resets, c.login_attempts);
    };
    app.Jobs().Add(std::move(cleanup));
    return module;
}

}  // namespace nn::auth
