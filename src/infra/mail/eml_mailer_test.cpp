#include "infra/mail/eml_mailer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "infra/mail/mail_test_util.hpp"
#include "infra/mail/templates.hpp"
#include "infra/runtime/config.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::mail {
namespace {

using namespace test_util;
using nn::test::RunAwaitable;

std::vector<fs::path> Files(const fs::path& dir) {
    std::vector<fs::path> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
    return out;
}

runtime::Config SinkConfig(const fs::path& var) {
    runtime::Config c;
    c.var_dir = var.string();
    c.mail_from = "NexaNest Team <no-reply@nexanest.localhost>";
    return c;
}

TEST(EmlMailer, WritesOneParsableFilePerMessage) {
    TempDir var;
    asio::io_context io;
    auto mailer = MakeMailer(SinkConfig(var.Path()), io.get_executor());
    std::string subject = "V\xc3\xa9rifiez votre adresse \xe2\x80\x94 NexaNest";
    std::string text = "Hello,\n\n.a line starting with a dot\nlong " + std::string(120, 'x') +
                       "\ncaf\xc3\xa9 = 5 \xe2\x82\xac \nend\n";
    std::string html = "<p>caf\xc3\xa9 &amp; <b>bold</b></p>\n";
    RunAwaitable(io, mailer->Send({"ann@example.com", subject, text, html, "verification"}));

    auto files = Files(var.Path() / "mail");
    ASSERT_EQ(files.size(), 1u);
    auto name = files[0].filename().string();
    EXPECT_TRUE(std::regex_match(name, std::regex(R"(\d{8}T\d{6}\.\d{3}Z-verification-[0-9a-f]{12}\.eml)")))
        << name;
    struct stat st {};
    ASSERT_EQ(stat(files[0].c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // the file holds a single-use token

    auto parsed = ParseEml(files[0]);
    EXPECT_TRUE(parsed.at("defects").as_array().empty()) << boost::json::serialize(parsed);
    EXPECT_TRUE(parsed.at("part_defects").as_array().empty()) << boost::json::serialize(parsed);
    EXPECT_TRUE(parsed.at("crlf_only").as_bool());
    EXPECT_TRUE(parsed.at("ascii").as_bool());
    EXPECT_LE(parsed.at("max_line").as_int64(), 78);
    EXPECT_EQ(Header(parsed, "from"), "NexaNest Team <no-reply@nexanest.localhost>");
    EXPECT_EQ(Header(parsed, "to"), "ann@example.com");
    EXPECT_EQ(Header(parsed, "subject"), subject);
    EXPECT_EQ(Header(parsed, "mime-version"), "1.0");
    EXPECT_TRUE(
        std::regex_match(Header(parsed, "message-id"), std::regex(R"(<[0-9a-f]{32}@nexanest\.localhost>)")));
    EXPECT_TRUE(std::regex_match(
        Header(parsed, "date"),
        std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000)")))
        << Header(parsed, "date");
    for (const char* h : {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"})
        EXPECT_EQ(parsed.at("header_count").as_object().at(h).as_int64(), 1) << h;
    EXPECT_EQ(Str(parsed, "content_type"), "multipart/alternative");
    EXPECT_EQ(Lf(Str(parsed, "text")), text);
    EXPECT_EQ(Lf(Str(parsed, "html")), html);
    EXPECT_EQ(Str(parsed, "text_cte"), "quoted-printable");
}

TEST(EmlMailer, TextOnlyMessage) {
    TempDir var;
    asio::io_context io;
    auto mailer = MakeMailer(SinkConfig(var.Path()), io.get_executor());
    RunAwaitable(io,
                 mailer->Send({"bob@example.com", "Plain", "just text\n", std::nullopt, "Password Reset!"}));
    auto files = Files(var.Path() / "mail");
    ASSERT_EQ(files.size(), 1u);
    // The kind is reduced to safe file-name characters.
    EXPECT_NE(files[0].filename().string().find("-password_reset_-"), std::string::npos) << files[0];
    auto parsed = ParseEml(files[0]);
    EXPECT_EQ(Str(parsed, "content_type"), "text/plain");
    EXPECT_EQ(Lf(Str(parsed, "text")), "just text\n");
    EXPECT_TRUE(parsed.at("html").is_null());
}

TEST(EmlMailer, RejectsInjectionAndWritesNothing) {
    TempDir var;
    asio::io_context io;
    auto mailer = MakeMailer(SinkConfig(var.Path()), io.get_executor());
    for (const auto& m : {Message{"a@b.c", "Hi\r\nBcc: evil@x.io", "b", std::nullopt, "t"},
                          Message{"a@b.c\nBcc: evil@x.io", "Hi", "b", std::nullopt, "t"}}) {
        try {
            RunAwaitable(io, mailer->Send(m));
            ADD_FAILURE() << "sent";
        } catch (const Error& e) {
            EXPECT_EQ(e.Code(), "mail.bad_header");
            EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
        }
    }
    EXPECT_TRUE(Files(var.Path() / "mail").empty());
}

asio::awaitable<void> SendBulk(Mailer& mailer, int n, std::string body) {
    for (int i = 0; i < n; ++i) {
        Message m{"a@b.c", "n" + std::to_string(i), body, std::string("<p>x</p>"), "bulk"};
        co_await mailer.Send(std::move(m));
    }
}

// A reader polling the directory never sees a partial message: every *.eml it finds is whole.
TEST(EmlMailer, FilesAppearAtomically) {
    TempDir var;
    auto dir = var.Path() / "mail";
    asio::io_context io;
    auto mailer = MakeMailer(SinkConfig(var.Path()), io.get_executor());
    constexpr int kMessages = 40;
    std::atomic<bool> done{false};
    std::atomic<int> partial{0};
    std::set<std::string> seen;
    std::thread watcher([&] {
        while (!done.load()) {
            for (const auto& p : Files(dir)) {
                if (p.extension() != ".eml") continue;
                auto content = ReadFile(p);
                // The last line of a multipart message is the closing boundary.
                if (content.rfind("\r\n--=_nn_") == std::string::npos || !content.ends_with("--\r\n"))
                    ++partial;
                seen.insert(p.filename().string());
            }
        }
    });
    std::string big_body(200'000, 'y');
    RunAwaitable(io, SendBulk(*mailer, kMessages, big_body));
    done = true;
    watcher.join();
    EXPECT_EQ(partial.load(), 0);
    EXPECT_GT(seen.size(), 0u);
    auto files = Files(dir);
    EXPECT_EQ(files.size(), static_cast<std::size_t>(kMessages));
    for (const auto& p : files) EXPECT_EQ(p.extension(), ".eml") << "left behind: " << p;
}

// The ways callers pass a message inside a coroutine (mailer.hpp: not a braced temporary, which
// GCC 12 miscompiles inside co_await).
asio::awaitable<void> SendInEveryShape(Mailer& mailer) {
    co_await mailer.Send(VerificationEmail("http://h", "a@b.c", "tok", std::chrono::hours(1)));
    Message named{"a@b.c", "named", "body\n", std::nullopt, "named"};
    co_await mailer.Send(named);
    co_await mailer.Send(std::move(named));
}

TEST(EmlMailer, CallerShapes) {
    TempDir var;
    asio::io_context io;
    auto mailer = MakeMailer(SinkConfig(var.Path()), io.get_executor());
    RunAwaitable(io, SendInEveryShape(*mailer));
    EXPECT_EQ(Files(var.Path() / "mail").size(), 3u);
}

TEST(EmlMailer, UnwritableDirectoryIsUnavailable) {
    TempDir var;
    auto blocker = var.Path() / "file";
    { std::ofstream(blocker) << "x"; }
    asio::io_context io;
    auto mailer = MakeMailer(SinkConfig(blocker), io.get_executor());  // <file>/mail cannot exist
    try {
        RunAwaitable(io, mailer->Send({"a@b.c", "s", "b", std::nullopt, "t"}));
        ADD_FAILURE() << "sent";
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "mail.unavailable");
        EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
    }
}

// Without SMTP, `make run` shows each verification and reset link on its console.
TEST(EmlMailer, LogsTheLinkOfEachMessage) {
    TempDir var;
    asio::io_context io;
    auto mailer = MakeMailer(SinkConfig(var.Path()), io.get_executor());
    std::ostringstream lines;
    auto previous = spdlog::default_logger();
    auto capture =
        std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines));
    capture->set_level(spdlog::level::info);
    spdlog::set_default_logger(capture);
    auto verification =
        VerificationEmail("http://127.0.0.1:8080", "ann@example.com", "tok-1", std::chrono::hours(24));
    RunAwaitable(io, mailer->Send(verification));
    auto reset =
        PasswordResetEmail("http://127.0.0.1:8080/", "bob@example.com", "tok-2", std::chrono::minutes(30));
    RunAwaitable(io, mailer->Send(reset));
    spdlog::set_default_logger(previous);
    const std::string log = lines.str();
    EXPECT_NE(log.find("mail to ann@example.com: Confirm your email address for NexaNest \xe2\x80\x94 "
                       "http://127.0.0.1:8080/#/verify?token=tok-1\n"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("mail to bob@example.com: Reset your NexaNest password \xe2\x80\x94 "
                       "http://127.0.0.1:8080/#/reset?token=tok-2\n"),
              std::string::npos)
        << log;
}

TEST(MakeMailer, RejectsBadConfiguration) {
    asio::io_context io;
    runtime::Config c;
    c.mail_from = "not an address";
    try {
        MakeMailer(c, io.get_executor());
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "config.invalid");
    }
    runtime::Config s;
    s.smtp_url = Secret("smtp://u:hunter2secret@mail.example.com?starttls=never");
    try {
        MakeMailer(s, io.get_executor());
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "config.invalid");
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
    }
}

}  // namespace
}  // namespace nn::mail
