#include "analytics/report_service.hpp"

#include <set>

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include "analytics/market_reader.hpp"
#include "analytics/period_opening.hpp"
#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction.hpp"

namespace nn::analytics {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr db::Query kUpsertReport{
    "INSERT INTO analytics.reports (id, user_id, portfolio_id, report_type, period_start, period_end, "
    "currency, "
    "status, content, csv_content, requested_by, generated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 'READY', $8::jsonb, $9, $10, now()) "
    "ON CONFLICT (portfolio_id, report_type, period_start, period_end) DO UPDATE SET "
    "currency = EXCLUDED.currency, status = 'READY', content = EXCLUDED.content, "
    "csv_content = EXCLUDED.csv_content, error = NULL, requested_by = EXCLUDED.requested_by, "
    "generated_at = EXCLUDED.generated_at "
    "RETURNING id, portfolio_id, report_type, period_start, period_end, currency::text, status, created_at, "
    "generated_at, xmax = 0",
    "analytics.upsert_report"};

constexpr db::Query kListReports{
    "SELECT id, portfolio_id, report_type, period_start, period_end, currency::text, status, created_at, "
    "generated_at FROM analytics.reports WHERE portfolio_id = $1 ORDER BY period_start DESC, report_type",
    "analytics.list_reports"};

constexpr db::Query kGetReport{
    "SELECT id, portfolio_id, report_type, period_start, period_end, currency::text, status, created_at, "
    "generated_at, content::text, coalesce(csv_content, '') FROM analytics.reports "
    "WHERE portfolio_id = $1 AND id = $2",
    "analytics.get_report"};

constexpr db::Query kHasReport{
    "SELECT EXISTS (SELECT 1 FROM analytics.reports WHERE portfolio_id = $1 AND report_type = $2 "
    "AND period_start = $3 AND period_end = $4 AND status = 'READY')",
    "analytics.has_report"};

StoredReport ReadReport(const db::Row& r) {
    StoredReport s;
    s.id = r.Get<Uuid>(0);
    s.portfolio = PortfolioId(r.Get<Uuid>(1));
    s.type = r.Get<std::string>(2);
    s.period_start = r.Get<Date>(3);
    s.period_end = r.Get<Date>(4);
    s.currency = r.Get<std::string>(5);
    s.status = r.Get<std::string>(6);
    s.created_at = r.Get<Timestamp>(7);
    s.generated_at = r.Get<std::optional<Timestamp>>(8);
    return s;
}

Error PortfolioNotFound() {
    return Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
}

}  // namespace

json::object ToJson(const StoredReport& r) {
    json::object o;
    o["id"] = r.id.ToString();
    o["portfolio_id"] = r.portfolio.ToString();
    o["period"] = r.type == "MONTHLY" ? "monthly" : "annual";
    o["report_type"] = r.type;
    o["period_start"] = FormatDate(r.period_start);
    o["period_end"] = FormatDate(r.period_end);
    o["currency"] = r.currency;
    o["status"] = r.status;
    o["created_at"] = FormatRfc3339(r.created_at);
    o["generated_at"] = r.generated_at ? json::value(FormatRfc3339(*r.generated_at)) : json::value(nullptr);
    return o;
}

