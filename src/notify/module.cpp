#include "notify/module.hpp"

#include <spdlog/spdlog.h>

#include "infra/app/app.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/redis/url.hpp"
#include "notify/handlers.hpp"

namespace nn::notify {
namespace asio = boost::asio;

void Module::Stop() {
    for (auto& hub : hubs) hub->Stop();
    if (security) security->Stop();
    if (alerts) alerts->Stop();
}

std::shared_ptr<Module> Register(App& app, ModuleOptions options) {
    auto module = std::make_shared<Module>();
    module->notifier = std::make_shared<Notifier>(app, options.notifier);
    module->mailer =
        options.mailer
            ? options.mailer
            : std::shared_ptr<mail::Mailer>(mail::MakeMailer(app.Config(), app.Shard(0).get_executor()));
    for (std::size_t shard = 0; shard < app.ShardCount(); ++shard) {
        redis::Options redis_options;
        redis_options.url = redis::ParseUrl(app.Config().redis_url.Reveal());
        redis_options.command_timeout = app.Config().redis_timeout;
        redis_options.client_name = "nexanest-notify-live";
        auto hub = std::make_shared<LiveHub>(app.Shard(shard).get_executor(), std::move(redis_options),
                                             options.notifier.wake_prefix);
        hub->Start();
        module->hubs.push_back(std::move(hub));
    }
    auto& target = app.Db(ServiceRole::kNotify, Database::kTimescale, 0);
    for (const auto& source : options.sources) {
        auto& pool = app.Db(source.role, source.database, 0);
        auto relay = std::make_shared<OutboxRelay>(source, pool, target, app.Redis(0), options.relay);
        module->relays.push_back(relay);
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
    SecurityProducerOptions security;
    security.stream = options.relay.stream;
    security.consumer = app.Jobs().InstanceId();
    module->security = std::make_shared<SecurityProducer>(app, module->notifier, security);
    PriceAlertOptions alerts;
    alerts.consumer = app.Jobs().InstanceId();
    module->alerts = std::make_shared<PriceAlertProducer>(app, module->notifier, alerts);
    if (options.start_jobs) {
        module->security->Start();
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
    ctx.hubs = module->hubs;
    ctx.directory = options.directory;
    ctx.live_poll = options.live_poll;
    AddRoutes(app.Routes(), std::move(ctx));
    return module;
}

std::shared_ptr<Module> Register(App& app) {
    return Register(app, ModuleOptions{});
}

std::shared_ptr<Module> Register(App& app, std::shared_ptr<auth::UserDirectory> directory) {
    ModuleOptions options;
    options.directory = std::move(directory);
    return Register(app, std::move(options));
}

}  // namespace nn::notify
