// HTTP server overhead: requests/s of a trivial route through nn::http::Server with every built-in
// middleware on (request id, access log, CORS, problem mapper, authenticator, rate limiter) against
// a bare Beast coroutine server answering the same bytes, all on the same two io_context threads
// and driven by the same wrk command in this run. Prints the figures and their ratios:
//   1. the full chain (access log on, as the app runs it) / bare Beast,
//   2. access log on / the same server with it off (issue 16: goal >= 0.9), and for comparison a
//      synchronous spdlog line per request (what the access log was before) / off.
//
//   nn_bench_http [seconds=4] [connections=64] [rounds=5]

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "bench/median.hpp"
#include "infra/http/server.hpp"
#include "infra/runtime/logging.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// About 100 bytes, as in notes/machine-limits.md's Beast and nginx runs.
const std::string kBody =
    R"({"status":"ok","service":"nexanest","items":[1,2,3,4,5],"note":"benchmark payload of ~100 bytes"})";

class Shards {
public:
    explicit Shards(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            contexts_.push_back(std::make_unique<asio::io_context>(1));
            guards_.emplace_back(contexts_.back()->get_executor());
        }
        for (auto& c : contexts_) threads_.emplace_back([ctx = c.get()] { ctx->run(); });
    }
    ~Shards() {
        guards_.clear();
        for (auto& c : contexts_) c->stop();
        for (auto& t : threads_) t.join();
    }
    std::vector<asio::io_context*> Pointers() const {
        std::vector<asio::io_context*> out;
        for (const auto& c : contexts_) out.push_back(c.get());
        return out;
    }

private:
    std::vector<std::unique_ptr<asio::io_context>> contexts_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
    std::vector<std::thread> threads_;
};

