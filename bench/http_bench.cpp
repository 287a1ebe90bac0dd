// HTTP server overhead: requests/s of a trivial route through nn::http::Server with every built-in
// middleware on (request id, access log, CORS, problem mapper, authenticator, rate limiter) against
// a bare Beast coroutine server answering the same bytes, both on the same two io_context threads
// and both driven by the same wrk command in this run. Prints both figures and their ratio.
//
//   nn_bench_http [seconds=5] [connections=64] [rounds=3]

#include <sys/resource.h>

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

#include "infra/http/server.hpp"

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

}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
    const int connections = argc > 2 ? std::atoi(argv[2]) : 64;
    const int rounds = std::max(1, argc > 3 ? std::atoi(argv[3]) : 3);
    if (std::system("wrk --version > /dev/null 2>&1") != 0 &&
        std::system("command -v wrk > /dev/null") != 0) {
        std::fprintf(stderr, "wrk is not installed\n");
        return 1;
    }
    Shards shards(2);

    tcp::acceptor bare(*shards.Pointers()[0], {asio::ip::make_address("127.0.0.1"), 0});
    const std::uint16_t bare_port = bare.local_endpoint().port();
    asio::co_spawn(*shards.Pointers()[0], BareAccept(bare, shards.Pointers()), asio::detached);

    std::atomic<std::uint64_t> logged{0};
    nn::http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.cors.allowed_origins = {"https://app.example"};
    // A sink that formats like a real one would, without paying for terminal output.
    options.access_log = [&logged](const nn::http::AccessLogEntry& e) {
        char line[256];
        std::snprintf(line, sizeof line, "%.*s %.*s %d %lld", static_cast<int>(e.method.size()),
                      e.method.data(), static_cast<int>(e.path.size()), e.path.data(), e.status,
                      static_cast<long long>(e.duration.count()));
        logged.fetch_add(line[0] != '\0', std::memory_order_relaxed);
    };
    options.authenticator = [](nn::http::Request& request) -> asio::awaitable<void> {
        if (!request.Header("Authorization").empty()) request.principal = std::string("someone");
        co_return;
    };
    options.rate_limiter = [](nn::http::Request&) -> asio::awaitable<std::optional<std::chrono::seconds>> {
        co_return std::nullopt;
    };
    nn::http::Server server(shards.Pointers(), options);
    server.Routes().Get("/bench", [](nn::http::Request&) -> asio::awaitable<nn::http::Response> {
        co_return nn::http::Response(200, kBody, "application/json");
    });
    const std::uint16_t port = server.Start();

    std::printf("wrk -t2 -c%d -d%ds, 2 server threads (io_contexts), %d rounds, alternating\n", connections,
                seconds, rounds);
    std::vector<double> bare_rps, ours_rps, ratios;
    for (int round = 1; round <= rounds; ++round) {
        const auto b = RunWrk(bare_port, seconds, connections);
        const auto o = RunWrk(port, seconds, connections);
        if (!b || !o) {
            std::fprintf(stderr, "wrk produced no Requests/sec line\n");
            return 1;
        }
        std::printf("round %d: bare Beast %.0f req/s, nn::http full chain %.0f req/s, ratio %.3f\n", round,
                    *b, *o, *o / *b);
        bare_rps.push_back(*b);
        ours_rps.push_back(*o);
        ratios.push_back(*o / *b);
    }
    // Each round runs both servers back to back, so its ratio sees the same machine load; the
    // median of those ratios is the figure to quote on a shared machine.
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    std::printf("median: bare Beast %.0f req/s, nn::http %.0f req/s, ratio %.3f (access-log lines %llu)\n",
                median(bare_rps), median(ours_rps), median(ratios),
                static_cast<unsigned long long>(logged.load()));
    std::printf("peak RSS of the process (both servers): %.1f MiB\n", PeakRssMiB());
    server.Stop(std::chrono::seconds(2));
    std::promise<void> closed;
    asio::post(*shards.Pointers()[0], [&] {
        beast::error_code ignored;
        bare.close(ignored);
        closed.set_value();
    });
    closed.get_future().wait();
    return 0;
}
