#include "apps/nexanest/dashboard.hpp"

#include <system_error>

#include "infra/app/app.hpp"
#include "infra/http/static_files.hpp"

namespace nn::app {
namespace fs = std::filesystem;

fs::path DashboardDir(const runtime::Config& config) {
    if (!config.web_dir.empty()) return config.web_dir;
    std::error_code ec;
    if (fs::is_directory("web/dist", ec)) return fs::absolute("web/dist", ec);
    return fs::path(NN_SOURCE_DIR) / "web" / "dist";
}

void ServeDashboard(App& app) {
    http::StaticFilesOptions options;
    options.root = DashboardDir(app.Config());
    app.Server().Use(http::StaticFilesMiddleware(http::StaticFiles::Load(options)));
}

}  // namespace nn::app
