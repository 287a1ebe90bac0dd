#include "notify/module.hpp"

#include <spdlog/spdlog.h>

#include "infra/app/app.hpp"
#include "infra/http/metrics.hpp"
#include "infra/http/server.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/redis/url.hpp"
#include "notify/handlers.hpp"
#include "notify/pg_repository.hpp"

namespace nn::notify {
namespace asio = boost::asio;

void Module::Stop() {
    for (auto& hub : hubs) hub->Stop();
    if (live) live->Stop();
    if (audit) audit->Stop();
    if (alerts) alerts->Stop();
}

namespace {

// One wake-up subscriber per shard (LiveHub), started.
void StartLiveHubs(App& app, const ModuleOptions& options, Module& module) {
    for (std::size_t shard = 0; shard < app.ShardCount(); ++shard) {
        redis::Options redis_options;
        redis_options.url = redis::ParseUrl(app.Config().redis_url.Reveal());
        redis_options.command_timeout = app.Config().redis_timeout;
        redis_options.client_name = "nexanest-notify-live";
        auto hub = std::make_shared<LiveHub>(app.Shard(shard).get_executor(), std::move(redis_options),
                                             options.notifier.wake_prefix);
        hub->Start();
        module.hubs.push_back(std::move(hub));
    }
}

// One outbox relay per source, on shard 0's pools; with start_jobs a job drains each.
void AddRelays(App& app, const ModuleOptions& options, Module& module) {
    auto& target = app.Db(ServiceRole::kNotify, Database::kTimescale, 0);
    for (const auto& source : options.sources) {
        auto& pool = app.Db(source.role, source.database, 0);
        auto relay = std::make_shared<OutboxRelay>(source, pool, target, app.Redis(0), options.relay);
        module.relays.push_back(relay);
        if (!options.start_jobs) continue;
        jobs::JobSpec job;
        job.name = "notify.relay." + source.name;
        job.interval = options.relay_interval;
        job.lease_pool = &pool;
        job.run = [relay]() -> asio::awaitable<void> {
            int n = co_await relay->Drain();
            if (n > 0) spdlog::debug("notify: relayed {} event(s) from {}", n, relay->Source().table);
        };
        app.Jobs().Add(std::move(job));
    }
}

}  // namespace

std::shared_ptr<Module> Register(App& app, ModuleOptions options) {
    auto module = std::make_shared<Module>();
    auto repository = std::make_shared<PgRepository>();
    module->notifier = std::make_shared<Notifier>(app, repository, options.notifier);
    module->notifier->SetDirectory(options.directory);
    module->mailer =
        options.mailer
            ? options.mailer
            : std::shared_ptr<mail::Mailer>(mail::MakeMailer(app.Config(), app.Shard(0).get_executor()));
    StartLiveHubs(app, options, *module);
    AddRelays(app, options, *module);
    AuditProducerOptions audit = options.audit;
    audit.stream = options.relay.stream;
    audit.consumer = app.Jobs().InstanceId();
    module->audit = std::make_shared<AuditProducer>(app, module->notifier, audit);
    PriceAlertOptions alerts = options.alerts;
    alerts.consumer = app.Jobs().InstanceId();
    module->alerts = std::make_shared<PriceAlertProducer>(app, module->notifier, options.portfolios,
                                                          options.prices, alerts);
    app.Server().Metrics().AddFamily(
        "nn_notify_dead_letters_total", "Stream entries moved to a dead-letter stream (malformed payload)",
        http::MetricType::kCounter, [alerts = module->alerts] {
            http::MetricSample sample;
            sample.labels = {{"stream", alerts->Options().stream}, {"group", alerts->Options().group}};
            sample.value = static_cast<double>(alerts->DeadLetters());
            return std::vector<http::MetricSample>{sample};
        });
    if (options.start_live_feed) {
        redis::Options redis_options;
        redis_options.url = redis::ParseUrl(app.Config().redis_url.Reveal());
        redis_options.command_timeout = app.Config().redis_timeout;
        redis_options.client_name = "nexanest-notify-feed";
        module->live = std::make_shared<LiveFeed>(app.Shard(0).get_executor(), std::move(redis_options),
                                                  module->hubs, options.live_feed);
        module->live->Start();
    }
    if (options.start_jobs) {
        module->audit->Start();
        module->alerts->Start();
        jobs::JobSpec job;
        job.name = "notify.email";
        job.interval = options.email_interval;
        job.lease_pool = &app.Db(ServiceRole::kNotify, Database::kNotifications, 0);
        job.run = [notifier = module->notifier, mailer = module->mailer]() -> asio::awaitable<void> {
            co_await notifier->SendDueEmails(*mailer, 0);
        };
        app.Jobs().Add(std::move(job));
    }
    HandlerContext ctx;
    ctx.app = &app;
    ctx.notifier = module->notifier;
    ctx.events = std::make_shared<EventsService>(
        repository,
        [&app](std::size_t shard) -> db::Pool& {
            return app.Db(ServiceRole::kNotify, Database::kTimescale, shard);
        },
        options.portfolios);
    ctx.hubs = module->hubs;
    ctx.directory = options.directory;
    ctx.portfolios = options.portfolios;
    ctx.live_poll = options.live_poll;
    ctx.live_min_interval = options.live_min_interval;
    ctx.interest_refresh = options.interest_refresh;
    ctx.liveness_check = options.liveness_check;
    ctx.max_streams_per_user = options.max_streams_per_user;
    ctx.presence = portfolio::LivePresence(options.presence);
    AddRoutes(app.Routes(), std::move(ctx));
    // Subscribers and stream readers close on their shards while the loops still run.
    app.OnStop([module] { module->Stop(); });
    return module;
}

std::shared_ptr<Module> Register(App& app) {
    return Register(app, ModuleOptions{});
}

std::shared_ptr<Module> Register(App& app,
                                 std::shared_ptr<auth::UserDirectory> directory,
                                 std::shared_ptr<portfolio::NotifyDirectory> portfolios,
                                 std::shared_ptr<market::PriceDirectory> prices) {
    ModuleOptions options;
    options.directory = std::move(directory);
    options.portfolios = std::move(portfolios);
    options.prices = std::move(prices);
    return Register(app, std::move(options));
}

}  // namespace nn::notify
