// `nexanest import prices` end to end: the built binary runs as a child process against a
// migrated timescale database set of its own prefix and the test Redis; the test checks what
// it wrote with superuser SQL and its expectations come from the CSV rows it generated.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/time.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/redis/client.hpp"
#include "infra/redis/url.hpp"
#include "market/model.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

extern char** environ;

#ifndef NN_NEXANEST_BIN
#error "NN_NEXANEST_BIN (the nexanest binary's path) is set by src/market/CMakeLists.txt"
#endif

namespace nn::market {
namespace {
namespace asio = boost::asio;

// One migrated database set for the file's tests; the CLI gets its prefix.
test::SuiteDatabases& Databases() {
    static test::SuiteDatabases set{"mcli_", {migrate::Database::kTimescale}};
    return set;
}

std::string AdminUrl() {
    return migrate::AdminUrlFor(Databases(), migrate::Database::kTimescale).Reveal();
}

// Blocking superuser query; the first column of every row ("" for NULL).
std::vector<std::string> ImportQuery(const std::string& sql) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(AdminUrl().c_str()), &PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c.get()));
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK && PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        throw std::runtime_error(std::string(PQerrorMessage(c.get())) + " in: " + sql);
    }
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.emplace_back(PQgetvalue(r.get(), i, 0));
    return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// Prices are kept as integers of 10^-6 and printed the way trim_scale(numeric)::text prints them.
using Micro = std::int64_t;

std::string FormatMicro(Micro v) {
    std::string s = fmt::format("{}.{:06}", v / 1'000'000, v % 1'000'000);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

struct Row {
    std::string symbol;
    Timestamp time;
    std::optional<Micro> open, high, low;
    Micro close = 0;
    std::optional<std::int64_t> volume;
};

std::string Opt(const std::optional<Micro>& v) {
    return v ? FormatMicro(*v) : std::string();
}

// close_text replaces the close's text when given.
std::string CsvLine(const Row& r, const std::string& close_text = {}) {
    return fmt::format("{},{},{},{},{},{},{}", FormatRfc3339(r.time), r.symbol, Opt(r.open), Opt(r.high),
                       Opt(r.low), close_text.empty() ? FormatMicro(r.close) : close_text,
                       r.volume ? std::to_string(*r.volume) : "");
}

std::int64_t EpochMicros(Timestamp t) {
    return t.time_since_epoch().count();
}

// The raw rows as the views give them back (format('%s') prints NULL as '').
std::vector<std::string> ExpectedRaw(const std::vector<Row>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) {
        out.push_back(fmt::format("{} {} {} {} {} {} {}", r.symbol, EpochMicros(r.time), Opt(r.open),
                                  Opt(r.high), Opt(r.low), FormatMicro(r.close),
                                  r.volume ? std::to_string(*r.volume) : ""));
    }
    return Sorted(out);
}

std::vector<std::string> StoredRaw(const std::string& view, const std::string& symbols) {
    return Sorted(ImportQuery(
        "SELECT format('%s %s %s %s %s %s %s', symbol, (extract(epoch FROM time) * 1000000)::bigint, "
        "trim_scale(open), trim_scale(high), trim_scale(low), trim_scale(close), volume) FROM market_data." +
        view + " WHERE symbol IN (" + symbols + ")"));
}

