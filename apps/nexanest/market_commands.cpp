#include "apps/nexanest/market_commands.hpp"

#include "apps/nexanest/progress.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/runtime/logging.hpp"
#include "market/model.hpp"
#include "market/pg_repository.hpp"
#include "market/service.hpp"

namespace nn::app {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;

// One shard, an App for its configuration logic (URLs, pools, Redis), and the market service.
class Direct {
public:
    explicit Direct(const runtime::Config& config) : app_(config, {&io_}) {
        repo_ =
            std::make_unique<market::PgRepository>(app_.Db(ServiceRole::kMarket, Database::kTimescale, 0));
        redis::Client* redis = nullptr;
        if (!config.redis_url.Empty()) redis = &app_.Redis(0);
        service_ = std::make_unique<market::MarketService>(*repo_, redis, market::MarketOptions{});
    }
    ~Direct() { app_.Db(ServiceRole::kMarket, Database::kTimescale, 0).Close(); }

    market::MarketService& Service() { return *service_; }

    template <class T>
    T Run(asio::awaitable<T> work) {
        auto fut = asio::co_spawn(io_, std::move(work), asio::use_future);
        while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
            io_.run_one_for(std::chrono::milliseconds(20));
        }
        return fut.get();
    }

private:
    asio::io_context io_{1};
    App app_;
    std::unique_ptr<market::PgRepository> repo_;
    std::unique_ptr<market::MarketService> service_;
};

std::vector<std::string_view> SplitCsv(std::string_view line) {
    std::vector<std::string_view> out;
    while (true) {
        auto comma = line.find(',');
        out.push_back(line.substr(0, comma));
        if (comma == std::string_view::npos) break;
        line.remove_prefix(comma + 1);
    }
    return out;
}

// time,symbol,open,high,low,close,volume (open, high, low, volume may be empty).
market::PriceRow ParseCsvRow(std::string_view line, std::size_t line_no) {
    auto bad = [&](std::string_view what) {
        return Error(ErrorKind::kUnprocessable, "import.bad_row", fmt::format("line {}: {}", line_no, what));
    };
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto f = SplitCsv(line);
    if (f.size() != 7) throw bad("expected 7 fields: time,symbol,open,high,low,close,volume");
    market::PriceRow row;
    auto t = ParseRfc3339(f[0]);
    if (!t) throw bad("time is not RFC 3339");
    row.time = *t;
    row.symbol = std::string(f[1]);
    auto price = [&](std::string_view name, std::string_view text) -> std::optional<Decimal> {
        if (text.empty()) return std::nullopt;
        auto p = market::ParsePrice(text);
        if (!p.value) throw bad(fmt::format("{}: {}", name, p.message));
        return p.value;
    };
    row.open = price("open", f[2]);
    row.high = price("high", f[3]);
    row.low = price("low", f[4]);
    auto close = price("close", f[5]);
    if (!close) throw bad("close is required");
    row.close = *close;
    if (!f[6].empty()) {
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(f[6].data(), f[6].data() + f[6].size(), v);
        if (ec != std::errc() || p != f[6].data() + f[6].size()) throw bad("volume is not a whole number");
        row.volume = v;
    }
    return row;
}

struct ImportArgs {
    std::string file;
    std::string kind = "stock";
    std::size_t batch = 200'000;
};

// A refused batch as the import's error: each row named by its file line (`lines`: the file line
// of each batch row) instead of its index prices[i].
Error RejectedBatch(const Error& e, const std::vector<std::size_t>& lines) {
    std::string detail = e.what();
    std::optional<std::size_t> first_line;
    for (const auto& fe : e.FieldErrors()) {
        std::size_t index = 0;
        const std::string_view field = fe.field;
        const auto open = field.find('[');
        const auto close = field.find(']');
        std::string where = fe.field;
        if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
            const auto digits = field.substr(open + 1, close - open - 1);
            auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
            if (ec == std::errc() && p == digits.data() + digits.size() && index < lines.size()) {
                if (!first_line) first_line = lines[index];
                const auto rest = field.substr(close + 1);
                where = fmt::format("line {}{}", lines[index],
                                    rest.empty() ? "" : fmt::format(" ({})", rest.substr(1)));
            }
        }
        detail += "; " + where + ": " + fe.message;
    }
    return Error(ErrorKind::kUnprocessable, "import.rejected",
                 fmt::format("{} rejected, lines {}-{} not imported (earlier batches are committed; "
                             "re-running the import is safe): {}",
                             first_line ? fmt::format("line {}", *first_line) : std::string("a batch"),
                             lines.front(), lines.back(), detail));
}

