#include "apps/nexanest/report_command.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <iostream>

#include "analytics/market_reader.hpp"
#include "analytics/report_service.hpp"
#include "apps/nexanest/global_options.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "infra/app/app.hpp"
#include "infra/runtime/logging.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/service.hpp"

namespace nn::app {
namespace asio = boost::asio;

namespace {

struct ReportArgs {
    std::string portfolio;
    std::string period;
    int year = 0;
    int month = 0;  // 0: not given
    std::string format = "json";
    std::string output;  // empty: standard output
};

// The rules of POST .../reports, checked before anything is read or written.
analytics::StatementPeriod PeriodOf(const ReportArgs& args) {
    if (args.year < 1970 || args.year > 9999) {
        throw Error(ErrorKind::kUnprocessable, "cli.bad_year", "--year must be from 1970 to 9999");
    }
    if (args.period == "annual") {
        if (args.month != 0) {
            throw Error(ErrorKind::kUnprocessable, "cli.bad_month", "an annual statement takes no --month");
        }
        return analytics::AnnualPeriod(args.year);
    }
    if (args.month < 1 || args.month > 12) {
        throw Error(ErrorKind::kUnprocessable, "cli.bad_month", "a monthly statement needs --month 1 to 12");
    }
    return analytics::MonthlyPeriod(args.year, args.month);
}

// Generates (or replaces) the statement exactly as the endpoint does and stores it. The operator
// acts in SYSTEM context on behalf of the portfolio's owner.
void GenerateReport(const runtime::Config& config, const ReportArgs& args) {
    const auto id = PortfolioId::Parse(args.portfolio);
    if (!id) {
        throw Error(ErrorKind::kUnprocessable, "cli.bad_portfolio",
                    "--portfolio must be a portfolio id (a UUID)");
    }
    const analytics::StatementPeriod period = PeriodOf(args);

    asio::io_context io(1);
    App app(config, {&io});
    auto portfolios = std::make_shared<portfolio::Service>(app, std::make_shared<portfolio::PgRepository>(),
                                                           nullptr, market::MakeRateDirectory(app));
    analytics::ReportService reports(app, portfolios, analytics::MakeMarketReads(app));
    // A named lambda: the coroutine reads its captures through it until it completes.
    auto work = [&]() -> asio::awaitable<analytics::GeneratedReport> {
        const Actor system = Actor::System();
        const portfolio::Portfolio target = co_await portfolios->GetPortfolio(system, *id, 0);
        const Actor owner_as_system = Actor::System(target.user_id);
        co_return co_await reports.Generate(owner_as_system, *id, period, 0);
    };
    auto fut = asio::co_spawn(io, work(), asio::use_future);
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        io.run_one_for(std::chrono::milliseconds(20));
    }
    const analytics::GeneratedReport generated = fut.get();
    app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0).Close();
    app.Db(ServiceRole::kAnalytics, Database::kAnalytics, 0).Close();
    app.Db(ServiceRole::kMarket, Database::kTimescale, 0).Close();

    const std::string& body = args.format == "csv" ? generated.csv : generated.content;
    if (args.output.empty()) {
        std::cout << body;
        if (args.format == "json") std::cout << '\n';
    } else {
        std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
        out << body;
        if (!out) throw Error(ErrorKind::kUnprocessable, "cli.bad_file", "cannot write " + args.output);
    }
    std::cerr << fmt::format("{} statement {} of {} stored as report {}\n",
                             generated.created ? "new" : "replaced", FormatDate(period.start), args.portfolio,
                             generated.report.id.ToString());
}

}  // namespace

void AddReportCommand(CLI::App& app, const GlobalOptions& global) {
    auto* report = app.add_subcommand("report", "Portfolio statements");
    report->require_subcommand(1);
    auto args = std::make_shared<ReportArgs>();
    auto* generate = report->add_subcommand(
        "generate", "Generate (or replace) a monthly or annual statement, store it and print it");
    generate->add_option("--portfolio", args->portfolio, "the portfolio's id")->required();
    generate->add_option("--period", args->period, "monthly or annual")
        ->required()
        ->check(CLI::IsMember({"monthly", "annual"}));
    generate->add_option("--year", args->year, "the statement's year")->required();
    generate->add_option("--month", args->month, "the month (1-12) of a monthly statement");
    generate->add_option("--format", args->format, "json (default) or csv")
        ->check(CLI::IsMember({"json", "csv"}));
    generate->add_option("--output", args->output, "write to this file instead of standard output");
    generate->callback([&global, args] {
        auto config = global.Load();
        runtime::InitLogging("warn", config.log_format);
        GenerateReport(config, *args);
    });
}

}  // namespace nn::app