// The bars a fold of the ticks gives, per (symbol, bucket of `width`): open of the earliest tick
// (its close when it has no open), max high / min low (close when missing), close of the latest,
// volume sum, tick count, first and last tick time. Buckets are printed as epoch seconds of their
// start (whole minutes/hours/UTC days: every symbol here trades on a UTC date equal to New York's).
std::vector<std::string> ExpectedBars(const std::vector<Row>& rows, std::chrono::seconds width) {
    struct Bar {
        const Row* first = nullptr;
        const Row* last = nullptr;
        Micro high = 0, low = 0;
        std::int64_t volume = 0;
        int count = 0;
    };
    std::map<std::pair<std::string, std::int64_t>, Bar> bars;
    for (const auto& r : rows) {
        const std::int64_t secs = EpochMicros(r.time) / 1'000'000;
        auto& b = bars[{r.symbol, secs - secs % width.count()}];
        const Micro high = r.high.value_or(r.close);
        const Micro low = r.low.value_or(r.close);
        if (b.count == 0 || r.time < b.first->time) b.first = &r;
        if (b.count == 0 || r.time > b.last->time) b.last = &r;
        b.high = b.count == 0 ? high : std::max(b.high, high);
        b.low = b.count == 0 ? low : std::min(b.low, low);
        b.volume += r.volume.value_or(0);
        ++b.count;
    }
    std::vector<std::string> out;
    for (const auto& [key, b] : bars) {
        out.push_back(fmt::format("{} {} {} {} {} {} {} {} {} {}", key.first, key.second,
                                  FormatMicro(b.first->open.value_or(b.first->close)), FormatMicro(b.high),
                                  FormatMicro(b.low), FormatMicro(b.last->close), b.volume, b.count,
                                  EpochMicros(b.first->time), EpochMicros(b.last->time)));
    }
    return Sorted(out);
}

std::vector<std::string> StoredBars(const std::string& table,
                                    const std::string& key,
                                    const std::string& symbols) {
    return Sorted(
        ImportQuery("SELECT format('%s %s %s %s %s %s %s %s %s %s', symbol, extract(epoch FROM " + key +
                    ")::bigint, trim_scale(open), trim_scale(high), trim_scale(low), trim_scale(close), "
                    "volume, tick_count, (extract(epoch FROM open_time) * 1000000)::bigint, "
                    "(extract(epoch FROM close_time) * 1000000)::bigint) FROM market_data." +
                    table + " WHERE symbol IN (" + symbols + ")"));
}

// Each symbol's newest tick as "symbol close epoch_micros".
std::vector<std::string> ExpectedLatest(const std::vector<Row>& rows) {
    std::map<std::string, const Row*> newest;
    for (const auto& r : rows) {
        auto& n = newest[r.symbol];
        if (n == nullptr || n->time < r.time) n = &r;
    }
    std::vector<std::string> out;
    for (const auto& [symbol, r] : newest) {
        out.push_back(fmt::format("{} {} {}", symbol, FormatMicro(r->close), EpochMicros(r->time)));
    }
    return out;
}

std::vector<std::string> StoredLatest(const std::string& symbols) {
    return Sorted(
        ImportQuery("SELECT format('%s %s %s', symbol, trim_scale(close), (extract(epoch FROM time) * "
                    "1000000)::bigint) FROM market_data.latest_prices WHERE symbol IN (" +
                    symbols + ")"));
}

struct CliResult {
    int exit_code = -1;  // 128 + signal when killed
    std::string out;
    std::string err;
};

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs the real binary with `args`, its environment the test's minus every NEXANEST_* variable
// plus the suite's database set and the test Redis; stdout and stderr go to files.
CliResult RunCli(const std::vector<std::string>& args) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::strncmp(*e, "NEXANEST_", 9) != 0) env.emplace_back(*e);
    }
    env.push_back("NEXANEST_DATABASE_URL=" + test::PgUrl());
    env.push_back("NEXANEST_DATABASE_PREFIX=" + Databases().prefix);
    env.push_back("NEXANEST_DB_SERVICE_PASSWORD=" + test::ServicePassword());
    env.push_back("NEXANEST_REDIS_URL=" + test::RedisUrl());
    std::vector<std::string> argv{NN_NEXANEST_BIN};
    argv.insert(argv.end(), args.begin(), args.end());

    const auto dir = std::filesystem::temp_directory_path();
    const std::string out_path = (dir / test::UniqueName("nn_cli_out_")).string();
    const std::string err_path = (dir / test::UniqueName("nn_cli_err_")).string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> cargv, cenv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));

    CliResult result;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    int status = 0;
    while (true) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            ADD_FAILURE() << "nexanest did not finish within 3 minutes";
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
    result.out = ReadFile(out_path);
    result.err = ReadFile(err_path);
    std::filesystem::remove(out_path);
    std::filesystem::remove(err_path);
    return result;
}