// The physical limit: the Beast 1.81 coroutine session loop of notes/cpp-anchors.md d5, nothing else.
asio::awaitable<void> BareSession(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request<bhttp::string_body> request;
        stream.expires_after(std::chrono::seconds(30));
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, request, kTuple);
        if (ec) break;
        bhttp::response<bhttp::string_body> response{bhttp::status::ok, request.version()};
        response.set(bhttp::field::content_type, "application/json");
        response.keep_alive(request.keep_alive());
        response.body() = kBody;
        response.prepare_payload();
        auto [wec, wn] = co_await bhttp::async_write(stream, response, kTuple);
        if (wec || !request.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> BareAccept(tcp::acceptor& acceptor, std::vector<asio::io_context*> contexts) {
    for (std::size_t next = 0;; ++next) {
        auto [ec, socket] = co_await acceptor.async_accept(*contexts[next % contexts.size()], kTuple);
        if (ec) break;
        auto executor = socket.get_executor();
        asio::co_spawn(executor, BareSession(std::move(socket)), asio::detached);
    }
}

std::optional<double> RunWrk(std::uint16_t port, int seconds, int connections) {
    const std::string command = "wrk -t2 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) +
                                "s http://127.0.0.1:" + std::to_string(port) + "/bench 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return std::nullopt;
    std::optional<double> rps;
    std::array<char, 512> line;
    while (std::fgets(line.data(), line.size(), pipe) != nullptr) {
        double value = 0;
        if (std::sscanf(line.data(), "Requests/sec: %lf", &value) == 1) rps = value;
        if (std::string(line.data()).find("Non-2xx") != std::string::npos) std::fputs(line.data(), stderr);
    }
    pclose(pipe);
    return rps;
}

double PeakRssMiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

nn::http::ServerOptions Options(nn::http::AccessLogSink sink) {
    nn::http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.cors.allowed_origins = {"https://app.example"};
    options.access_log = std::move(sink);
    options.authenticator = [](nn::http::Request& request) -> asio::awaitable<void> {
        if (!request.Header("Authorization").empty()) request.principal = std::string("someone");
        co_return;
    };
    options.rate_limiter = [](nn::http::Request&) -> asio::awaitable<std::optional<std::chrono::seconds>> {
        co_return std::nullopt;
    };
    return options;
}

using nn::bench::Median;

}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 4;
    const int connections = argc > 2 ? std::atoi(argv[2]) : 64;
    const int rounds = std::max(1, argc > 3 ? std::atoi(argv[3]) : 5);
    if (std::system("wrk --version > /dev/null 2>&1") != 0 &&
        std::system("command -v wrk > /dev/null") != 0) {
        std::fprintf(stderr, "wrk is not installed\n");
        return 1;
    }
    Shards shards(2);

    tcp::acceptor bare(*shards.Pointers()[0], {asio::ip::make_address("127.0.0.1"), 0});
    const std::uint16_t bare_port = bare.local_endpoint().port();
    asio::co_spawn(*shards.Pointers()[0], BareAccept(bare, shards.Pointers()), asio::detached);

    // The access log as the app writes it (runtime::AccessLogger's batching sink), into a file
    // so that the run pays real write(2)s; and, for comparison, what it used to be: a
    // synchronous spdlog line per request, written and flushed under the sink's lock.
    const std::string log_path = "/tmp/nn_bench_http_access_" + std::to_string(::getpid()) + ".log";
    const std::string sync_path = log_path + ".sync";
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (log_fd < 0) {
        std::perror("open access log");
        return 1;
    }
    auto batching = nn::runtime::MakeBatchingLogger("bench.access", log_fd, nn::runtime::LogFormat::kText);
    auto sync = std::make_shared<spdlog::logger>(
        "bench.sync", std::make_shared<spdlog::sinks::basic_file_sink_mt>(sync_path, true));
    sync->flush_on(spdlog::level::info);

    const auto route = [](nn::http::Request&) -> asio::awaitable<nn::http::Response> {
        co_return nn::http::Response(200, kBody, "application/json");
    };
    struct Variant {
        const char* name;
        std::unique_ptr<nn::http::Server> server;
        std::uint16_t port = 0;
        std::vector<double> rps;
    };
    std::vector<Variant> variants;
    variants.push_back({"access log off", nullptr});
    variants.push_back({"access log on (batched)", nullptr});
    variants.push_back({"access log, a synchronous write per line", nullptr});
    variants[0].server = std::make_unique<nn::http::Server>(shards.Pointers(), Options(nullptr));
    variants[1].server =
        std::make_unique<nn::http::Server>(shards.Pointers(), Options(nn::http::SpdlogAccessLog(batching)));
    variants[2].server =
        std::make_unique<nn::http::Server>(shards.Pointers(), Options(nn::http::SpdlogAccessLog(sync)));
    for (auto& v : variants) {
        v.server->Routes().Get("/bench", route);
        v.port = v.server->Start();
    }

    std::printf("wrk -t2 -c%d -d%ds, 2 server threads (io_contexts), %d rounds, alternating\n", connections,
                seconds, rounds);
    std::vector<double> bare_rps, chain_ratios, log_ratios, sync_ratios;
    for (int round = 1; round <= rounds; ++round) {
        // Every server runs once per round; the order rotates, so no variant always follows the
        // same one (the previous run's closing connections cost the next a little).
        std::vector<double> rps(variants.size() + 1, 0);
        std::printf("round %d:", round);
        for (std::size_t k = 0; k < rps.size(); ++k) {
            const std::size_t i = (k + static_cast<std::size_t>(round)) % rps.size();
            const auto o = RunWrk(i == 0 ? bare_port : variants[i - 1].port, seconds, connections);
            if (!o) {
                std::fprintf(stderr, "\nwrk produced no Requests/sec line\n");
                return 1;
            }
            rps[i] = *o;
            std::printf(" %s %.0f,", i == 0 ? "bare Beast" : variants[i - 1].name, *o);
        }
        std::printf("\n");
        bare_rps.push_back(rps[0]);
        for (std::size_t i = 0; i < variants.size(); ++i) variants[i].rps.push_back(rps[i + 1]);
        // Ratios within one round see the same machine load; their median is the figure to
        // quote on a shared machine.
        chain_ratios.push_back(rps[2] / rps[0]);
        log_ratios.push_back(rps[2] / rps[1]);
        sync_ratios.push_back(rps[3] / rps[1]);
    }
    std::printf("median: bare Beast %.0f req/s, nn::http (access log on) %.0f req/s: ratio %.3f\n",
                Median(bare_rps), Median(variants[1].rps), Median(chain_ratios));
    std::printf(
        "access log cost: on %.0f req/s vs off %.0f req/s: ratio %.3f (goal >= 0.9); "
        "synchronous line per request: ratio %.3f; dropped lines %llu\n",
        Median(variants[1].rps), Median(variants[0].rps), Median(log_ratios), Median(sync_ratios),
        static_cast<unsigned long long>(nn::runtime::DroppedLines(*batching)));
    std::printf("peak RSS of the process (all servers): %.1f MiB\n", PeakRssMiB());
    for (auto& v : variants) v.server->Stop(std::chrono::seconds(2));
    std::promise<void> closed;
    asio::post(*shards.Pointers()[0], [&] {
        beast::error_code ignored;
        bare.close(ignored);
        closed.set_value();
    });
    closed.get_future().wait();
    batching->flush();
    ::close(log_fd);
    std::remove(log_path.c_str());
    std::remove(sync_path.c_str());
    return 0;
}
