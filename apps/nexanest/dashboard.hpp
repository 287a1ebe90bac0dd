#pragma once

#include <filesystem>

namespace nn {
class App;
}
namespace nn::runtime {
struct Config;
}

namespace nn::app {

// Where the built web dashboard is: Config::web_dir when set; otherwise web/dist under the
// working directory (`make run` runs from the repository), else under the source tree this
// binary was built from.
std::filesystem::path DashboardDir(const runtime::Config& config);

// Serves the dashboard at "/" (http::StaticFilesMiddleware), loaded into memory now.
void ServeDashboard(App& app);

}  // namespace nn::app