class ImportCli : public ::testing::Test {
protected:
    void SetUp() override {
        std::string base = "C" + test::UniqueName("").substr(0, 8);
        for (auto& c : base) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        a_ = base + "A";
        b_ = base + "B";
        x_ = base + "X";
        ImportQuery(
            "INSERT INTO market_data.instruments (symbol, name, asset_class, currency, exchange_timezone) "
            "VALUES ('" +
            a_ + "', 'CLI A', 'EQUITY', 'USD', 'America/New_York'), ('" + b_ +
            "', 'CLI B', 'EQUITY', 'USD', 'UTC'), ('" + x_ + "', 'CLI index', 'INDEX', 'USD', 'UTC')");
        redis::Options ro;
        ro.url = redis::ParseUrl(test::RedisUrl());
        redis_ = std::make_unique<redis::Client>(io_.get_executor(), std::move(ro));
    }
    void TearDown() override {
        for (const auto& f : files_) std::filesystem::remove(f);
        const std::vector<std::string> keys{PriceKey(a_), PriceKey(b_), PriceKey(x_)};
        Run([&]() -> asio::awaitable<void> { co_await redis_->DelMany(keys); });
        redis_->Close();
    }

    template <class F>
    void Run(F body) {
        auto fut = asio::co_spawn(io_, body(), asio::use_future);
        io_.restart();
        while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
            io_.run_one_for(std::chrono::milliseconds(20));
        }
        fut.get();
    }

    std::optional<std::string> RedisGet(const std::string& key) {
        std::optional<std::string> v;
        Run([&]() -> asio::awaitable<void> { v = co_await redis_->Get(key); });
        return v;
    }

    // `n` ticks from yesterday 14:58:30 UTC, 23 s (and a few ms) apart, so that several share a
    // minute and they straddle 15:00; `symbols` take turns unevenly. Exact 6-place prices, half
    // the rows without open/high/low, every fifth without volume. The CSV order is shuffled.
    std::vector<Row> MakeRows(int n, const std::vector<std::string>& symbols) {
        const Timestamp start = std::chrono::floor<std::chrono::days>(Now() - std::chrono::hours(24)) +
                                std::chrono::hours(14) + std::chrono::minutes(58) + std::chrono::seconds(30);
        std::vector<Row> rows;
        for (int i = 0; i < n; ++i) {
            Row r;
            r.symbol = symbols[(i % 3 == 2 ? 1 : 0) % symbols.size()];
            r.time = start + std::chrono::seconds(23 * i) + std::chrono::milliseconds(137 * (i % 3));
            r.close = i % 4 == 0 ? 100'000'000 + i * 500'000 : 100'000'000 + i * 1'234'567;
            if (i % 2 == 0) {
                r.open = r.close - 10'000;
                r.high = r.close + 250'000 + i;
                r.low = r.close - 300'000 - i;
            }
            if (i % 5 != 3) r.volume = 10 + 7 * i;
            rows.push_back(r);
        }
        std::shuffle(rows.begin(), rows.end(), std::mt19937(7));
        return rows;
    }

    // eol "\r\n" writes a Windows file; blank_every > 0 puts an empty line after every n rows.
    std::string WriteCsv(const std::vector<Row>& rows,
                         const std::map<std::size_t, std::string>& replace = {},
                         const std::string& eol = "\n",
                         std::size_t blank_every = 0) {
        const std::string path =
            (std::filesystem::temp_directory_path() / test::UniqueName("nn_prices_")).string() + ".csv";
        std::ofstream f(path, std::ios::binary);
        f << "time,symbol,open,high,low,close,volume" << eol;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            auto it = replace.find(i);
            f << (it != replace.end() ? it->second : CsvLine(rows[i])) << eol;
            if (blank_every > 0 && (i + 1) % blank_every == 0) f << eol;
        }
        files_.push_back(path);
        return path;
    }

    std::string Symbols() const { return "'" + a_ + "', '" + b_ + "', '" + x_ + "'"; }

    // Everything the import wrote for this test's symbols, to compare two moments.
    std::vector<std::string> Snapshot() {
        std::vector<std::string> all;
        for (auto part :
             {StoredRaw("stock_prices", Symbols()), StoredRaw("market_indices", Symbols()),
              StoredBars("bars_1m", "bucket", Symbols()), StoredBars("ohlcv_1h", "bucket", Symbols()),
              StoredBars("ohlcv_1d", "trading_date::timestamp", Symbols()), StoredLatest(Symbols())}) {
            all.insert(all.end(), part.begin(), part.end());
            all.push_back("--");
        }
        return all;
    }

    // The stored state equals what `rows` (all stock or all index ticks) alone give.
    void ExpectBadRow15StopsAfterTheFirstBatch(const std::vector<Row>& rows,
                                               const std::string& bad_line,
                                               const std::vector<std::string>& err_has);

    void ExpectStoredEqual(const std::vector<Row>& rows, bool index = false) {
        EXPECT_EQ(StoredRaw(index ? "market_indices" : "stock_prices", Symbols()), ExpectedRaw(rows));
        EXPECT_EQ(StoredRaw(index ? "stock_prices" : "market_indices", Symbols()),
                  std::vector<std::string>{});
        EXPECT_EQ(StoredBars("bars_1m", "bucket", Symbols()), ExpectedBars(rows, std::chrono::minutes(1)));
        EXPECT_EQ(StoredBars("ohlcv_1h", "bucket", Symbols()), ExpectedBars(rows, std::chrono::hours(1)));
        EXPECT_EQ(StoredBars("ohlcv_1d", "trading_date::timestamp", Symbols()),
                  ExpectedBars(rows, std::chrono::hours(24)));
        EXPECT_EQ(StoredLatest(Symbols()), ExpectedLatest(rows));
    }

    std::string a_, b_, x_;
    std::vector<std::string> files_;
    asio::io_context io_;
    std::unique_ptr<redis::Client> redis_;
};

