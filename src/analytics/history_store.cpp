#include "analytics/history_store.hpp"

#include <algorithm>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "infra/crypto/encoding.hpp"
#include "infra/crypto/hash.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction.hpp"

namespace nn::analytics {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr db::Query kSelectBuild{
    "SELECT first_day, last_day, fingerprint, gaps::text FROM analytics.portfolio_history_builds "
    "WHERE portfolio_id = $1",
    "analytics.select_history_build"};

constexpr db::Query kSelectDays{
    "SELECT day, value, inflow, outflow, income, fx_effect FROM analytics.portfolio_history "
    "WHERE portfolio_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day",
    "analytics.select_history_days"};

constexpr db::Query kUpsertBuild{
    "INSERT INTO analytics.portfolio_history_builds (portfolio_id, user_id, currency, first_day, last_day, "
    "fingerprint, gaps, built_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now()) "
    "ON CONFLICT (portfolio_id) DO UPDATE SET currency = EXCLUDED.currency, first_day = EXCLUDED.first_day, "
    "last_day = EXCLUDED.last_day, fingerprint = EXCLUDED.fingerprint, gaps = EXCLUDED.gaps, built_at = "
    "now()",
    "analytics.upsert_history_build"};

constexpr db::Query kDeleteDays{"DELETE FROM analytics.portfolio_history WHERE portfolio_id = $1",
                                "analytics.delete_history_days"};

constexpr db::Query kUpsertDays{
    "INSERT INTO analytics.portfolio_history (portfolio_id, user_id, day, value, inflow, outflow, income, "
    "fx_effect) SELECT $1, $2, d, v, i, o, n, f FROM unnest($3::date[], $4::numeric[], $5::numeric[], "
    "$6::numeric[], $7::numeric[], $8::numeric[]) AS t(d, v, i, o, n, f) "
    "ON CONFLICT (portfolio_id, day) DO UPDATE SET value = EXCLUDED.value, inflow = EXCLUDED.inflow, "
    "outflow = EXCLUDED.outflow, income = EXCLUDED.income, fx_effect = EXCLUDED.fx_effect",
    "analytics.upsert_history_days"};

constexpr db::Query kInsertOpening{
    "INSERT INTO analytics.portfolio_history (portfolio_id, user_id, day, value) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (portfolio_id, day) DO NOTHING",
    "analytics.insert_history_opening"};

}  // namespace

std::string LedgerFingerprint(std::int64_t ledger_version, Currency base) {
    // The reconstruction's conventions are part of what a stored day means: days stored under
    // older ones (before issue 14: in-kind flows at cost, the currency effect of new money) are
    // rebuilt rather than mixed with new ones.
    const std::string text = std::string(kHistoryConvention) + '\n' + std::string(base.Code()) +
                             "\nledger-version " + std::to_string(ledger_version);
    return crypto::HexEncode(crypto::Sha256(text));
}

asio::awaitable<std::optional<History>> LoadStoredHistory(
    db::Pool& pool, Actor actor, PortfolioId id, std::string fingerprint, Date first, Date last) {
    co_return co_await db::RunAs(
        pool, actor, db::TransactionOptions().ReadOnly(),
        [&](db::Transaction& tx) -> asio::awaitable<std::optional<History>> {
            const db::Result build = co_await tx.Execute(kSelectBuild, id);
            if (build.Empty()) co_return std::nullopt;
            const Date first_day = build[0].Get<Date>(0);
            const Date last_day = build[0].Get<Date>(1);
            if (build[0].Get<std::string>(2) != fingerprint || first < first_day || last > last_day) {
                co_return std::nullopt;
            }
            const Date opening = AddDays(first, -1);
            const db::Result rows = co_await tx.Execute(kSelectDays, id, opening, last);
            if (static_cast<int>(rows.Size()) != DaysBetween(opening, last) + 1) co_return std::nullopt;
            History h;
            bool opening_row = true;
            for (db::Row row : rows) {
                if (opening_row) {
                    h.period.opening_value = row.Get<Decimal>(1);
                    opening_row = false;
                    continue;
                }
                DayPoint p;
                p.date = row.Get<Date>(0);
                p.value = row.Get<Decimal>(1);
                p.inflow = row.Get<Decimal>(2);
                p.outflow = row.Get<Decimal>(3);
                p.income = row.Get<Decimal>(4);
                p.fx_effect = row.Get<Decimal>(5);
                h.period.days.push_back(p);
            }
            const json::value gaps = json::parse(build[0].Get<std::string>(3));
            for (const json::value& gap : gaps.as_array()) {
                const Date day = DateFromString(gap.at("date").as_string());
                if (day <= last) h.gaps.push_back({day, std::string(gap.at("what").as_string())});
            }
            co_return h;
        });
}

asio::awaitable<HistoryBuild> StoreHistory(db::Pool& pool,
                                           Actor actor,
                                           PortfolioId id,
                                           UserId owner,
                                           std::string currency,
                                           std::string fingerprint,
                                           History history) {
    HistoryBuild out;
    out.first_day = history.period.days.front().date;
    out.last_day = history.period.days.back().date;
    out.fingerprint = fingerprint;
    std::vector<std::string> days, values, inflows, outflows, incomes, fx;
    const Date opening_day = AddDays(out.first_day, -1);
    const Decimal opening_value = history.period.opening_value;
    for (const DayPoint& p : history.period.days) {
        days.push_back(FormatDate(p.date));
        values.push_back(p.value.ToNormalizedString());
        inflows.push_back(p.inflow.ToNormalizedString());
        outflows.push_back(p.outflow.ToNormalizedString());
        incomes.push_back(p.income.ToNormalizedString());
        fx.push_back(p.fx_effect.ToNormalizedString());
    }
    json::array gap_list;
    for (const HistoryGap& g : history.gaps) {
        gap_list.push_back(json::object{{"date", FormatDate(g.date)}, {"what", g.what}});
    }
    const std::string gaps = json::serialize(gap_list);
    const db::TextArray day_array(days), value_array(values), inflow_array(inflows), outflow_array(outflows),
        income_array(incomes), fx_array(fx);
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        const db::Result build = co_await tx.Execute(kSelectBuild, id);
        bool merge = false;
        if (!build.Empty() && build[0].Get<std::string>(2) == fingerprint) {
            const Date stored_first = build[0].Get<Date>(0);
            const Date stored_last = build[0].Get<Date>(1);
            // Overlapping or adjacent ranges of the same transactions join into one.
            merge = AddDays(out.first_day, -1) <= stored_last && stored_first <= AddDays(out.last_day, 1);
            if (merge) {
                out.first_day = std::min(out.first_day, stored_first);
                out.last_day = std::max(out.last_day, stored_last);
            }
        }
        co_await tx.Execute(kUpsertBuild, id, owner, currency, out.first_day, out.last_day, fingerprint,
                            gaps);
        if (!merge) co_await tx.Execute(kDeleteDays, id);
        // The opening value as the row of the day before, without flows, unless that day is
        // already stored with its own flows (a range appended to a build).
        co_await tx.Execute(kInsertOpening, id, owner, opening_day, opening_value);
        co_await tx.Execute(kUpsertDays, id, owner, day_array, value_array, inflow_array, outflow_array,
                            income_array, fx_array);
    });
    co_return out;
}

}  // namespace nn::analytics
