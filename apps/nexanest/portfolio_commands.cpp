#include "apps/nexanest/portfolio_commands.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/nexanest/global_options.hpp"
#include "apps/nexanest/progress.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "infra/app/app.hpp"
#include "infra/runtime/logging.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/csv_import.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/service.hpp"

namespace nn::app {
namespace asio = boost::asio;

namespace {

struct TransactionsImportArgs {
    std::string file;
    std::string portfolio;
    bool dry_run = false;
};

template <class T>
T RunOn(asio::io_context& io, asio::awaitable<T> work) {
    auto fut = asio::co_spawn(io, std::move(work), asio::use_future);
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        io.run_one_for(std::chrono::milliseconds(20));
    }
    return fut.get();
}

// The same checks and the same all-or-nothing write as POST .../transactions/import. The
// operator acts in SYSTEM context on behalf of the portfolio's owner, so the outbox records the
// owner as the actor of the imported transactions.
void ImportTransactions(const runtime::Config& config, const TransactionsImportArgs& args) {
    auto id = PortfolioId::Parse(args.portfolio);
    if (!id) {
        throw Error(ErrorKind::kUnprocessable, "cli.bad_portfolio",
                    "--portfolio must be a portfolio id (a UUID)");
    }
    std::ifstream in(args.file, std::ios::binary);
    if (!in) throw Error(ErrorKind::kUnprocessable, "cli.bad_file", "cannot read " + args.file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    const auto total = static_cast<std::int64_t>(std::count(text.begin(), text.end(), '\n'));

    const auto start = std::chrono::steady_clock::now();
    auto parsed = portfolio::ParseTransactionsCsv(text, Now(), [&](std::size_t done) {
        if (done % 500 == 0) PrintProgress(static_cast<std::int64_t>(done), total, start, "lines");
    });
    PrintProgress(static_cast<std::int64_t>(parsed.lines), static_cast<std::int64_t>(parsed.lines), start,
                  "lines");
    std::cerr << '\n';
    for (const auto& e : parsed.errors) {
        std::cerr << fmt::format("{}:{}: {}: {}\n", args.file, e.line, e.field, e.message);
    }
    if (parsed.error_count > parsed.errors.size()) {
        std::cerr << fmt::format("... and {} more error(s)\n", parsed.error_count - parsed.errors.size());
    }
    if (parsed.error_count != 0) {
        throw Error(
            ErrorKind::kUnprocessable, "import.invalid",
            fmt::format("{} error(s) in {} line(s); nothing imported", parsed.error_count, parsed.lines));
    }
    if (args.dry_run) {
        std::cout << fmt::format("dry run: all {} line(s) are valid; nothing imported\n", parsed.lines);
        return;
    }

    asio::io_context io(1);
    App app(config, {&io});
    // The trade-date rates of foreign transactions come from the market's RateDirectory.
    portfolio::Service service(app, std::make_shared<portfolio::PgRepository>(), nullptr,
                               market::MakeRateDirectory(app));
    const std::string request_id = "cli-import-" + Uuid::GenerateV4().ToString();
    auto imported = RunOn(io, [&]() -> asio::awaitable<std::size_t> {
        const Actor system = Actor::System();
        auto target = co_await service.GetPortfolio(system, *id, 0);
        const Actor owner_as_system = Actor::System(target.user_id);
        auto n = co_await service.ImportTransactions(owner_as_system, *id, std::move(parsed.transactions),
                                                     request_id, 0);
        co_await service.InvalidateSummary(target.user_id, 0);
        co_return n;
    }());
    app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0).Close();
    app.Db(ServiceRole::kMarket, Database::kTimescale, 0).Close();
    std::cout << fmt::format("imported {} transaction(s) into portfolio {}\n", imported, args.portfolio);
}

}  // namespace

void AddPortfolioCommands(CLI::App& app, const GlobalOptions& global) {
    CLI::App* import = nullptr;
    try {
        import = app.get_subcommand("import");
    } catch (const CLI::OptionNotFound&) {
        import = app.add_subcommand("import", "Import data from files");
    }
    auto args = std::make_shared<TransactionsImportArgs>();
    auto* tx = import->add_subcommand(
        "transactions",
        "Import a CSV of transactions into a portfolio: every line valid, or nothing written");
    tx->add_option("file", args->file,
                   "CSV with a header (aliases of common broker exports: docs/portfolio.md)")
        ->required();
    tx->add_option("--portfolio", args->portfolio, "the portfolio's id")->required();
    tx->add_flag("--dry-run", args->dry_run, "check every line and report, write nothing");
    tx->callback([&global, args] {
        auto config = global.Load();
        runtime::InitLogging("warn", config.log_format);
        ImportTransactions(config, *args);
    });
}

}  // namespace nn::app