TEST_F(ImportCli, ImportsEveryRowExactlyInBatchesAndAReplayChangesNothing) {
    const auto rows = MakeRows(25, {a_, b_});
    const auto csv = WriteCsv(rows);
    auto r = RunCli({"import", "prices", csv, "--batch", "10"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("imported 25 rows (25 new, 0 already present)"), std::string::npos) << r.out;
    // a progress bar after each committed batch: 10, 20, then 25 of 25
    EXPECT_NE(r.err.find("]  40% 10/25 rows"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("]  80% 20/25 rows"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("[##############################] 100% 25/25 rows"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\r'), 3) << r.err;

    EXPECT_EQ(
        ImportQuery("SELECT count(*) FROM market_data.stock_prices WHERE symbol IN (" + Symbols() + ")"),
        std::vector<std::string>{"25"});
    ExpectStoredEqual(rows);
    // the batches spread over more than one hour and several ticks per minute
    EXPECT_EQ(ExpectedBars(rows, std::chrono::hours(1)).size(), 4u);
    EXPECT_LT(ExpectedBars(rows, std::chrono::minutes(1)).size(), 25u);

    // after commit: the latest prices in Redis, every outbox event published
    for (const auto& latest : ExpectedLatest(rows)) {
        const auto sp1 = latest.find(' ');
        const auto sp2 = latest.find(' ', sp1 + 1);
        EXPECT_EQ(RedisGet(PriceKey(latest.substr(0, sp1))),
                  latest.substr(sp2 + 1) + "|" + latest.substr(sp1 + 1, sp2 - sp1 - 1));
    }
    const std::string outbox = "FROM market_data.outbox WHERE payload::text LIKE '%" + a_.substr(0, 9) + "%'";
    EXPECT_NE(ImportQuery("SELECT count(*) " + outbox), std::vector<std::string>{"0"});
    EXPECT_EQ(ImportQuery("SELECT count(*) " + outbox + " AND published_at IS NULL"),
              std::vector<std::string>{"0"});

    // the same file again: nothing new, nothing changed
    const auto before = Snapshot();
    auto again = RunCli({"import", "prices", csv, "--batch", "10"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("imported 25 rows (0 new, 25 already present)"), std::string::npos) << again.out;
    EXPECT_EQ(Snapshot(), before);
    ExpectStoredEqual(rows);
}

// `rows` imported with data row 15 (line 16) written as `bad_line`, in batches of 10: the import
// fails, stderr holds each of `err_has`, rows 1-10 stay committed and none of rows 11-20 (the
// failing batch) is written; after the row is fixed, the re-run adds the other 15.
void ImportCli::ExpectBadRow15StopsAfterTheFirstBatch(const std::vector<Row>& rows,
                                                      const std::string& bad_line,
                                                      const std::vector<std::string>& err_has) {
    auto r = RunCli({"import", "prices", WriteCsv(rows, {{14, bad_line}}), "--batch", "10"});
    EXPECT_NE(r.exit_code, 0);
    for (const auto& text : err_has) EXPECT_NE(r.err.find(text), std::string::npos) << text << "\n" << r.err;
    const std::vector<Row> first_batch(rows.begin(), rows.begin() + 10);
    ExpectStoredEqual(first_batch);

    auto rerun = RunCli({"import", "prices", WriteCsv(rows), "--batch", "10"});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_NE(rerun.out.find("imported 25 rows (15 new, 10 already present)"), std::string::npos)
        << rerun.out;
    ExpectStoredEqual(rows);
}

TEST_F(ImportCli, ANegativeCloseStopsTheImportAtItsLineAfterTheCommittedBatches) {
    const auto rows = MakeRows(25, {a_, b_});
    ExpectBadRow15StopsAfterTheFirstBatch(rows, CsvLine(rows[14], "-" + FormatMicro(rows[14].close)),
                                          {"line 16", "close"});
}

// The service refuses this row (the CSV parser cannot know the instruments), so the whole batch
// of rows 11-20 is refused; the message still names the row's line.
TEST_F(ImportCli, AnUnknownSymbolStopsTheImportAfterTheCommittedBatches) {
    const auto rows = MakeRows(25, {a_, b_});
    Row bad = rows[14];
    bad.symbol = a_ + "NOPE";
    ExpectBadRow15StopsAfterTheFirstBatch(
        rows, CsvLine(bad),
        {bad.symbol, "line 16 (symbol)", "lines 12-21 not imported", "earlier batches are committed"});
}

// A Windows file with blank lines: line ends and blank lines are not data, and progress counts
// only the rows.
TEST_F(ImportCli, WindowsLineEndsAndBlankLinesImportLikeAPlainFile) {
    const auto rows = MakeRows(25, {a_, b_});
    auto r = RunCli({"import", "prices", WriteCsv(rows, {}, "\r\n", 7), "--batch", "10"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("imported 25 rows (25 new, 0 already present)"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("100% 25/25 rows"), std::string::npos) << r.err;
    ExpectStoredEqual(rows);
}

TEST_F(ImportCli, KindIndexWritesMarketIndices) {
    const auto rows = MakeRows(12, {x_});
    const auto csv = WriteCsv(rows);
    // an index is not a stock: the default kind refuses it and writes nothing
    auto as_stock = RunCli({"import", "prices", csv, "--batch", "5"});
    EXPECT_NE(as_stock.exit_code, 0);
    EXPECT_NE(as_stock.err.find("symbol"), std::string::npos) << as_stock.err;
    ExpectStoredEqual({}, true);

    auto r = RunCli({"import", "prices", csv, "--kind", "index", "--batch", "5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("imported 12 rows (12 new, 0 already present)"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("100% 12/12 rows"), std::string::npos) << r.err;
    ExpectStoredEqual(rows, true);
    EXPECT_EQ(RedisGet(PriceKey(x_)).has_value(), true);
}

}  // namespace
}  // namespace nn::market