void ImportPrices(const runtime::Config& config, const ImportArgs& args) {
    std::ifstream in(args.file);
    if (!in) throw Error(ErrorKind::kNotFound, "import.no_file", "cannot open " + args.file);
    // Windows line ends are accepted; blank lines are skipped and not counted.
    auto read_line = [&in](std::string& line) {
        if (!std::getline(in, line)) return false;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return true;
    };
    std::int64_t total = -1;  // data lines
    for (std::string line; read_line(line);) {
        if (!line.empty()) ++total;
    }
    in.clear();
    in.seekg(0);
    std::string header;
    read_line(header);
    if (header.rfind("time,symbol", 0) != 0) {
        throw Error(ErrorKind::kUnprocessable, "import.bad_header",
                    "line 1 must be the header time,symbol,open,high,low,close,volume");
    }
    const auto kind = args.kind == "index" ? market::SeriesKind::kIndex : market::SeriesKind::kStock;
    Direct direct(config);
    const auto start = Clock::now();
    std::int64_t done = 0;
    std::int64_t inserted = 0;
    std::size_t line_no = 1;
    std::vector<market::PriceRow> batch;
    std::vector<std::size_t> lines;  // the file line of each batch row
    auto flush = [&] {
        if (batch.empty()) return;
        try {
            auto r = direct.Run(direct.Service().IngestPricesUnlimited(kind, std::move(batch)));
            inserted += r.inserted;
            done += r.received;
        } catch (const Error& e) {
            // A refused batch (validation.failed, market.unknown_symbol) names its rows as
            // prices[i]: turn each into its file line. Other failures (database, Redis) say
            // nothing about rows and end the import as they are.
            if (e.FieldErrors().empty()) throw;
            throw RejectedBatch(e, lines);
        }
        batch.clear();
        lines.clear();
        PrintProgress(done, total, start);
    };
    for (std::string line; read_line(line);) {
        ++line_no;
        if (line.empty()) continue;
        batch.push_back(ParseCsvRow(line, line_no));
        lines.push_back(line_no);
        if (batch.size() >= args.batch) flush();
    }
    flush();
    std::cerr << '\n';
    std::cout << fmt::format("imported {} rows ({} new, {} already present) in {:.1f} s\n", done, inserted,
                             done - inserted, std::chrono::duration<double>(Clock::now() - start).count());
}

// A minimal blocking HTTP/1.1 client for the simulator's --http mode.
class HttpPoster {
public:
    HttpPoster(const std::string& url, std::string api_key) : api_key_(std::move(api_key)), socket_(io_) {
        auto u = boost::urls::parse_uri(url);
        if (!u)
            throw Error(ErrorKind::kUnprocessable, "cli.bad_url",
                        "--http must be a URL like http://127.0.0.1:8080");
        host_ = std::string(u->host());
        port_ = u->has_port() ? std::string(u->port()) : "80";
        Connect();
    }
    int Post(const std::string& target, const std::string& body, std::string* response_body = nullptr) {
        namespace bhttp = boost::beast::http;
        bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
        req.set(bhttp::field::host, host_);
        req.set(bhttp::field::content_type, "application/json");
        // API keys (nnk_...) have their own scheme; anything else is taken for an access token.
        req.set(bhttp::field::authorization,
                (api_key_.starts_with("nnk_") ? "ApiKey " : "Bearer ") + api_key_);
        req.body() = body;
        req.prepare_payload();
        bhttp::write(socket_, req);
        bhttp::response<bhttp::string_body> res;
        bhttp::read(socket_, buffer_, res);
        if (response_body != nullptr) *response_body = res.body();
        if (!res.keep_alive()) {
            socket_.close();
            Connect();
        }
        return res.result_int();
    }

private:
    void Connect() {
        asio::ip::tcp::resolver resolver(io_);
        asio::connect(socket_, resolver.resolve(host_, port_));
    }
    asio::io_context io_;
    std::string host_;
    std::string port_;
    std::string api_key_;
    asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
};

