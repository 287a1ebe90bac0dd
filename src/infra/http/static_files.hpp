#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "infra/http/middleware.hpp"
#include "infra/http/request.hpp"
#include "infra/http/response.hpp"

namespace nn::http {

// Every static answer carries these (the dashboard has no inline scripts or styles).
inline constexpr std::string_view kDashboardCsp =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'";

// The API reference (web/scripts/api-docs.mjs builds it as api-docs.html): answered at
// /api/docs, the one static answer under /api/. Redoc styles its elements with generated
// <style> elements (styled-components), so this page, and only this one, allows inline styles;
// its scripts, data and everything else stay same-origin. No workers: its search (a blob:
// worker) is turned off.
inline constexpr std::string_view kApiDocsPath = "/api/docs";
inline constexpr std::string_view kApiDocsFile = "/api-docs.html";
inline constexpr std::string_view kApiDocsCsp =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; worker-src 'none'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// Cache-Control of the content-hashed files under /assets/ and of everything else.
inline constexpr std::string_view kImmutableCache = "public, max-age=31536000, immutable";
inline constexpr std::string_view kRevalidateCache = "no-cache";

enum class ContentCoding { kIdentity, kGzip, kBrotli };

// The coding to send given the request's Accept-Encoding and which precompressed siblings exist:
// brotli, then gzip, when the client accepts them (q > 0, or "*"); identity otherwise.
ContentCoding ChooseCoding(std::string_view accept_encoding, bool have_brotli, bool have_gzip);

// "text/javascript; charset=utf-8" for "app.js"; application/octet-stream when unknown.
std::string_view MimeTypeFor(std::string_view file_name);

struct StaticFilesOptions {
    std::filesystem::path root;               // the built dashboard (web/dist)
    std::size_t max_file_bytes = 32 << 20;    // larger files are skipped (logged)
    std::size_t max_total_bytes = 128 << 20;  // loading stops here (logged)
};

// The built single-page app, loaded into memory once at start (a Vite build is a few hundred
// kB), so serving is a lookup and a copy on the event loop, never a disk read.
//
// URL paths are the files' paths under the root; "/" is index.html, /api/docs is api-docs.html. A file "x"
// with "x.br" or "x.gz" beside it is sent precompressed when the client accepts it; the siblings are not
// served under their own names. Dot files and directories (".vite/") are left out, and so is
// anything reached through a symbolic link, so nothing outside the root can be served.
class StaticFiles {
public:
    // Reads the folder. A missing folder, or one without index.html, is "not built": "/" then
    // answers a short plain page saying so.
    static std::shared_ptr<const StaticFiles> Load(const StaticFilesOptions& options);
    ~StaticFiles();

    bool Built() const noexcept;
    std::size_t FileCount() const noexcept;
    std::size_t TotalBytes() const noexcept;
    const std::filesystem::path& Root() const noexcept;

    // The answer to a GET or HEAD of the request's path, or nullopt when there is no such file.
    // Sets Content-Type, Cache-Control, ETag (a 304 for a matching If-None-Match),
    // Content-Encoding and Vary, and the security headers (CSP, nosniff, no-referrer).
    std::optional<Response> Serve(const Request& request) const;

    struct Data;
    explicit StaticFiles(std::unique_ptr<Data> data);

private:
    std::unique_ptr<Data> data_;
};

// Answers GET and HEAD requests that no route matched and whose path is outside /api/ from
// `files`; everything else goes on down the chain (a miss becomes the usual 404 problem).
// Register it with Server::Use after the routes.
Middleware StaticFilesMiddleware(std::shared_ptr<const StaticFiles> files);

}  // namespace nn::http