asio::awaitable<GeneratedReport> ReportService::Generate(Actor actor,
                                                         PortfolioId id,
                                                         StatementPeriod period,
                                                         std::size_t shard) {
    const Date today = ToDate(Now());
    if (period.start > today) {
        throw Error(ErrorKind::kUnprocessable, "analytics.period_in_future",
                    "the period starts after today: " + FormatDate(period.start));
    }
    StatementInputs in;
    in.portfolio = co_await portfolios_->GetPortfolio(actor, id, shard);
    in.period = period;
    in.as_of = std::min(period.end, today);
    // From the read checkpoint before the period and the transactions since, never every
    // transaction (issue 16, §17).
    const portfolio::LedgerHead head = co_await portfolios_->ReadLedgerHead(actor, id, shard);
    PeriodOpening opening = co_await OpenPeriod(app_, market_, *portfolios_, actor, in.portfolio,
                                                head.version, period.start, in.as_of, page_size_, shard);
    in.opening = std::move(opening.checkpoint);
    in.transactions = std::move(opening.after);
    in.instrument_currency = std::move(opening.listed);

    const Date window_start = AddDays(period.start, -kLookbackDays);
    const std::vector<std::string> symbol_list(opening.symbols.begin(), opening.symbols.end());
    const std::string base(in.portfolio.currency.Code());
    const std::vector<std::string> currency_list(opening.currencies.begin(), opening.currencies.end());
    in.closes = co_await LoadCloses(market_, symbol_list, window_start, in.as_of, shard);
    in.rates = co_await LoadRates(market_, currency_list, base, window_start, in.as_of, shard);
    if (!in.portfolio.benchmarks.empty()) {
        const std::vector<std::string> benchmark_list{in.portfolio.benchmarks.front()};
        auto closes = co_await LoadCloses(market_, benchmark_list, window_start, in.as_of, shard);
        BenchmarkSeries series{benchmark_list.front(), {}};
        for (const DatedValue& close : closes[benchmark_list.front()]) {
            series.closes.push_back({close.date, close.value.ToDouble()});
        }
        in.benchmark = std::move(series);
    }
    // The statement is proportional to the portfolio's history: built on the CPU pool, never on
    // the request's event loop (issue 15).
    GeneratedReport out = co_await app_.Cpu().Run([&in] {
        const Statement statement = BuildStatement(in);
        GeneratedReport built;
        built.content = json::serialize(StatementJson(statement));
        built.csv = StatementCsv(statement);
        return built;
    });

    const UserId owner = in.portfolio.user_id;
    const std::optional<Uuid> requested_by =
        actor.IsSystem() ? std::nullopt : std::optional<Uuid>(Uuid(actor.user_id.Value()));
    db::Pool& pool = app_.Db(ServiceRole::kAnalytics, Database::kAnalytics, shard);
    bool refused = false;
    try {
        co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
            const Uuid new_id = Uuid::GenerateV7();
            const db::Result res =
                co_await tx.Execute(kUpsertReport, new_id, owner, id, period.type, period.start, period.end,
                                    base, out.content, out.csv, requested_by);
            out.report = ReadReport(res[0]);
            out.created = res[0].Get<bool>(9);
        });
    } catch (const db::InsufficientPrivilege&) {
        // A READ advisor may see the portfolio but not write its statements: as for portfolio
        // writes, the answer does not reveal more than a 404.
        refused = true;
    }
    if (refused) throw PortfolioNotFound();
    co_return out;
}

asio::awaitable<std::vector<StoredReport>> ReportService::List(Actor actor,
                                                               PortfolioId id,
                                                               std::size_t shard) {
    co_await portfolios_->GetPortfolio(actor, id, shard);
    db::Pool& pool = app_.Db(ServiceRole::kAnalytics, Database::kAnalytics, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<std::vector<StoredReport>> {
                                     const db::Result res = co_await tx.Execute(kListReports, id);
                                     std::vector<StoredReport> out;
                                     for (db::Row row : res) out.push_back(ReadReport(row));
                                     co_return out;
                                 });
}

asio::awaitable<std::optional<ReportDocument>> ReportService::Get(Actor actor,
                                                                  PortfolioId id,
                                                                  Uuid report,
                                                                  std::size_t shard) {
    db::Pool& pool = app_.Db(ServiceRole::kAnalytics, Database::kAnalytics, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<std::optional<ReportDocument>> {
                                     const db::Result res = co_await tx.Execute(kGetReport, id, report);
                                     if (res.Empty()) co_return std::nullopt;
                                     ReportDocument doc;
                                     doc.report = ReadReport(res[0]);
                                     doc.json = res[0].Get<std::string>(9);
                                     doc.csv = res[0].Get<std::string>(10);
                                     co_return doc;
                                 });
}

asio::awaitable<int> ReportService::GenerateMissing(StatementPeriod period, std::size_t shard) {
    const Actor system = Actor::System();
    db::Pool& pool = app_.Db(ServiceRole::kAnalytics, Database::kAnalytics, shard);
    int written = 0;
    portfolio::PortfolioFilter filter;
    filter.limit = 200;
    for (;;) {
        const std::vector<portfolio::Portfolio> page =
            co_await portfolios_->ListPortfolios(system, filter, shard);
        for (const portfolio::Portfolio& p : page) {
            if (ToDate(p.created_at) > period.end) continue;  // did not exist during the period
            const PortfolioId pid = p.id;
            const bool has = co_await db::RunInTransaction(
                pool, db::TransactionOptions().ActingAs(Actor::System()).ReadOnly(),
                [&](db::Transaction& tx) -> asio::awaitable<bool> {
                    const db::Result res =
                        co_await tx.Execute(kHasReport, pid, period.type, period.start, period.end);
                    co_return res[0].Get<bool>(0);
                });
            if (has) continue;
            bool failed = false;
            std::string reason;
            try {
                Actor owner_as_system = system;
                owner_as_system.user_id = p.user_id;
                co_await Generate(owner_as_system, p.id, period, shard);
                ++written;
            } catch (const std::exception& e) {
                failed = true;
                reason = e.what();
            }
            if (failed)
                spdlog::warn("analytics: statement of portfolio {} failed: {}", p.id.ToString(), reason);
        }
        if (page.size() < filter.limit) break;
        filter.after = std::make_pair(page.back().created_at, page.back().id);
    }
    co_return written;
}

}  // namespace nn::analytics
