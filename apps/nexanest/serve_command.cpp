#include "apps/nexanest/serve_command.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "apps/nexanest/dashboard.hpp"
#include "apps/nexanest/global_options.hpp"
#include "apps/nexanest/modules.hpp"
#include "infra/app/app.hpp"
#include "infra/app/sd_notify.hpp"
#include "infra/runtime/logging.hpp"

namespace nn::app {
namespace asio = boost::asio;

namespace {

struct ServeArgs {
    std::string services;
    std::string listen;
};

void Serve(runtime::Config config) {
    runtime::InitLogging(config.log_level, config.log_format);
    std::size_t n = config.threads != 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());

    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::io_context*> shards;
    for (std::size_t i = 0; i < n; ++i) {
        contexts.push_back(std::make_unique<asio::io_context>(1));
        shards.push_back(contexts.back().get());
    }
    // Keeps each loop running while it has nothing to do.
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto* io : shards) guards.push_back(asio::make_work_guard(*io));

    App app(config, shards);
    DeclareServices(app);
    app.RequireSchemas();
    RegisterModules(app);
    ServeDashboard(app);
    auto port = app.Start();

    std::vector<std::thread> threads;
    for (auto* io : shards) threads.emplace_back([io] { io->run(); });
    spdlog::info("nexanest serving on http://{}:{} with {} event loop(s), services: {}", config.listen_host,
                 port, n, config.services);
    SdNotify(fmt::format("READY=1\nSTATUS=serving on {}:{}", config.listen_host, port));

    asio::io_context signals_io;
    asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code&, int signal) {
        spdlog::info("signal {}: draining requests and stopping", signal);
    });
    signals_io.run();

    SdNotify("STOPPING=1");
    app.Stop();
    guards.clear();
    for (auto* io : shards) io->stop();
    for (auto& t : threads) t.join();
    spdlog::info("stopped");
}

}  // namespace

void AddServeCommand(CLI::App& app, const GlobalOptions& global) {
    auto args = std::make_shared<ServeArgs>();
    auto* serve = app.add_subcommand("serve", "Serve the REST API and live updates until SIGINT/SIGTERM");
    serve->add_option("--services", args->services,
                      "comma list of auth, portfolio, market, analytics, notify (default: all)");
    serve->add_option("--listen", args->listen, "HOST:PORT (default 127.0.0.1:8080)");
    serve->callback([&global, args] {
        auto env = runtime::ProcessEnv();
        // Command-line flags win over the environment, which wins over the file.
        auto with_flags = [env, args](const std::string& name) -> std::optional<std::string> {
            if (name == "NEXANEST_SERVICES" && !args->services.empty()) return args->services;
            if (name == "NEXANEST_LISTEN" && !args->listen.empty()) return args->listen;
            return env(name);
        };
        Serve(global.Load(with_flags));
    });
}

}  // namespace nn::app
