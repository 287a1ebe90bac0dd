#include "infra/http/static_files.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/percent_coding.hpp"
#include "core/text.hpp"

namespace nn::http {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kNotBuiltPage =
    "The NexaNest web dashboard is not built.\n\n"
    "`make run` builds it; by hand: `scripts/web-build.sh` (npm ci and npm run build in web/),\n"
    "then restart the server. NEXANEST_WEB_DIR points the server at another build.\n\n"
    "The REST API is served under /api/v1 (its description: /api/v1/openapi.json).\n";

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Calls f(item) for each comma-separated item of a header value, trimmed, empty ones skipped.
template <typename F>
void ForEachItem(std::string_view value, F f) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        const auto item = Trim(value.substr(0, comma));
        if (!item.empty()) f(item);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
}

// "q=0", "q=0.0", "q=0.000" refuse a coding; any other q (or none) accepts it.
bool QualityPositive(std::string_view params) {
    while (!params.empty()) {
        const auto semi = params.find(';');
        auto param = Trim(params.substr(0, semi));
        if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
            auto q = Trim(param.substr(2));
            return !std::all_of(q.begin(), q.end(), [](char c) { return c == '0' || c == '.'; }) || q.empty();
        }
        if (semi == std::string_view::npos) break;
        params.remove_prefix(semi + 1);
    }
    return true;
}

// FNV-1a, 64 bits: the ETag only has to change when the bytes do.
std::string Fingerprint(std::string_view bytes) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = kHex[h & 0xf];
        h >>= 4;
    }
    return out;
}

// The decoded path, or nullopt for a bad escape or a NUL.
std::optional<std::string> DecodePath(std::string_view raw) {
    std::optional<std::string> out = PercentDecode(raw);
    if (!out || out->find('\0') != std::string::npos) return std::nullopt;
    return out;
}

bool IsApiPath(std::string_view path) {
    return path == "/api" || path.starts_with("/api/");
}

void AddSecurityHeaders(Response& r, std::string_view csp = kDashboardCsp) {
    r.SetHeader("Content-Security-Policy", std::string(csp));
    r.SetHeader("X-Content-Type-Options", "nosniff");
    r.SetHeader("Referrer-Policy", "no-referrer");
}

// Whether an If-None-Match value names `etag` (weak comparison, RFC 9110 §13.1.2).
bool EtagMatches(std::string_view if_none_match, const std::string& etag) {
    bool match = false;
    ForEachItem(if_none_match, [&](std::string_view item) {
        if (item == "*") match = true;
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == etag) match = true;
    });
    return match;
}

std::optional<std::string> ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return content;
}

}  // namespace

struct StaticFiles::Data {
    struct Variant {
        std::string body;
        std::string etag;  // quoted
    };
    struct Entry {
        std::string content_type;
        std::string_view cache_control;
        Variant identity;
        std::optional<Variant> brotli;
        std::optional<Variant> gzip;
    };

    fs::path root;
    bool built = false;
    std::size_t total_bytes = 0;
    std::unordered_map<std::string, Entry> files;  // by URL path: "/index.html", "/assets/app-x.js"
};

ContentCoding ChooseCoding(std::string_view accept_encoding, bool have_brotli, bool have_gzip) {
    std::optional<bool> br, gzip, any;
    ForEachItem(accept_encoding, [&](std::string_view item) {
        const auto semi = item.find(';');
        const auto coding = AsciiLower(Trim(item.substr(0, semi)));
        const bool positive = semi == std::string_view::npos || QualityPositive(item.substr(semi + 1));
        if (coding == "br") br = positive;
        if (coding == "gzip" || coding == "x-gzip") gzip = positive;
        if (coding == "*") any = positive;
    });
    const bool accepts_br = br.value_or(any.value_or(false));
    const bool accepts_gzip = gzip.value_or(any.value_or(false));
    if (have_brotli && accepts_br) return ContentCoding::kBrotli;
    if (have_gzip && accepts_gzip) return ContentCoding::kGzip;
    return ContentCoding::kIdentity;
}

