// `nexanest user create` takes the password from a file or standard input, never from argv,
// where `ps` shows it to every user of the machine (issue 15, item 12). Runs the built binary.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "auth/auth_fixture.hpp"

#ifndef NN_NEXANEST_BIN
#error "NN_NEXANEST_BIN (the nexanest binary's path) is set by src/auth/CMakeLists.txt"
#endif

namespace nn::auth {
namespace {

using testing::Harness;

struct Run {
    int exit_code = -1;
    std::string output;
};

// `stdin_text | nexanest <args>` with the harness's database set; stdout and stderr together.
Run Cli(const Harness& h, const std::string& args, const std::string& stdin_text = "") {
    const auto& c = h.config();
    const std::string command = "printf '%s\\n' '" + stdin_text + "' | env NEXANEST_DATABASE_URL='" +
                                c.database_url.Reveal() + "' NEXANEST_DATABASE_PREFIX='" + c.database_prefix +
                                "' NEXANEST_DB_SERVICE_PASSWORD='" + c.db_service_password.Reveal() + "' " +
                                NN_NEXANEST_BIN + " " + args + " 2>&1";
    Run run;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) run.output += buffer.data();
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

TEST(OperatorCli, UserCreateReadsThePasswordFromStdinOrAFileNeverArgv) {
    Harness h;
    const std::string stdin_email = test::UniqueName("cli_in_") + "@example.com";
    const std::string file_email = test::UniqueName("cli_file_") + "@example.com";

    auto argv =
        Cli(h, "user create --email " + stdin_email + " --password 'correct horse battery' --role ADMIN");
    EXPECT_NE(argv.exit_code, 0) << argv.output;
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.users WHERE email = '" + stdin_email + "'"), "0");

    auto in = Cli(h, "user create --email " + stdin_email + " --password-file - --role ADMIN",
                  "correct horse battery");
    EXPECT_EQ(in.exit_code, 0) << in.output;
    EXPECT_EQ(h.Scalar("SELECT role FROM auth.users WHERE email = '" + stdin_email + "'"), "ADMIN");
    EXPECT_EQ(h.Login(stdin_email).count("access_token"), 1u);

    const auto path = std::filesystem::temp_directory_path() / test::UniqueName("cli_pw_");
    std::ofstream(path) << "another good passphrase\n";
    auto file = Cli(h, "user create --email " + file_email + " --password-file " + path.string());
    std::filesystem::remove(path);
    EXPECT_EQ(file.exit_code, 0) << file.output;
    EXPECT_EQ(h.Login(file_email, "another good passphrase").count("access_token"), 1u);

    auto missing = Cli(h, "user create --email x" + file_email + " --password-file /nonexistent/pw");
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.output.find("password file"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace nn::auth
