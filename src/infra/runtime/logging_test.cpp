#include "infra/runtime/logging.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace nn::runtime {
namespace {

TEST(LoggingTest, JsonEscapeTable) {
    struct Case {
        std::string in, out;
    };
    for (const auto& c : std::vector<Case>{{"plain", "plain"},
                                           {"a\"b", "a\\\"b"},
                                           {"back\\slash", "back\\\\slash"},
                                           {"line\nbreak\r\t", "line\\nbreak\\r\\t"},
                                           {std::string("nul\0x", 5), "nul\\u0000x"},
                                           {"\x1f", "\\u001f"},
                                           {"é", "é"}}) {
        EXPECT_EQ(JsonEscape(c.in), c.out) << c.in;
    }
}

std::string ReadAll(const std::string& path) {
    std::ifstream in(path);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

// The access log's batching logger: every line arrives whole, in order per thread, formatted
// like the process log, and a flush writes what is buffered.
TEST(LoggingTest, BatchingLoggerWritesEveryLineWhole) {
    const std::string path = ::testing::TempDir() + "nn_batching_" + std::to_string(::getpid()) + ".log";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    ASSERT_GE(fd, 0);
    {
        auto logger = MakeBatchingLogger("test.access", fd, LogFormat::kJson);
        std::vector<std::thread> threads;
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back([&logger, t] {
                for (int i = 0; i < 20000; ++i) logger->info("t{} line {} \"quoted\"", t, i);
            });
        }
        for (auto& t : threads) t.join();
        logger->flush();
        EXPECT_EQ(DroppedLines(*logger), 0u);
        const std::string text = ReadAll(path);
        std::istringstream lines(text);
        std::string line;
        int seen[2] = {0, 0};
        while (std::getline(lines, line)) {
            ASSERT_EQ(line.rfind(R"({"ts":")", 0), 0u) << line;
            ASSERT_NE(line.find(R"(\"quoted\"")"), std::string::npos) << line;
            const int t = line.find("\"msg\":\"t1 ") != std::string::npos ? 1 : 0;
            EXPECT_NE(line.find("line " + std::to_string(seen[t]) + " "), std::string::npos) << line;
            ++seen[t];
        }
        EXPECT_EQ(seen[0], 20000);
        EXPECT_EQ(seen[1], 20000);
        logger->info("after the flush");
    }
    // Destroying the logger writes what was still buffered.
    EXPECT_NE(ReadAll(path).find("after the flush"), std::string::npos);
    ::close(fd);
    std::remove(path.c_str());
}

}  // namespace
}  // namespace nn::runtime
