#include "auth/handlers.hpp"

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "infra/crypto/encoding.hpp"
#include "infra/http/json.hpp"
#include "infra/http/query.hpp"
#include "infra/http/request.hpp"
#include "infra/http/response.hpp"
#include "infra/http/router.hpp"

namespace nn::auth {

namespace asio = boost::asio;
namespace json = boost::json;
using http::FieldReader;
using http::Request;
using http::Response;
namespace js = http::schema;

namespace {

// Request bodies (RouteOptions::max_body_bytes): a form of a few short fields, a profile patch
// (up to kMaxPreferencesBytes of preferences and the fields), a route that takes no body.
constexpr std::size_t kFormBodyBytes = 16 << 10;
constexpr std::size_t kProfileBodyBytes = 32 << 10;
constexpr std::size_t kNoBodyBytes = 1 << 10;

// Widths checked here before the database does (migrations/auth/0001_auth.up.sql):
constexpr std::size_t kMinEmailBytes = 3;    // auth.users.email CHECK length BETWEEN 3 AND 320
constexpr std::size_t kMaxEmailBytes = 320;  // (also the admin search's q, a part of an email)
constexpr std::size_t kMaxPersonName = 100;  // auth.user_profiles.first_name, last_name, display_name <= 100
constexpr std::size_t kMaxTimezone = 64;     // auth.user_profiles.timezone <= 64
constexpr std::size_t kMinLocale = 2;        // auth.user_profiles.locale <= 35 (a BCP 47 tag)
constexpr std::size_t kMaxLocale = 35;
constexpr std::size_t kCurrencyCode = 3;     // auth.user_profiles.base_currency char(3)
constexpr std::size_t kMaxApiKeyName = 100;  // auth.api_keys.name CHECK length BETWEEN 1 AND 100
// Limits of the API alone: the encrypted profile fields are bytea (phone_enc, date_of_birth_enc,
// tax_id_enc, address_enc), auth.api_keys.scopes is an unbounded text[], preferences a jsonb object.
constexpr std::size_t kMaxPhone = 32;
constexpr std::size_t kDateLength = 10;  // YYYY-MM-DD
constexpr std::size_t kMaxTaxId = 64;
constexpr std::size_t kMaxAddress = 500;
constexpr std::size_t kMaxScopes = 32;
constexpr std::size_t kMaxScopeName = 64;
constexpr std::size_t kMaxPreferencesBytes = 16 << 10;
// Parsing limit only; the policy (12..128 characters) is checked by the service.
constexpr std::size_t kMaxPasswordBytes = 1024;
// Tokens of verify-email, reset and refresh are 43-character base64url; this only bounds parsing.
constexpr std::size_t kMaxTokenBytes = 256;

const Principal& PrincipalOf(const Request& r) {
    const auto* p = r.PrincipalAs<Principal>();
    if (p == nullptr) throw Error(ErrorKind::kUnauthorized, "auth.required", "authentication required");
    return *p;
}

json::value Time(const Timestamp& t) {
    return json::value(FormatRfc3339(t));
}
json::value Time(const std::optional<Timestamp>& t) {
    return t ? Time(*t) : json::value(nullptr);
}
json::value Str(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}

// An email address as the API accepts it: 3-320 bytes, one '@' not first or last, no spaces or
// control characters (the mailer's header injection guard sits on top).
std::string Email(FieldReader& in, std::string_view field) {
    auto email = in.String(field, {.min_length = kMinEmailBytes, .max_length = kMaxEmailBytes});
    if (email.empty()) return email;
    const auto at = email.find('@');
    bool ok = at != std::string::npos && at > 0 && at + 1 < email.size() &&
              email.find('@', at + 1) == std::string::npos;
    for (unsigned char c : email) {
        if (c <= 0x20 || c == 0x7F) ok = false;
    }
    if (!ok) in.AddError(std::string(field), "invalid_email", "must be an email address");
    return email;
}

Response Json(const json::value& v, int status = 200) {
    auto r = http::JsonResponse(v, status);
    r.SetHeader("Cache-Control", "no-store");
    return r;
}

Response JsonText(std::string body) {
    Response r(200, std::move(body), "application/json");
    r.SetHeader("Cache-Control", "no-store");
    return r;
}

json::object TokensJson(const TokenPair& t) {
    return {{"access_token", t.access_token},
            {"refresh_token", t.refresh_token},
            {"token_type", "Bearer"},
            {"expires_in", t.expires_in}};
}

// The browser mode's answer: the access token in the body, the refresh token only in the cookie.
Response BrowserTokens(const TokenPair& t, const WebSessionOptions& web) {
    auto r = Json(json::object{
        {"access_token", t.access_token}, {"token_type", "Bearer"}, {"expires_in", t.expires_in}});
    r.AddHeader("Set-Cookie", RefreshCookieHeader(t.refresh_token, web.refresh_max_age));
    return r;
}

// The refresh cookie when it can be a token at all (the service judges the rest).
std::optional<std::string> UsableRefreshCookie(const Request& r) {
    auto cookie = RefreshCookieOf(r);
    if (!cookie || cookie->empty() || cookie->size() > kMaxTokenBytes) return std::nullopt;
    return cookie;
}

// The edge adds WWW-Authenticate: Bearer to every 401 (http::ProblemResponse).
[[noreturn]] void ThrowAuthRequired() {
    throw Error(ErrorKind::kUnauthorized, "auth.required",
                "this endpoint needs a bearer token or an API key");
}

// How an operator makes the first admin; follows `nexanest user create` (apps/nexanest).
constexpr std::string_view kFirstAdminCommand =
    "nexanest user create --email E --role ADMIN --password-file -  (then type the password)";

// OpenAPI text of the browser mode (docs/auth.md "Browser mode").
constexpr std::string_view kBrowserModeNote =
    " With `X-NexaNest-Client: web` (browser mode) the refresh token travels only in the cookie "
    "`__Host-nn_refresh` (Path=/; Secure; HttpOnly; SameSite=Strict), never in the body, and the "
    "request must pass the CSRF checks: `Sec-Fetch-Site: same-origin` when sent, else `Origin` equal "
    "to the public URL or the Host; 403 `auth.csrf` otherwise.";

std::string Described(std::string_view what) {
    return std::string(what) + std::string(kBrowserModeNote);
}

// GET /api/v1/setup is public and asked by every sign-in page: its answer is kept this long,
// shared by every shard (a stale answer only shows or hides a hint a little longer).
constexpr std::chrono::seconds kSetupCacheTime{5};
struct SetupCache {
    std::atomic<std::int64_t> valid_until_ms{0};  // steady clock
    std::atomic<bool> needs_admin{true};
};

json::object AccountJson(const Account& a, bool with_sensitive) {
    json::object profile{{"first_name", Str(a.profile.first_name)},
                         {"last_name", Str(a.profile.last_name)},
                         {"display_name", Str(a.profile.display_name)},
                         {"timezone", a.profile.timezone},
                         {"locale", a.profile.locale},
                         {"base_currency", a.profile.base_currency},
                         {"preferences", json::parse(a.profile.preferences_json)}};
    if (with_sensitive) {
        profile["phone"] = Str(a.profile.phone);
        profile["date_of_birth"] = Str(a.profile.date_of_birth);
        profile["tax_id"] = Str(a.profile.tax_id);
        profile["address"] = Str(a.profile.address);
    }
    return {{"id", a.id.ToString()},
            {"email", a.email},
            {"role", RoleName(a.role)},
            {"is_active", a.is_active},
            {"email_verified", a.email_verified_at.has_value()},
            {"created_at", Time(a.created_at)},
            {"last_login_at", Time(a.last_login_at)},
            {"profile", std::move(profile)}};
}

// The schema of AccountJson (components "Account", and "AccountSummary" without the sensitive
// profile fields).
http::Schema AccountSchema(bool with_sensitive) {
    std::vector<http::Field> profile{
        {"first_name", js::String(0, kMaxPersonName).Nullable()},
        {"last_name", js::String(0, kMaxPersonName).Nullable()},
        {"display_name", js::String(0, kMaxPersonName).Nullable()},
        {"timezone", js::String(1, kMaxTimezone).Example("Europe/Zurich")},
        {"locale", js::String(kMinLocale, kMaxLocale).Example("en-US")},
        {"base_currency", js::Pattern("^[A-Z]{3}$").Example("USD")},
        {"preferences", js::Map({}).Describe("free-form settings of the dashboard")}};
    if (with_sensitive) {
        profile.emplace_back("phone", js::String(0, kMaxPhone).Nullable());
        profile.emplace_back("date_of_birth", js::Date().Nullable());
        profile.emplace_back("tax_id", js::String(0, kMaxTaxId).Nullable());
        profile.emplace_back("address", js::String(0, kMaxAddress).Nullable());
    }
    return js::Object({{"id", js::Uuid()},
                       {"email", js::String(kMinEmailBytes, kMaxEmailBytes)},
                       {"role", js::Enum({"USER", "ADVISOR", "ADMIN", "SUPERUSER"})},
                       {"is_active", js::Boolean()},
                       {"email_verified", js::Boolean()},
                       {"created_at", js::DateTime()},
                       {"last_login_at", js::DateTime().Nullable()},
                       {"profile", js::Object(profile)}});
}

http::Schema ApiKeySchema(bool with_key) {
    std::vector<http::Field> fields{{"id", js::Uuid()},
                                    {"name", js::String(1, kMaxApiKeyName)},
                                    {"prefix", js::String(1)},
                                    {"scopes", js::Array(js::String(1, kMaxScopeName), kMaxScopes)},
                                    {"created_at", js::DateTime()},
                                    {"expires_at", js::DateTime().Nullable()},
                                    {"last_used_at", js::DateTime().Nullable()},
                                    {"revoked_at", js::DateTime().Nullable()}};
    if (with_key) fields.emplace_back("key", js::String(1).Describe("shown once: store it now"));
    return js::Object(fields);
}

http::Schema GrantSchema() {
    return js::Object(
        {{"advisor_id", js::Uuid()},
         {"client_id", js::Uuid()},
         {"email", js::String(kMinEmailBytes, kMaxEmailBytes).Describe("the other party's address")},
         {"access", js::Enum({"READ", "MANAGE"})},
         {"granted_at", js::DateTime()},
         {"status", js::Enum({"pending", "active"})},
         {"accepted_at", js::DateTime().Nullable()}});
}

http::Schema TokensSchema(bool with_refresh) {
    std::vector<http::Field> fields{{"access_token", js::String(1)},
                                    {"token_type", js::Enum({"Bearer"})},
                                    {"expires_in", js::Integer(1).Describe("seconds")}};
    if (with_refresh) {
        fields.emplace_back("refresh_token", js::String(1, kMaxTokenBytes));
    } else {
        fields.emplace_back(js::Opt(
            "refresh_token",
            js::String(1, kMaxTokenBytes).Describe("absent in browser mode (the cookie carries it)")));
    }
    return js::Object(fields);
}

http::Schema Status(std::string_view value) {
    return js::Object({{"status", js::Enum({value})}});
}

http::Schema EmailSchema() {
    return js::Pattern("^[^@\\s]+@[^@\\s]+$").Describe("an email address (3-320 bytes)");
}

json::object ApiKeyJson(const ApiKeyInfo& k) {
    json::array scopes;
    for (const auto& s : k.scopes) scopes.emplace_back(s);
    return {{"id", k.id.ToString()},
            {"name", k.name},
            {"prefix", k.prefix},
            {"scopes", std::move(scopes)},
            {"created_at", Time(k.created_at)},
            {"expires_at", Time(k.expires_at)},
            {"last_used_at", Time(k.last_used_at)},
            {"revoked_at", Time(k.revoked_at)}};
}

json::object GrantJson(const AdvisorGrantInfo& g) {
    return {{"advisor_id", g.advisor_id.ToString()},
            {"client_id", g.client_id.ToString()},
            {"email", g.email},
            {"access", g.access == GrantAccess::kManage ? "MANAGE" : "READ"},
            {"granted_at", Time(g.granted_at)},
            {"status", g.accepted_at ? "active" : "pending"},
            {"accepted_at", Time(g.accepted_at)}};
}

// A nullable string field of a PATCH: absent → nullopt, null → inner nullopt.
std::optional<std::optional<std::string>> Nullable(const json::object& body,
                                                   FieldReader& in,
                                                   std::string_view field,
                                                   std::size_t max_length) {
    const auto* v = body.if_contains(field);
    if (v == nullptr) return std::nullopt;
    if (v->is_null()) return std::optional<std::string>();
    auto s = in.OptionalString(field, {.min_length = 0, .max_length = max_length});
    return std::optional<std::string>(s.value_or(""));
}

template <class Id>
Id PathId(const Request& r, std::string_view name) {
    auto id = Id::Parse(r.PathParam(name));
    if (!id) throw Error(ErrorKind::kNotFound, "http.not_found", "no such resource");
    return *id;
}

}  // namespace

Audit AuditOf(const Request& request) {
    Audit a;
    a.request_id = request.request_id.substr(0, 128);
    if (!request.remote_address.empty()) a.ip = request.remote_address;
    auto ua = request.Header("User-Agent");
    if (!ua.empty()) {
        std::string clean(ua.substr(0, 512));
        for (auto& c : clean) {
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
        }
        a.user_agent = std::move(clean);
    }
    return a;
}

namespace {

// What the handlers share; lives as long as the router (AddRoutes keeps it in the handlers).
struct AuthRoutes {
    std::shared_ptr<ServiceFactory> services;
    WebSessionOptions web;
    std::shared_ptr<SetupCache> setup = std::make_shared<SetupCache>();
};

// First run: whether the sign-in page should show how to make the first admin. Public; reveals
// one boolean.
asio::awaitable<Response> SetupStatus(const AuthRoutes& a, Request& r) {
    SetupCache& cache = *a.setup;
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
    bool needs_admin = cache.needs_admin.load();
    if (now >= cache.valid_until_ms.load()) {
        needs_admin = co_await a.services->For(r).NeedsAdmin();
        cache.needs_admin.store(needs_admin);
        cache.valid_until_ms.store(
            now + std::chrono::duration_cast<std::chrono::milliseconds>(kSetupCacheTime).count());
    }
    co_return Json(json::object{{"needs_admin", needs_admin}, {"how", kFirstAdminCommand}});
}

// --- Sign-up and recovery (public) ---

asio::awaitable<Response> RegisterAccount(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto email = Email(in, "email");
    auto password = in.String("password", {.min_length = 1, .max_length = kMaxPasswordBytes});
    auto display = in.OptionalString("display_name", {.min_length = 1, .max_length = kMaxPersonName});
    in.AllowOnly({"email", "password", "display_name"});
    in.Finish();
    co_await a.services->For(r).Register(email, password, display, AuditOf(r));
    co_return Json(json::object{{"status", "verification_sent"}}, 202);
}

asio::awaitable<Response> VerifyEmail(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto token = in.String("token", {.min_length = 1, .max_length = kMaxTokenBytes});
    in.AllowOnly({"token"});
    in.Finish();
    co_await a.services->For(r).VerifyEmail(token, AuditOf(r));
    co_return Json(json::object{{"status", "verified"}});
}

asio::awaitable<Response> ForgotPassword(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto email = Email(in, "email");
    in.AllowOnly({"email"});
    in.Finish();
    co_await a.services->For(r).ForgotPassword(email, AuditOf(r));
    co_return Json(json::object{{"status", "if_the_account_exists_an_email_was_sent"}}, 202);
}

asio::awaitable<Response> ResetPassword(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto token = in.String("token", {.min_length = 1, .max_length = kMaxTokenBytes});
    auto password = in.String("password", {.min_length = 1, .max_length = kMaxPasswordBytes});
    in.AllowOnly({"token", "password"});
    in.Finish();
    co_await a.services->For(r).ResetPassword(token, password, AuditOf(r));
    co_return Response::NoContent();
}

// --- Sessions ---

asio::awaitable<Response> Login(const AuthRoutes& a, Request& r) {
    const bool browser = IsWebClient(r);
    if (browser) CheckWebRequest(r, a.web.public_url);
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto email = Email(in, "email");
    auto password = in.String("password", {.min_length = 1, .max_length = kMaxPasswordBytes});
    in.AllowOnly({"email", "password"});
    in.Finish();
    auto tokens = co_await a.services->For(r).Login(email, password, AuditOf(r));
    if (browser) co_return BrowserTokens(tokens, a.web);
    co_return Json(TokensJson(tokens));
}

// Browser mode: the token is the cookie's; the body is empty or {}. A dead cookie is removed with
// the refusal, so the page stops offering it.
asio::awaitable<Response> RefreshFromCookie(const AuthRoutes& a, Request& r) {
    CheckWebRequest(r, a.web.public_url);
    if (r.Body().find_first_not_of(" \t\r\n") != std::string::npos) {
        auto body = http::ParseJsonObject(r);
        FieldReader in(body);
        in.AllowOnly({});
        in.Finish();
    }
    const auto cookie = UsableRefreshCookie(r);
    bool invalid = !cookie;
    std::optional<TokenPair> tokens;
    if (cookie) {
        try {
            tokens = co_await a.services->For(r).Refresh(*cookie, AuditOf(r));
        } catch (const Error& e) {
            if (e.Code() != "auth.invalid_token") throw;
            invalid = true;
        }
    }
    // An HttpError: the one way a refusal carries a Set-Cookie header.
    if (invalid) {
        throw http::HttpError(401, "auth.invalid_token", "the token is invalid or expired",
                              {{"Set-Cookie", ClearRefreshCookieHeader()}});
    }
    co_return BrowserTokens(*tokens, a.web);
}

asio::awaitable<Response> Refresh(const AuthRoutes& a, Request& r) {
    if (IsWebClient(r)) co_return co_await RefreshFromCookie(a, r);
    RefuseCookieWithoutHeader(r);
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto token = in.String("refresh_token", {.min_length = 1, .max_length = kMaxTokenBytes});
    in.AllowOnly({"refresh_token"});
    in.Finish();
    auto tokens = co_await a.services->For(r).Refresh(token, AuditOf(r));
    co_return Json(TokensJson(tokens));
}

// Bearer, or in the browser mode the refresh cookie alone (a page reloaded after its access
// token expired can still sign out): not require_auth, the handler checks.
asio::awaitable<Response> Logout(const AuthRoutes& a, Request& r) {
    const auto* p = r.PrincipalAs<Principal>();
    if (!IsWebClient(r)) {
        RefuseCookieWithoutHeader(r);
        if (p == nullptr) ThrowAuthRequired();
        co_await a.services->For(r).Logout(*p, false, AuditOf(r));
        co_return Response::NoContent();
    }
    CheckWebRequest(r, a.web.public_url);
    const auto cookie = UsableRefreshCookie(r);
    if (cookie) co_await a.services->For(r).LogoutRefreshToken(*cookie, AuditOf(r));
    if (p != nullptr && !p->is_api_key) co_await a.services->For(r).Logout(*p, false, AuditOf(r));
    Response out = Response::NoContent();
    out.AddHeader("Set-Cookie", ClearRefreshCookieHeader());
    co_return out;
}

asio::awaitable<Response> LogoutAll(const AuthRoutes& a, Request& r) {
    const bool browser = IsWebClient(r);
    if (browser) CheckWebRequest(r, a.web.public_url);
    co_await a.services->For(r).Logout(PrincipalOf(r), true, AuditOf(r));
    Response out = Response::NoContent();
    if (browser) out.AddHeader("Set-Cookie", ClearRefreshCookieHeader());
    co_return out;
}

asio::awaitable<Response> ListSessions(const AuthRoutes& a, Request& r) {
    auto sessions = co_await a.services->For(r).Sessions(PrincipalOf(r));
    json::array items;
    for (const auto& s : sessions) {
        items.push_back(json::object{{"id", s.id},
                                     {"started_at", Time(s.started_at)},
                                     {"last_used_at", Time(s.last_used_at)},
                                     {"expires_at", Time(s.expires_at)},
                                     {"user_agent", Str(s.user_agent)},
                                     {"ip", Str(s.ip)},
                                     {"current", s.current}});
    }
    co_return Json(json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

asio::awaitable<Response> DeleteSessions(const AuthRoutes& a, Request& r) {
    co_await a.services->For(r).DeleteSessions(PrincipalOf(r), std::nullopt, AuditOf(r));
    co_return Response::NoContent();
}

asio::awaitable<Response> DeleteSession(const AuthRoutes& a, Request& r) {
    const bool done =
        co_await a.services->For(r).DeleteSessions(PrincipalOf(r), r.PathParam("id"), AuditOf(r));
    if (!done) {
        throw Error(ErrorKind::kNotFound, "http.not_found", "no such session");
    }
    co_return Response::NoContent();
}

// --- The account ---

asio::awaitable<Response> Me(const AuthRoutes& a, Request& r) {
    const Principal& p = PrincipalOf(r);
    // After the liveness check (the authenticator): a cached answer never serves a revoked
    // session or an inactive account.
    LiveAnswers* answers = a.services->MeAnswers();
    if (answers) {
        if (auto hit = answers->Find(p.user_id, p.live)) co_return JsonText(*hit);
    }
    const std::uint64_t generation = answers ? answers->Generation(p.user_id) : 0;
    auto account = co_await a.services->For(r).Me(p);
    auto body = std::make_shared<const std::string>(json::serialize(AccountJson(account, true)));
    if (answers) answers->Store(p.user_id, p.live, body, generation);
    co_return JsonText(*body);
}

// The patch of PATCH /api/v1/me/profile; records every refused field in `in`.
ProfilePatch ReadProfilePatch(const json::object& body, FieldReader& in) {
    ProfilePatch patch;
    patch.first_name = Nullable(body, in, "first_name", kMaxPersonName);
    patch.last_name = Nullable(body, in, "last_name", kMaxPersonName);
    patch.display_name = Nullable(body, in, "display_name", kMaxPersonName);
    patch.phone = Nullable(body, in, "phone", kMaxPhone);
    patch.date_of_birth = Nullable(body, in, "date_of_birth", kDateLength);
    patch.tax_id = Nullable(body, in, "tax_id", kMaxTaxId);
    patch.address = Nullable(body, in, "address", kMaxAddress);
    patch.timezone = in.OptionalString("timezone", {.min_length = 1, .max_length = kMaxTimezone});
    patch.locale = in.OptionalString("locale", {.min_length = kMinLocale, .max_length = kMaxLocale});
    patch.base_currency =
        in.OptionalString("base_currency", {.min_length = kCurrencyCode, .max_length = kCurrencyCode});
    if (patch.base_currency) {
        const auto& c = *patch.base_currency;
        if (!std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
            in.AddError("base_currency", "invalid_currency", "must be an ISO 4217 code such as USD");
        }
    }
    if (patch.date_of_birth && *patch.date_of_birth) {
        const auto born = ParseDate(**patch.date_of_birth);
        if (!born) {
            in.AddError("date_of_birth", "invalid_date", "must be a date YYYY-MM-DD");
        } else if (*born < Date{std::chrono::year{1900}, std::chrono::January, std::chrono::day{1}} ||
                   *born > ToDate(Now())) {
            in.AddError("date_of_birth", "out_of_range", "a date from 1900-01-01 to today");
        }
    }
    if (const auto* prefs = body.if_contains("preferences")) {
        if (!prefs->is_object()) {
            in.AddError("preferences", "not_object", "must be a JSON object");
        } else {
            auto text = json::serialize(*prefs);
            if (text.size() > kMaxPreferencesBytes) in.AddError("preferences", "too_large", "at most 16 kB");
            patch.preferences_json = std::move(text);
        }
    }
    in.AllowOnly({"first_name", "last_name", "display_name", "phone", "date_of_birth", "tax_id", "address",
                  "timezone", "locale", "base_currency", "preferences"});
    return patch;
}

asio::awaitable<Response> UpdateProfile(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    ProfilePatch patch = ReadProfilePatch(body, in);
    in.Finish();
    auto account = co_await a.services->For(r).UpdateProfile(PrincipalOf(r), std::move(patch), AuditOf(r));
    co_return Json(AccountJson(account, true));
}

asio::awaitable<Response> ChangePassword(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto current = in.String("current_password", {.min_length = 1, .max_length = kMaxPasswordBytes});
    auto next = in.String("new_password", {.min_length = 1, .max_length = kMaxPasswordBytes});
    in.AllowOnly({"current_password", "new_password"});
    in.Finish();
    co_await a.services->For(r).ChangePassword(PrincipalOf(r), current, next, AuditOf(r));
    co_return Response::NoContent();
}

// --- API keys ---

// The scopes of a new API key: 1-kMaxScopes strings of at most kMaxScopeName bytes.
std::vector<std::string> ReadScopes(const json::object& body, FieldReader& in) {
    std::vector<std::string> scopes;
    const auto* sv = body.if_contains("scopes");
    if (sv == nullptr) {
        in.AddError("scopes", "required", "field 'scopes' is required");
    } else if (!sv->is_array() || sv->as_array().empty() || sv->as_array().size() > kMaxScopes) {
        in.AddError("scopes", "not_array", "must be an array of 1-32 scope names");
    } else {
        for (const auto& s : sv->as_array()) {
            if (!s.is_string() || s.as_string().size() > kMaxScopeName) {
                in.AddError("scopes", "not_string", "each scope must be a string");
                break;
            }
            scopes.emplace_back(s.as_string());
        }
    }
    return scopes;
}

asio::awaitable<Response> CreateApiKey(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto name = in.String("name", {.min_length = 1, .max_length = kMaxApiKeyName});
    auto expires = in.OptionalTimestamp("expires_at");
    std::vector<std::string> scopes = ReadScopes(body, in);
    in.AllowOnly({"name", "scopes", "expires_at"});
    std::optional<Timestamp> expires_at;
    if (expires) {
        expires_at = ParseRfc3339(*expires);
        // Never "no expiry" for a time that was given.
        if (!expires_at)
            in.AddError("expires_at", "not_timestamp", "\"expires_at\" is not a time this server can store");
    }
    in.Finish();
    auto key = co_await a.services->For(r).CreateApiKey(PrincipalOf(r), name, std::move(scopes), expires_at,
                                                        AuditOf(r));
    auto out = ApiKeyJson(key.info);
    out["key"] = key.key;
    co_return Json(out, 201);
}

asio::awaitable<Response> ListApiKeys(const AuthRoutes& a, Request& r) {
    auto keys = co_await a.services->For(r).ListApiKeys(PrincipalOf(r));
    json::array items;
    for (const auto& k : keys) items.push_back(ApiKeyJson(k));
    co_return Json(json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

asio::awaitable<Response> RevokeApiKey(const AuthRoutes& a, Request& r) {
    const bool done =
        co_await a.services->For(r).RevokeApiKey(PrincipalOf(r), PathId<ApiKeyId>(r, "id"), AuditOf(r));
    if (!done) {
        throw Error(ErrorKind::kNotFound, "http.not_found", "no such API key");
    }
    co_return Response::NoContent();
}

// --- Administration ---

asio::awaitable<Response> AdminListUsers(const AuthRoutes& a, Request& r) {
    auto page = http::ParsePage(r);
    std::string q(r.Query().Get("q").value_or(""));
    if (q.size() > kMaxEmailBytes) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "q is too long",
                    {{"q", "too_long", "at most 320 bytes"}});
    }
    std::optional<UserId> after;
    if (page.cursor) {
        after = UserId::Parse(*page.cursor);
        if (!after) throw Error(ErrorKind::kBadRequest, "pagination.bad_cursor", "invalid cursor");
    }
    auto users =
        co_await a.services->For(r).SearchUsers(PrincipalOf(r), q, after, static_cast<int>(page.limit));
    json::array items;
    for (const auto& u : users) items.push_back(AccountJson(u, false));
    json::object out{{"items", std::move(items)}};
    out["next_cursor"] = users.size() == page.limit && !users.empty()
                             ? json::value(http::EncodeCursor(users.back().id.ToString()))
                             : json::value(nullptr);
    co_return Json(out);
}

asio::awaitable<Response> AdminUpdateUser(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto active = in.OptionalBool("is_active");
    auto role_text = in.OptionalEnum("role", {"USER", "ADVISOR", "ADMIN", "SUPERUSER"});
    in.AllowOnly({"is_active", "role"});
    if (!active && !role_text && in.Ok()) in.AddError("role", "required", "give is_active or role");
    in.Finish();
    std::optional<Role> role;
    if (role_text) role = ParseRole(*role_text);
    auto account = co_await a.services->For(r).UpdateUser(PrincipalOf(r), PathId<UserId>(r, "id"), active,
                                                          role, AuditOf(r));
    co_return Json(AccountJson(account, false));
}

// --- Advisor grants ---

asio::awaitable<Response> GrantAdvisor(const AuthRoutes& a, Request& r) {
    auto body = http::ParseJsonObject(r);
    FieldReader in(body);
    auto email = Email(in, "advisor_email");
    auto access = in.Enum("access", {"READ", "MANAGE"});
    in.AllowOnly({"advisor_email", "access"});
    in.Finish();
    co_await a.services->For(r).GrantAdvisor(
        PrincipalOf(r), email, access == "MANAGE" ? GrantAccess::kManage : GrantAccess::kRead, AuditOf(r));
    // In force once the advisor accepts it (POST /api/v1/advisor/clients/{id}/accept).
    co_return Json(json::object{{"status", "pending"}}, 201);
}

asio::awaitable<Response> ListGrants(const AuthRoutes& a, Request& r, bool as_advisor) {
    auto grants = co_await a.services->For(r).Grants(PrincipalOf(r), as_advisor);
    json::array items;
    for (const auto& g : grants) items.push_back(GrantJson(g));
    co_return Json(json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

asio::awaitable<Response> ListAdvisors(const AuthRoutes& a, Request& r) {
    return ListGrants(a, r, false);
}

asio::awaitable<Response> ListClients(const AuthRoutes& a, Request& r) {
    return ListGrants(a, r, true);
}

asio::awaitable<Response> RevokeAdvisor(const AuthRoutes& a, Request& r) {
    const bool done = co_await a.services->For(r).RevokeAdvisor(PrincipalOf(r),
                                                                PathId<UserId>(r, "advisor_id"), AuditOf(r));
    if (!done) {
        throw Error(ErrorKind::kNotFound, "http.not_found", "no such grant");
    }
    co_return Response::NoContent();
}

asio::awaitable<Response> AcceptClient(const AuthRoutes& a, Request& r) {
    const bool done =
        co_await a.services->For(r).AcceptClient(PrincipalOf(r), PathId<UserId>(r, "client_id"), AuditOf(r));
    if (!done) {
        throw Error(ErrorKind::kNotFound, "auth.grant_not_found", "no pending grant of that client");
    }
    co_return Json(json::object{{"status", "active"}});
}

// --- The route tables, one per group ---

using Routes = std::shared_ptr<const AuthRoutes>;

void AddSignUpRoutes(http::Router& router, const Routes& a) {
    auto password = js::String(1, kMaxPasswordBytes);
    auto token = js::String(1, kMaxTokenBytes);
    router.Get(
        "/api/v1/setup", http::Bind<SetupStatus>(a),
        {.name = "auth.setup",
         .description = "First run: `needs_admin` is true while no active ADMIN or SUPERUSER exists; "
                        "`how` is the command that makes one. Cached a few seconds.",
         .contract = {
             .responses = {{200, js::Object({{"needs_admin", js::Boolean()}, {"how", js::String()}})}}}});
    router.Post("/api/v1/auth/register", http::Bind<RegisterAccount>(a),
                {.name = "auth.register",
                 .max_body_bytes = kFormBodyBytes,
                 .contract = {.request = js::Object({{"email", EmailSchema()},
                                                     {"password", password},
                                                     js::Opt("display_name", js::String(1, kMaxPersonName))}),
                              .responses = {{202, Status("verification_sent")}},
                              .codes = {"auth.password_policy"}}});
    router.Post("/api/v1/auth/verify-email", http::Bind<VerifyEmail>(a),
                {.name = "auth.verify_email",
                 .max_body_bytes = kFormBodyBytes,
                 .contract = {.request = js::Object({{"token", token}}),
                              .responses = {{200, Status("verified")}},
                              .codes = {"auth.invalid_token"}}});
    router.Post("/api/v1/auth/password/forgot", http::Bind<ForgotPassword>(a),
                {.name = "auth.password_forgot",
                 .max_body_bytes = kFormBodyBytes,
                 .contract = {.request = js::Object({{"email", EmailSchema()}}),
                              .responses = {{202, Status("if_the_account_exists_an_email_was_sent")}}}});
    router.Post("/api/v1/auth/password/reset", http::Bind<ResetPassword>(a),
                {.name = "auth.password_reset",
                 .max_body_bytes = kFormBodyBytes,
                 .contract = {.request = js::Object({{"token", token}, {"password", password}}),
                              .responses = {{204}},
                              .codes = {"auth.invalid_token", "auth.password_policy"}}});
}

void AddSessionRoutes(http::Router& router, const Routes& a) {
    auto password = js::String(1, kMaxPasswordBytes);
    router.Post("/api/v1/auth/login", http::Bind<Login>(a),
                {.name = "auth.login",
                 .max_body_bytes = kFormBodyBytes,
                 .description = Described("Returns access_token, refresh_token, token_type, expires_in."),
                 .headers = {std::string(kClientHeader)},
                 .contract = {.request = js::Object({{"email", EmailSchema()}, {"password", password}}),
                              .responses = {{200, js::Ref("Tokens")}},
                              .codes = {"auth.invalid_credentials", "auth.email_unverified",
                                        "auth.rate_limited", "auth.csrf"}}});
    router.Post(
        "/api/v1/auth/refresh", http::Bind<Refresh>(a),
        {.name = "auth.refresh",
         .max_body_bytes = kFormBodyBytes,
         .description = Described("Rotates the refresh token `{refresh_token}`; in browser mode the "
                                  "body is empty or `{}` and the cookie is rotated."),
         .headers = {std::string(kClientHeader), "Cookie"},
         .contract = {.request = js::Object({js::Opt("refresh_token", js::String(1, kMaxTokenBytes))}),
                      .responses = {{200, js::Ref("Tokens")}},
                      .codes = {"auth.invalid_token", "auth.csrf"}}});
    router.Post(
        "/api/v1/auth/logout", http::Bind<Logout>(a),
        {.name = "auth.logout",
         .max_body_bytes = kFormBodyBytes,
         .description = Described("Ends the session of the bearer token, or in browser mode the "
                                  "cookie's session (the cookie alone suffices), and clears the cookie."),
         .headers = {std::string(kClientHeader), "Cookie"},
         .contract = {.responses = {{204}}, .codes = {"auth.required", "auth.csrf"}}});
    router.Post("/api/v1/auth/logout-all", http::Bind<LogoutAll>(a),
                {.name = "auth.logout_all",
                 .require_auth = true,
                 .max_body_bytes = kFormBodyBytes,
                 .contract = {.responses = {{204}}}});
}

void AddAccountRoutes(http::Router& router, const Routes& a) {
    auto password = js::String(1, kMaxPasswordBytes);
    router.Get(
        "/api/v1/me", http::Bind<Me>(a),
        {.name = "auth.me", .require_auth = true, .contract = {.responses = {{200, js::Ref("Account")}}}});
    router.Patch("/api/v1/me/profile", http::Bind<UpdateProfile>(a),
                 {.name = "auth.update_profile",
                  .require_auth = true,
                  .max_body_bytes = kProfileBodyBytes,
                  .contract = {.request = js::Object(
                                   {js::Opt("first_name", js::String(0, kMaxPersonName).Nullable()),
                                    js::Opt("last_name", js::String(0, kMaxPersonName).Nullable()),
                                    js::Opt("display_name", js::String(0, kMaxPersonName).Nullable()),
                                    js::Opt("phone", js::String(0, kMaxPhone).Nullable()),
                                    js::Opt("date_of_birth", js::Date().Nullable()),
                                    js::Opt("tax_id", js::String(0, kMaxTaxId).Nullable()),
                                    js::Opt("address", js::String(0, kMaxAddress).Nullable()),
                                    // null: not given (these cannot be cleared)
                                    js::Opt("timezone", js::String(1, kMaxTimezone).Nullable()),
                                    js::Opt("locale", js::String(kMinLocale, kMaxLocale).Nullable()),
                                    js::Opt("base_currency", js::Pattern("^[A-Z]{3}$").Nullable()),
                                    js::Opt("preferences", js::Map({}).Describe("at most 16 kB"))}),
                               .responses = {{200, js::Ref("Account")}}}});
    router.Post(
        "/api/v1/me/password", http::Bind<ChangePassword>(a),
        {.name = "auth.change_password",
         .require_auth = true,
         .max_body_bytes = kFormBodyBytes,
         .contract = {.request = js::Object({{"current_password", password}, {"new_password", password}}),
                      .responses = {{204}},
                      .codes = {"auth.invalid_credentials", "auth.password_policy", "auth.rate_limited"}}});
    auto session = js::Object({{"id", js::String(1)},
                               {"started_at", js::DateTime()},
                               {"last_used_at", js::DateTime()},
                               {"expires_at", js::DateTime()},
                               {"user_agent", js::String().Nullable()},
                               {"ip", js::String().Nullable()},
                               {"current", js::Boolean()}});
    router.Get("/api/v1/me/sessions", http::Bind<ListSessions>(a),
               {.name = "auth.list_sessions",
                .require_auth = true,
                .contract = {.responses = {{200, js::Page(session)}}}});
    router.Delete("/api/v1/me/sessions", http::Bind<DeleteSessions>(a),
                  {.name = "auth.delete_sessions", .require_auth = true, .contract = {.responses = {{204}}}});
    router.Delete("/api/v1/me/sessions/{id}", http::Bind<DeleteSession>(a),
                  {.name = "auth.delete_session",
                   .require_auth = true,
                   .contract = {.responses = {{204}}, .codes = {"http.not_found"}}});
}

void AddApiKeyRoutes(http::Router& router, const Routes& a) {
    router.Post(
        "/api/v1/api-keys", http::Bind<CreateApiKey>(a),
        {.name = "auth.create_api_key",
         .require_auth = true,
         .max_body_bytes = kFormBodyBytes,
         .contract = {.request = js::Object({{"name", js::String(1, kMaxApiKeyName)},
                                             {"scopes", js::Array(js::String(1, kMaxScopeName), kMaxScopes)},
                                             js::Opt("expires_at", js::DateTime().Nullable())}),
                      .responses = {{201, ApiKeySchema(true)}},
                      .codes = {"auth.forbidden", "auth.email_unverified", "auth.api_key_limit"}}});
    router.Get("/api/v1/api-keys", http::Bind<ListApiKeys>(a),
               {.name = "auth.list_api_keys",
                .require_auth = true,
                .contract = {.responses = {{200, js::Page(js::Ref("ApiKey"))}}}});
    router.Delete("/api/v1/api-keys/{id}", http::Bind<RevokeApiKey>(a),
                  {.name = "auth.revoke_api_key",
                   .require_auth = true,
                   .contract = {.responses = {{204}}, .codes = {"http.not_found"}}});
}

void AddAdminRoutes(http::Router& router, const Routes& a) {
    auto roles = js::Enum({"USER", "ADVISOR", "ADMIN", "SUPERUSER"});
    router.Get(
        "/api/v1/admin/users", http::Bind<AdminListUsers>(a),
        {.name = "auth.admin_list_users",
         .require_auth = true,
         .contract = {.query = {{"q", js::String(0, kMaxEmailBytes), false, "a part of the email address"},
                                {"limit", js::Integer(1, 200), false, "page size (default 50)"},
                                {"cursor", js::String(), false, "next_cursor of the previous page"}},
                      .responses = {{200, js::Page(js::Ref("AccountSummary"))}}}});
    router.Patch(
        "/api/v1/admin/users/{id}", http::Bind<AdminUpdateUser>(a),
        {.name = "auth.admin_update_user",
         .require_auth = true,
         .max_body_bytes = kFormBodyBytes,
         .contract = {.request = js::Object({js::Opt("is_active", js::Boolean()), js::Opt("role", roles)}),
                      .responses = {{200, js::Ref("AccountSummary")}},
                      .codes = {"auth.self_change", "auth.user_not_found"}}});
}

void AddAdvisorRoutes(http::Router& router, const Routes& a) {
    router.Post("/api/v1/me/advisors", http::Bind<GrantAdvisor>(a),
                {.name = "auth.grant_advisor",
                 .require_auth = true,
                 .max_body_bytes = kFormBodyBytes,
                 .contract = {.request = js::Object({{"advisor_email", EmailSchema()},
                                                     {"access", js::Enum({"READ", "MANAGE"})}}),
                              .responses = {{201, Status("pending")}}}});
    router.Get("/api/v1/me/advisors", http::Bind<ListAdvisors>(a),
               {.name = "auth.list_advisors",
                .require_auth = true,
                .contract = {.responses = {{200, js::Page(js::Ref("AdvisorGrant"))}}}});
    router.Delete("/api/v1/me/advisors/{advisor_id}", http::Bind<RevokeAdvisor>(a),
                  {.name = "auth.revoke_advisor",
                   .require_auth = true,
                   .contract = {.responses = {{204}}, .codes = {"http.not_found"}}});
    router.Get("/api/v1/advisor/clients", http::Bind<ListClients>(a),
               {.name = "auth.advisor_clients",
                .require_auth = true,
                .contract = {.responses = {{200, js::Page(js::Ref("AdvisorGrant"))}}}});
    router.Post("/api/v1/advisor/clients/{client_id}/accept", http::Bind<AcceptClient>(a),
                {.name = "auth.accept_client",
                 .require_auth = true,
                 .max_body_bytes = kNoBodyBytes,
                 .contract = {.responses = {{200, Status("active")}}, .codes = {"auth.grant_not_found"}}});
}

}  // namespace

void AddRoutes(http::Router& router, std::shared_ptr<ServiceFactory> services, WebSessionOptions web) {
    router.AddComponent("Account", AccountSchema(true));
    router.AddComponent("AccountSummary", AccountSchema(false));
    router.AddComponent("ApiKey", ApiKeySchema(false));
    router.AddComponent("AdvisorGrant", GrantSchema());
    router.AddComponent("Tokens", TokensSchema(false));
    auto routes = std::make_shared<const AuthRoutes>(
        AuthRoutes{.services = std::move(services), .web = std::move(web)});
    AddSignUpRoutes(router, routes);
    AddSessionRoutes(router, routes);
    AddAccountRoutes(router, routes);
    AddApiKeyRoutes(router, routes);
    AddAdminRoutes(router, routes);
    AddAdvisorRoutes(router, routes);
}

}  // namespace nn::auth