struct SimulateArgs {
    int symbols = 50;
    double rate = 1000;    // ticks per second in all
    double duration = 10;  // seconds
    std::uint64_t seed = 42;
    std::string http_url;
    std::string api_key;
    bool direct = false;
    int batch_ms = 100;
};

// Geometric random walks: each symbol has its own volatility (10-60 % a year) and starts
// between 10 and 500. Doubles drive the simulation only; every price leaves as an exact decimal
// with 4 places. The same seed gives the same price paths.
class Walks {
public:
    Walks(int n, std::uint64_t seed) : rng_(seed) {
        std::uniform_real_distribution<double> start(10, 500);
        std::uniform_real_distribution<double> vol(0.10, 0.60);
        for (int i = 0; i < n; ++i) {
            price_.push_back(start(rng_));
            sigma_.push_back(vol(rng_));
        }
    }
    Decimal Step(std::size_t i, double dt_years) {
        std::normal_distribution<double> z(0, 1);
        const double s = sigma_[i];
        price_[i] *= std::exp(-0.5 * s * s * dt_years + s * std::sqrt(dt_years) * z(rng_));
        price_[i] = std::max(price_[i], 0.01);
        return Decimal::FromUnscaled(static_cast<__int128>(std::llround(price_[i] * 10'000)), 4);
    }

private:
    std::mt19937_64 rng_;
    std::vector<double> price_;
    std::vector<double> sigma_;
};

std::string SimSymbol(int i) {
    return fmt::format("SIM{:04}", i);
}

// Where simulated ticks go: the market service in this process (--direct) or the HTTP API (--http).
class TickSink {
public:
    TickSink(const runtime::Config& config, const SimulateArgs& args) {
        if (args.direct) {
            direct_ = std::make_unique<Direct>(config);
        } else {
            http_ = std::make_unique<HttpPoster>(args.http_url, args.api_key);
        }
    }

    // SIM0000 … as USD equities; those that exist already are kept.
    void CreateInstruments(int symbols) {
        for (int i = 0; i < symbols; ++i) {
            if (direct_) {
                market::Instrument inst;
                inst.symbol = SimSymbol(i);
                inst.name = "Simulated " + inst.symbol;
                inst.asset_class = "EQUITY";
                inst.currency = "USD";
                inst.exchange_timezone = "America/New_York";
                try {
                    direct_->Run(direct_->Service().CreateInstrument(inst));
                } catch (const Error& e) {
                    if (e.Code() != "market.instrument_exists") throw;
                }
                continue;
            }
            json::object inst{{"symbol", SimSymbol(i)},
                              {"name", "Simulated " + SimSymbol(i)},
                              {"asset_class", "EQUITY"},
                              {"currency", "USD"},
                              {"exchange_timezone", "America/New_York"}};
            // 201 created, 409 exists; 401/403: the key may only ingest, the instruments must exist
            http_->Post("/api/v1/market/instruments", json::serialize(inst));
        }
    }

    void Send(std::vector<market::PriceRow> rows) {
        if (direct_) {
            direct_->Run(
                direct_->Service().IngestPricesUnlimited(market::SeriesKind::kStock, std::move(rows)));
            return;
        }
        json::array prices;
        for (const auto& r : rows) {
            prices.push_back(json::object{{"time", FormatRfc3339(r.time)},
                                          {"symbol", r.symbol},
                                          {"close", r.close.ToString()},
                                          {"volume", *r.volume}});
        }
        std::string body;
        int status =
            http_->Post("/api/v1/market/prices", json::serialize(json::object{{"prices", prices}}), &body);
        if (status != 200) {
            throw Error(ErrorKind::kUnavailable, "feed.rejected",
                        fmt::format("the server answered {}: {}", status, body.substr(0, 500)));
        }
    }

private:
    std::unique_ptr<Direct> direct_;
    std::unique_ptr<HttpPoster> http_;
};

void Simulate(const runtime::Config& config, const SimulateArgs& args) {
    if (args.direct == !args.http_url.empty()) {
        throw Error(ErrorKind::kUnprocessable, "cli.bad_args", "give exactly one of --direct or --http URL");
    }
    if (args.symbols < 1 || args.symbols > 100'000 || args.rate <= 0 || args.duration <= 0) {
        throw Error(ErrorKind::kUnprocessable, "cli.bad_args",
                    "--symbols 1..100000, --rate > 0, --duration > 0");
    }
    TickSink sink(config, args);
    sink.CreateInstruments(args.symbols);
    Walks walks(args.symbols, args.seed);
    const auto start = Clock::now();
    const auto period = std::chrono::milliseconds(args.batch_ms);
    const double per_batch = args.rate * args.batch_ms / 1000.0;
    const double dt_years = 1.0 / (args.rate / args.symbols) / (252 * 6.5 * 3600);
    double owed = 0;
    std::int64_t sent = 0;
    std::size_t next_symbol = 0;
    const auto total = static_cast<std::int64_t>(args.rate * args.duration);
    auto next = start;
    while (Clock::now() - start < std::chrono::duration<double>(args.duration)) {
        owed += per_batch;
        const auto n = static_cast<std::int64_t>(owed);
        owed -= static_cast<double>(n);
        std::vector<market::PriceRow> rows;
        const Timestamp now = Now();
        for (std::int64_t k = 0; k < n; ++k) {
            const std::size_t s = next_symbol++ % static_cast<std::size_t>(args.symbols);
            // distinct microseconds keep (symbol, time) unique inside the batch
            rows.push_back(market::PriceRow{now + std::chrono::microseconds(k),
                                            SimSymbol(static_cast<int>(s)), std::nullopt, std::nullopt,
                                            std::nullopt, walks.Step(s, dt_years),
                                            static_cast<std::int64_t>(1 + (k * 37) % 500)});
        }
        if (!rows.empty()) {
            sink.Send(std::move(rows));
            sent += n;
        }
        PrintProgress(sent, total, start);
        next += period;
        std::this_thread::sleep_until(next);
    }
    std::cerr << '\n';
    std::cout << fmt::format("sent {} ticks for {} symbols in {:.1f} s\n", sent, args.symbols,
                             std::chrono::duration<double>(Clock::now() - start).count());
}

}  // namespace

void AddMarketCommands(CLI::App& app, const GlobalOptions& global) {
    // `import` may already exist (import transactions): add to it
    CLI::App* import = nullptr;
    try {
        import = app.get_subcommand("import");
    } catch (const CLI::OptionNotFound&) {
        import = app.add_subcommand("import", "Import data from files");
    }
    auto import_args = std::make_shared<ImportArgs>();
    auto* prices =
        import->add_subcommand("prices", "Import ticks/bars from a CSV file through the ingest pipeline");
    prices->add_option("file", import_args->file, "CSV with header time,symbol,open,high,low,close,volume")
        ->required();
    prices->add_option("--kind", import_args->kind, "stock (default) or index")
        ->check(CLI::IsMember({"stock", "index"}));
    prices->add_option("--batch", import_args->batch, "rows per committed batch (default 200000)")
        ->check(CLI::Range(1, 1'000'000));
    prices->callback([&global, import_args] {
        auto config = global.Load();
        runtime::InitLogging("warn", config.log_format);
        ImportPrices(config, *import_args);
    });

    auto* feed = app.add_subcommand("feed", "Market data feeds");
    auto sim = std::make_shared<SimulateArgs>();
    auto* simulate =
        feed->add_subcommand("simulate", "Simulated prices (geometric random walks) into the ingest paths");
    simulate->add_option("--symbols", sim->symbols, "number of symbols SIM0000... (default 50)");
    simulate->add_option("--rate", sim->rate, "ticks per second in all (default 1000)");
    simulate->add_option("--duration", sim->duration, "seconds (default 10)");
    simulate->add_option("--seed", sim->seed, "random seed: the same seed gives the same price paths");
    simulate->add_option("--http", sim->http_url, "POST batches to this server (http://host:port)");
    simulate->add_option("--api-key", sim->api_key, "API key (market:write) or admin token for --http");
    simulate->add_flag("--direct", sim->direct, "write through the database directly (binary COPY path)");
    simulate->add_option("--batch-ms", sim->batch_ms, "batch period in milliseconds (default 100)")
        ->check(CLI::Range(10, 10'000));
    simulate->callback([&global, sim] {
        auto config = global.Load();
        runtime::InitLogging("warn", config.log_format);
        Simulate(config, *sim);
    });
}

}  // namespace nn::app