std::string_view MimeTypeFor(std::string_view file_name) {
    static const std::map<std::string, std::string_view, std::less<>> kTypes = {
        {"html", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"webmanifest", "application/manifest+json"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"webp", "image/webp"},
        {"gif", "image/gif"},
        {"ico", "image/x-icon"},
        {"woff2", "font/woff2"},
        {"woff", "font/woff"},
        {"txt", "text/plain; charset=utf-8"},
        {"wasm", "application/wasm"},
    };
    const auto slash = file_name.rfind('/');
    if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
    const auto dot = file_name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
    const auto it = kTypes.find(AsciiLower(file_name.substr(dot + 1)));
    return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

StaticFiles::StaticFiles(std::unique_ptr<Data> data) : data_(std::move(data)) {}
StaticFiles::~StaticFiles() = default;

bool StaticFiles::Built() const noexcept {
    return data_->built;
}
std::size_t StaticFiles::FileCount() const noexcept {
    return data_->files.size();
}
std::size_t StaticFiles::TotalBytes() const noexcept {
    return data_->total_bytes;
}
const fs::path& StaticFiles::Root() const noexcept {
    return data_->root;
}

std::shared_ptr<const StaticFiles> StaticFiles::Load(const StaticFilesOptions& options) {
    auto data = std::make_unique<Data>();
    data->root = options.root;
    std::error_code ec;
    if (!fs::is_directory(options.root, ec)) {
        spdlog::warn("web: no dashboard build at {}; '/' says how to build it", options.root.string());
        return std::make_shared<const StaticFiles>(std::move(data));
    }

    std::map<std::string, std::string> raw;  // URL path → bytes
    fs::recursive_directory_iterator it(options.root, fs::directory_options::skip_permission_denied, ec);
    const fs::recursive_directory_iterator end;
    for (; !ec && it != end; it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        const std::string name = entry.path().filename().string();
        std::error_code type_ec;
        if (name.starts_with(".")) {
            if (entry.is_directory(type_ec)) it.disable_recursion_pending();
            continue;
        }
        // Never through a link: a link could lead out of the root.
        if (entry.is_symlink(type_ec) || !entry.is_regular_file(type_ec)) continue;
        const auto size = entry.file_size(type_ec);
        if (type_ec || size > options.max_file_bytes) {
            spdlog::warn("web: skipped {} ({} bytes; the limit is {})", entry.path().string(), size,
                         options.max_file_bytes);
            continue;
        }
        if (data->total_bytes + size > options.max_total_bytes) {
            spdlog::warn("web: stopped loading {} at {} bytes (limit)", options.root.string(),
                         data->total_bytes);
            break;
        }
        auto content = ReadFile(entry.path());
        if (!content) {
            spdlog::warn("web: cannot read {}", entry.path().string());
            continue;
        }
        data->total_bytes += content->size();
        raw.emplace("/" + entry.path().lexically_relative(options.root).generic_string(),
                    std::move(*content));
    }
    if (ec) spdlog::warn("web: reading {}: {}", options.root.string(), ec.message());

    auto variant = [](std::string body) {
        Data::Variant v;
        v.etag = "\"" + Fingerprint(body) + "\"";
        v.body = std::move(body);
        return v;
    };
    for (auto& [path, body] : raw) {
        const bool br_sibling = path.ends_with(".br") && raw.contains(path.substr(0, path.size() - 3));
        const bool gz_sibling = path.ends_with(".gz") && raw.contains(path.substr(0, path.size() - 3));
        if (br_sibling || gz_sibling) continue;
        Data::Entry e;
        e.content_type = std::string(MimeTypeFor(path));
        e.cache_control = path.starts_with("/assets/") ? kImmutableCache : kRevalidateCache;
        if (auto br = raw.find(path + ".br"); br != raw.end()) {
            e.brotli = variant(br->second);
            e.brotli->etag.insert(e.brotli->etag.size() - 1, "-br");
        }
        if (auto gz = raw.find(path + ".gz"); gz != raw.end()) {
            e.gzip = variant(gz->second);
            e.gzip->etag.insert(e.gzip->etag.size() - 1, "-gz");
        }
        e.identity = variant(std::move(body));
        data->files.emplace(path, std::move(e));
    }
    data->built = data->files.contains("/index.html");
    if (data->built) {
        spdlog::info("web: serving the dashboard from {} ({} files, {} bytes in memory)",
                     options.root.string(), data->files.size(), data->total_bytes);
    } else {
        spdlog::warn("web: {} has no index.html; '/' says how to build the dashboard", options.root.string());
    }
    return std::make_shared<const StaticFiles>(std::move(data));
}

std::optional<Response> StaticFiles::Serve(const Request& request) const {
    auto path = DecodePath(request.Path());
    if (!path) return std::nullopt;
    if (*path == kApiDocsPath) {
        *path = kApiDocsFile;
    } else if (IsApiPath(*path)) {
        return std::nullopt;
    }
    if (*path == "/") *path = "/index.html";
    if (!data_->built) {
        if (*path != "/index.html") return std::nullopt;
        Response page = Response::Text(200, std::string(kNotBuiltPage));
        page.SetHeader("Cache-Control", "no-store");
        AddSecurityHeaders(page);
        return page;
    }
    const auto it = data_->files.find(*path);
    if (it == data_->files.end()) return std::nullopt;
    const Data::Entry& e = it->second;

    const auto coding =
        ChooseCoding(request.Header("Accept-Encoding"), e.brotli.has_value(), e.gzip.has_value());
    const Data::Variant& v = coding == ContentCoding::kBrotli ? *e.brotli
                             : coding == ContentCoding::kGzip ? *e.gzip
                                                              : e.identity;
    Response r;
    r.SetHeader("Cache-Control", std::string(e.cache_control));
    r.SetHeader("ETag", v.etag);
    if (e.brotli || e.gzip) r.SetHeader("Vary", "Accept-Encoding");
    AddSecurityHeaders(r, *path == kApiDocsFile ? kApiDocsCsp : kDashboardCsp);
    if (EtagMatches(request.Header("If-None-Match"), v.etag)) {
        r.status = 304;
        return r;
    }
    r.status = 200;
    r.SetHeader("Content-Type", e.content_type);
    if (coding == ContentCoding::kBrotli) r.SetHeader("Content-Encoding", "br");
    if (coding == ContentCoding::kGzip) r.SetHeader("Content-Encoding", "gzip");
    r.body = v.body;
    return r;
}

Middleware StaticFilesMiddleware(std::shared_ptr<const StaticFiles> files) {
    return [files = std::move(files)](Request& request, Next next) -> boost::asio::awaitable<Response> {
        const Method m = request.GetMethod();
        const bool candidate =
            request.matched == nullptr && request.allow.empty() && (m == Method::kGet || m == Method::kHead);
        if (candidate) {
            auto response = files->Serve(request);
            if (response) {
                request.route = "web.static";  // the access log's label; metrics count it as unmatched
                co_return std::move(*response);
            }
        }
        co_return co_await next(request);
    };
}

}  // namespace nn::http
