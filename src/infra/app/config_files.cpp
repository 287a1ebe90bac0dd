#include "infra/app/config_files.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include "core/error.hpp"

namespace nn::app {
namespace fs = std::filesystem;

namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool IsName(std::string_view s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char c : s) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

// The value after '=': quoted or bare. nullopt when a quote is not closed.
std::optional<std::string> Value(std::string_view v) {
    v = Trim(v);
    if (v.empty()) return std::string();
    if (v.front() == '\'') {
        auto end = v.find('\'', 1);
        if (end == std::string_view::npos) return std::nullopt;
        return std::string(v.substr(1, end - 1));
    }
    if (v.front() == '"') {
        std::string out;
        for (std::size_t i = 1; i < v.size(); ++i) {
            char c = v[i];
            if (c == '"') return out;
            if (c == '\\' && i + 1 < v.size()) {
                char next = v[i + 1];
                if (next == '"' || next == '\\' || next == '$' || next == '`') {
                    out.push_back(next);
                    ++i;
                    continue;
                }
            }
            out.push_back(c);
        }
        return std::nullopt;
    }
    return std::string(v);
}

}  // namespace

std::map<std::string, std::string> ParseEnvFile(std::string_view text) {
    std::map<std::string, std::string> out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = Trim(text.substr(0, nl));
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.empty() || line.front() == '#') continue;
        if (line.rfind("export ", 0) == 0) line = Trim(line.substr(7));
        auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view name = Trim(line.substr(0, eq));
        if (!IsName(name) || name.rfind("NEXANEST_", 0) != 0) continue;
        if (auto value = Value(line.substr(eq + 1))) out[std::string(name)] = std::move(*value);
    }
    return out;
}

fs::path SelfExe() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : p;
}

Layout DetectLayout(const fs::path& exe, const runtime::EnvLookup& env) {
    Layout layout;
    std::error_code ec;
    if (!exe.empty() && exe.parent_path().filename() == "bin") {
        fs::path prefix = exe.parent_path().parent_path();
        if (fs::is_directory(prefix / "share" / "nexanest" / "migrations", ec)) {
            layout.installed = true;
            layout.prefix = prefix;
            layout.share_dir = prefix / "share" / "nexanest";
            // /usr -> /etc (the Debian package); /opt/nexanest -> /opt/nexanest/etc. Relative to
            // the prefix, so a package unpacked under another root reads that root's etc.
            layout.config_dir =
                (prefix.filename() == "usr" ? prefix.parent_path() : prefix) / "etc" / "nexanest";
        }
    }
    if (auto dir = env("NEXANEST_CONFIG_DIR"); dir && !dir->empty()) layout.config_dir = *dir;
    if (!layout.config_dir.empty()) {
        layout.env_files.push_back(layout.config_dir / "nexanest.env");
        if (fs::is_regular_file(layout.config_dir / "nexanest.toml", ec))
            layout.toml_file = layout.config_dir / "nexanest.toml";
    } else {
        // What `make run` writes (scripts/run.sh, scripts/services.sh, scripts/app-secrets.sh).
        fs::path var = env("NEXANEST_VAR_DIR").value_or("var");
        for (const char* name : {"env.sh", "db-role-passwords.env", "app-secrets.env"})
            layout.env_files.push_back(var / name);
    }
    // An explicit list (':'-separated; empty: none) replaces the discovered one: the systemd
    // unit sets it empty, since it passed the root-only environment file itself.
    if (auto files = env("NEXANEST_ENV_FILES")) {
        layout.env_files.clear();
        std::string_view list = *files;
        while (!list.empty()) {
            auto colon = list.find(':');
            if (colon != 0) layout.env_files.emplace_back(list.substr(0, colon));
            if (colon == std::string_view::npos) break;
            list.remove_prefix(colon + 1);
        }
    }
    return layout;
}

runtime::EnvLookup WithEnvFiles(const Layout& layout, runtime::EnvLookup env) {
    std::map<std::string, std::string> values;
    for (const auto& path : layout.env_files) {
        std::error_code ec;
        if (!fs::exists(path, ec)) continue;
        std::ifstream in(path);
        if (!in) {
            throw Error(ErrorKind::kUnprocessable, "config.unreadable",
                        "configuration: cannot read " + path.string() +
                            " (run as a user that may, or set the NEXANEST_* variables yourself)");
        }
        std::stringstream text;
        text << in.rdbuf();
        for (auto& [name, value] : ParseEnvFile(text.str())) values[name] = std::move(value);
    }
    return [env = std::move(env),
            values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        if (auto v = env(name)) return v;
        if (auto it = values.find(name); it != values.end()) return it->second;
        return std::nullopt;
    };
}

runtime::Config LoadDiscoveredConfig(const std::optional<std::string>& toml_file,
                                     const runtime::EnvLookup& env,
                                     const Layout& layout,
                                     const std::vector<runtime::DomainSetting>& domain_settings) {
    auto lookup = WithEnvFiles(layout, env);
    std::optional<std::string> file = toml_file;
    if (!file && !lookup("NEXANEST_CONFIG") && layout.toml_file) file = layout.toml_file->string();
    runtime::Config config = runtime::LoadConfig(file, lookup, domain_settings);
    if (layout.installed) {
        if (config.migrations_dir == runtime::Config{}.migrations_dir)
            config.migrations_dir = (layout.share_dir / "migrations").string();
        if (config.web_dir.empty()) config.web_dir = (layout.share_dir / "web").string();
    }
    return config;
}

}  // namespace nn::app
