#include "portfolio/handlers.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "auth/acting.hpp"
#include "auth/principal.hpp"
#include "auth/user_directory.hpp"
#include "infra/crypto/hash.hpp"
#include "infra/http/json.hpp"
#include "infra/http/keyset_cursor.hpp"
#include "infra/http/query.hpp"
#include "portfolio/csv_import.hpp"
#include "portfolio/json_io.hpp"
#include "portfolio/request_actor.hpp"
#include "portfolio/value_totals.hpp"

namespace nn::portfolio {

namespace {

constexpr std::string_view kRead = "portfolio:read";
constexpr std::string_view kWrite = "portfolio:write";

struct PortfolioCtx {
    Service& service;
    std::shared_ptr<auth::UserDirectory> directory;
};
using PortfolioCtxPtr = std::shared_ptr<const PortfolioCtx>;

template <class Id>
Id PathId(const Request& req, std::string_view name, const char* what) {
    auto id = Id::Parse(req.PathParam(name));
    if (!id)
        throw Error(ErrorKind::kNotFound, fmt::format("{}.not_found", what), fmt::format("no such {}", what));
    return *id;
}

std::string Cursor(Timestamp t, const Uuid& id) {
    return http::KeysetCursor(t, {id.ToString()}).Encode();
}

Response Json(const json::value& v, int status = 200) {
    return http::JsonResponse(v, status);
}

Response RawJson(int status, std::string body) {
    return Response(status, std::move(body), "application/json");
}

// A name of spaces alone names nothing (the list would show a blank row).
void RefuseBlankName(http::FieldReader& in, const std::string& name) {
    if (!name.empty() && name.find_first_not_of(" \t\r\n") == std::string::npos)
        in.AddError("name", "blank", "the name is more than spaces");
}

Portfolio ReadPortfolioFields(http::FieldReader& in, Portfolio p, bool create) {
    if (create) {
        p.name = in.String("name", {.min_length = 1, .max_length = 100});
        RefuseBlankName(in, p.name);
        auto currency = in.String("currency", {.min_length = 3, .max_length = 3});
        if (auto c = Currency::Parse(currency)) {
            p.currency = *c;
        } else if (!currency.empty()) {
            in.AddError("currency", "unknown_currency", "not an ISO 4217 currency code");
        }
    } else if (auto name = in.OptionalString("name", {.min_length = 1, .max_length = 100})) {
        RefuseBlankName(in, *name);
        p.name = *name;
    }
    if (auto d = in.OptionalString("description", {.min_length = 0, .max_length = 2000})) p.description = *d;
    if (auto t = in.OptionalEnum("portfolio_type",
                                 {"INVESTMENT", "RETIREMENT", "SAVINGS", "TRADING", "EDUCATION", "OTHER"})) {
        p.portfolio_type = *t;
    }
    if (auto m = in.OptionalEnum("cost_basis_method", {"AVERAGE", "FIFO"})) {
        p.cost_basis_method = ParseMethod(*m).value_or(CostBasisMethod::kAverage);
    }
    if (auto s = in.OptionalBool("allow_short")) p.allow_short = *s;
    if (auto m = in.OptionalDecimal("min_trade_amount")) {
        auto d = Decimal::Parse(*m);
        if (d && !d->IsNegative() && d->IntegerDigits() <= kAmountIntegerDigits &&
            d->Normalized().Scale() <= kAmountScale) {
            p.min_trade_amount = d->Normalized();
        } else if (d) {
            in.AddError("min_trade_amount", "invalid", "a non-negative amount within numeric(28, 10)");
        }
    }
    if (!create) {
        if (auto active = in.OptionalBool("is_active")) p.is_active = *active;
    }
    return p;
}

std::vector<std::string> ReadBenchmarks(const json::object& body, http::FieldReader& in) {
    std::vector<std::string> out;
    auto it = body.find("benchmarks");
    if (it == body.end()) return out;
    if (!it->value().is_array() || it->value().as_array().size() > 10) {
        in.AddError("benchmarks", "invalid", "an array of at most 10 index symbols");
        return out;
    }
    for (const auto& v : it->value().as_array()) {
        if (!v.is_string() || !IsValidSymbol(v.as_string())) {
            in.AddError("benchmarks", "invalid",
                        "index symbols are 1-32 characters of A-Z, a-z, 0-9 and ^.=_:- (the symbol rule)");
            return out;
        }
        if (std::find(out.begin(), out.end(), v.as_string()) != out.end()) {
            // was 409 db.unique_violation from the benchmarks' primary key
            in.AddError("benchmarks", "duplicate", "each index symbol at most once");
            return out;
        }
        out.emplace_back(v.as_string());
    }
    return out;
}

// A page of items with the cursor of the next one ("next_cursor": null on the last page).
template <class Item, class Render, class CursorOf>
json::object PageJson(std::vector<Item> items, std::size_t limit, Render render, CursorOf cursor_of) {
    const bool more = items.size() > limit;
    if (more) items.resize(limit);
    json::array arr;
    for (const auto& item : items) arr.push_back(render(item));
    json::object out{{"items", std::move(arr)}};
    if (more) {
        out["next_cursor"] = cursor_of(items.back());
    } else {
        out["next_cursor"] = nullptr;
    }
    return out;
}

// The transaction filters of GET .../transactions, each refused one named.
TransactionFilter ReadTransactionFilter(const Request& req) {
    TransactionFilter f;
    const auto& q = req.Query();
    std::vector<FieldError> errors;
    if (auto s = q.Get("symbol")) f.symbol = std::string(*s);
    if (auto t = q.Get("type")) {
        f.type = ParseType(*t);
        if (!f.type) errors.push_back({"type", "invalid", "one of the transaction types"});
    }
    auto time = [&](const char* name, std::optional<Timestamp>& out) {
        auto v = q.Get(name);
        if (!v) return;
        if (auto ts = ParseRfc3339(*v)) {
            out = *ts;
        } else if (auto d = ParseDate(*v)) {
            out = StartOfDay(*d);
        } else {
            errors.push_back({name, "invalid", "an RFC 3339 time or a YYYY-MM-DD date"});
        }
    };
    time("from", f.from);
    time("to", f.to);
    if (!errors.empty())
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "invalid filters", errors);
    return f;
}

// --- handlers, one per route ---

asio::awaitable<Response> PostPortfolio(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kWrite);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    Portfolio draft;
    draft.user_id = actor.user_id;
    if (auto owner = in.OptionalString("user_id", {.min_length = 36, .max_length = 36})) {
        if (auto id = UserId::Parse(*owner)) {
            draft.user_id = *id;
        } else {
            in.AddError("user_id", "invalid", "a UUID");
        }
    }
    draft = ReadPortfolioFields(in, draft, true);
    draft.benchmarks = ReadBenchmarks(body, in);
    in.AllowOnly({"name", "description", "portfolio_type", "currency", "cost_basis_method", "allow_short",
                  "min_trade_amount", "benchmarks", "user_id"});
    in.Finish();
    Portfolio p = co_await ctx->service.CreatePortfolio(actor, draft, req.shard);
    Response res = Json(ToJson(p), 201);
    res.SetHeader("Location", "/api/v1/portfolios/" + p.id.ToString());
    co_return res;
}

asio::awaitable<Response> ListPortfolioPage(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kRead);
    // The first page of a plain user's own portfolios, as the dashboard asks for it, is cached
    // in this process under the request's liveness copy (after the liveness check; API keys
    // carry none). An advisor's or an administrator's list also shows other users' portfolios:
    // not cached.
    const auto* principal = req.PrincipalAs<auth::Principal>();
    auth::LiveAnswers* answers = principal && principal->role == auth::Role::kUser && principal->live &&
                                         req.Target().find('?') == std::string_view::npos
                                     ? &ctx->service.ListAnswers()
                                     : nullptr;
    if (answers) {
        if (auto hit = answers->Find(actor.user_id, principal->live)) co_return RawJson(200, *hit);
    }
    const std::uint64_t generation = answers ? answers->Generation(actor.user_id) : 0;
    auto page = http::ParsePage(req);
    PortfolioFilter filter;
    filter.limit = page.limit + 1;
    filter.after = http::DecodeTimeIdCursor<PortfolioId>(page.cursor);
    const auto include_inactive = req.Query().Get("include_inactive");
    if (include_inactive && *include_inactive != "true" && *include_inactive != "false") {
        const std::string message = "include_inactive is true or false";  // "maybe" was taken as false
        throw http::HttpError(422, "validation.failed", message, {},
                              {http::FieldError{"include_inactive", "not_allowed", message}});
    }
    filter.include_inactive = include_inactive == std::optional<std::string_view>("true");
    auto items = co_await ctx->service.ListPortfolios(actor, filter, req.shard);
    json::object out = PageJson(
        std::move(items), page.limit, [](const Portfolio& p) { return ToJson(p); },
        [](const Portfolio& p) { return Cursor(p.created_at, p.id.Value()); });
    if (!answers) co_return Json(out);
    auto body = std::make_shared<const std::string>(json::serialize(out));
    answers->Store(actor.user_id, principal->live, body, generation);
    co_return RawJson(200, *body);
}

asio::awaitable<Response> PortfolioSummary(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kRead);
    co_return RawJson(200, co_await ctx->service.SummaryJson(actor, req.shard));
}

asio::awaitable<Response> ShowPortfolio(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kRead);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    co_return Json(ToJson(co_await ctx->service.GetPortfolio(actor, id, req.shard)));
}

asio::awaitable<Response> PatchPortfolio(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kWrite);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    // Validate against a blank portfolio first so every error is reported before the database
    // is touched; the change is then applied to the stored one.
    ReadPortfolioFields(in, Portfolio{}, false);
    bool has_benchmarks = body.contains("benchmarks");
    auto benchmarks = ReadBenchmarks(body, in);
    in.AllowOnly({"name", "description", "portfolio_type", "cost_basis_method", "allow_short",
                  "min_trade_amount", "is_active", "benchmarks"});
    in.Finish();
    auto change = [&body, has_benchmarks, benchmarks](Portfolio& p) {
        http::FieldReader again(body);
        p = ReadPortfolioFields(again, p, false);
        if (has_benchmarks) p.benchmarks = benchmarks;
    };
    co_return Json(ToJson(co_await ctx->service.UpdatePortfolio(actor, id, change, req.shard)));
}

asio::awaitable<Response> DeactivatePortfolio(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kWrite);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    co_await ctx->service.UpdatePortfolio(
        actor, id, [](Portfolio& p) { p.is_active = false; }, req.shard);
    co_return Response::NoContent();
}

asio::awaitable<Response> PostTransaction(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kWrite);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    auto key = http::IdempotencyKey(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    Transaction t = ReadTransaction(in, Now());
    in.Finish();
    std::optional<Idempotency> idem;
    if (key) {
        std::string path(req.Path());
        idem = Idempotency{*key, crypto::Sha256(fmt::format("POST\n{}\n{}", path, req.Body())), "POST", path};
    }
    auto render = [id](const Transaction& stored) { return json::serialize(ToJson(stored, id)); };
    auto res = co_await ctx->service.CreateTransaction(actor, id, std::move(t), idem, render, req.request_id,
                                                       req.shard);
    co_return RawJson(res.status, std::move(res.body));
}

asio::awaitable<Response> ListTransactionPage(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kRead);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    auto page = http::ParsePage(req);
    TransactionFilter f = ReadTransactionFilter(req);
    f.limit = page.limit + 1;
    f.after = http::DecodeTimeIdCursor<TransactionId>(page.cursor);
    auto items = co_await ctx->service.ListTransactions(actor, id, f, req.shard);
    co_return Json(PageJson(
        std::move(items), page.limit, [id](const Transaction& t) { return ToJson(t, id); },
        [](const Transaction& t) { return Cursor(t.executed_at, t.id.Value()); }));
}

asio::awaitable<Response> ShowTransaction(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kRead);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    auto tid = PathId<TransactionId>(req, "tid", "transaction");
    co_return Json(ToJson(co_await ctx->service.GetTransaction(actor, id, tid, req.shard), id));
}

asio::awaitable<Response> PutTransaction(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kWrite);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    auto tid = PathId<TransactionId>(req, "tid", "transaction");
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    Transaction t = ReadTransaction(in, Now());
    in.Finish();
    t.id = tid;
    co_return Json(
        ToJson(co_await ctx->service.UpdateTransaction(actor, id, t, req.request_id, req.shard), id));
}

asio::awaitable<Response> RemoveTransaction(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kWrite);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    auto tid = PathId<TransactionId>(req, "tid", "transaction");
    co_await ctx->service.DeleteTransaction(actor, id, tid, req.request_id, req.shard);
    co_return Response::NoContent();
}

asio::awaitable<Response> ImportCsv(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kWrite);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    bool dry_run = req.Query().Get("dry_run") == std::optional<std::string_view>("true");
    co_await ctx->service.CheckWritable(actor, id, req.shard);
    CsvImport parsed = co_await ctx->service.ParseImport(req.Body(), Now());
    json::object out = ToJson(parsed);
    out["dry_run"] = dry_run;
    if (parsed.error_count != 0) {
        out["imported"] = 0;
        co_return Json(out, 422);
    }
    if (dry_run) {
        // The dry run checks every line; the real run also replays the ledger and refuses the
        // whole file (422) when a sale exceeds what is held.
        out["imported"] = 0;
        co_return Json(out);
    }
    auto n = co_await ctx->service.ImportTransactions(actor, id, std::move(parsed.transactions),
                                                      req.request_id, req.shard);
    out["imported"] = n;
    co_return Json(out, 201);
}

asio::awaitable<Response> ShowHoldings(PortfolioCtxPtr ctx, Request& req) {
    Actor actor = co_await auth::ActorOfRequest(req, ctx->directory, kRead);
    auto id = PathId<PortfolioId>(req, "id", "portfolio");
    co_return Json(ToJson(co_await ctx->service.Holdings(actor, id, req.shard)));
}

// --- the route table ---

std::vector<http::QueryParam> PageQuery(std::vector<http::QueryParam> more = {}) {
    std::vector<http::QueryParam> q{{"limit", js::Integer(1, 200), false, "page size (default 50)"},
                                    {"cursor", js::String(), false, "next_cursor of the previous page"}};
    for (auto& p : more) q.push_back(std::move(p));
    return q;
}

// The fields a portfolio write may send (create adds name and currency as required, update
// is_active).
std::vector<http::Field> PortfolioWriteFields(bool create) {
    auto portfolio_types = js::Enum({"INVESTMENT", "RETIREMENT", "SAVINGS", "TRADING", "EDUCATION", "OTHER"});
    auto benchmarks = js::Array(js::Ref("Symbol"), 10).Describe("index symbols (at most 10)");
    std::vector<http::Field> fields;
    if (create) {
        fields.push_back({"name", js::String(1, 100)});
        fields.push_back({"currency", js::String(3, 3)});
    } else {
        fields.push_back(js::OptNull("name", js::String(1, 100)));
    }
    fields.push_back(js::OptNull("description", js::String(0, 2000)));
    fields.push_back(js::OptNull("portfolio_type", portfolio_types));
    fields.push_back(js::OptNull("cost_basis_method", js::Enum({"AVERAGE", "FIFO"})));
    fields.push_back(js::OptNull("allow_short", js::Boolean()));
    fields.push_back(js::OptNull("min_trade_amount", js::Decimal()));
    if (!create) fields.push_back(js::OptNull("is_active", js::Boolean()));
    fields.push_back(js::OptNull("benchmarks", benchmarks));
    if (create) fields.push_back(js::OptNull("user_id", js::Uuid().Describe("an advisor's managed client")));
    return fields;
}

void AddPortfolioRoutes(http::Router& routes, const PortfolioCtxPtr& ctx) {
    std::vector<http::Field> summary_fields{
        {"id", js::Uuid()},
        {"name", js::String(1, 100)},
        {"portfolio_type",
         js::Enum({"INVESTMENT", "RETIREMENT", "SAVINGS", "TRADING", "EDUCATION", "OTHER"})},
        {"currency", js::Ref("Currency")},
        {"holdings_count", js::Integer(0)}};
    for (auto& f : TotalsSchemaFields()) summary_fields.push_back(std::move(f));
    const std::string one = "/api/v1/portfolios/{id}";
    routes.Post("/api/v1/portfolios", http::Bind<PostPortfolio>(ctx),
                {.name = "portfolio.create",
                 .require_auth = true,
                 .contract = {.request = js::Object(PortfolioWriteFields(true)),
                              .responses = {{201, js::Ref("Portfolio")}},
                              .codes = {"auth.insufficient_scope", "portfolio.user_inactive"}}});
    routes.Get("/api/v1/portfolios", http::Bind<ListPortfolioPage>(ctx),
               {.name = "portfolio.list",
                .require_auth = true,
                .contract = {.query = PageQuery({{"include_inactive", js::Enum({"true", "false"})}}),
                             .responses = {{200, js::Page(js::Ref("Portfolio"))}}}});
    routes.Get("/api/v1/portfolios/summary", http::Bind<PortfolioSummary>(ctx),
               {.name = "portfolio.summary",
                .require_auth = true,
                .contract = {.responses = {{200, js::Page(js::Object(summary_fields))}}}});
    routes.Get(one, http::Bind<ShowPortfolio>(ctx),
               {.name = "portfolio.get",
                .require_auth = true,
                .contract = {.responses = {{200, js::Ref("Portfolio")}}, .codes = {"portfolio.not_found"}}});
    routes.Patch(one, http::Bind<PatchPortfolio>(ctx),
                 {.name = "portfolio.update",
                  .require_auth = true,
                  .contract = {.request = js::Object(PortfolioWriteFields(false)),
                               .responses = {{200, js::Ref("Portfolio")}},
                               // allow_short off re-derives: a past short sale is refused again
                               .codes = {"portfolio.not_found", "holdings.insufficient_quantity"}}});
    routes.Delete(one, http::Bind<DeactivatePortfolio>(ctx),
                  {.name = "portfolio.deactivate",
                   .require_auth = true,
                   .contract = {.responses = {{204}}, .codes = {"portfolio.not_found"}}});
}

void AddTransactionRoutes(http::Router& routes, const PortfolioCtxPtr& ctx) {
    const std::string list = "/api/v1/portfolios/{id}/transactions";
    const std::string one = list + "/{tid}";
    const std::vector<std::string> ledger_codes{"holdings.insufficient_quantity",
                                                "holdings.currency_mismatch", "holdings.not_a_position"};
    auto with_ledger = [&ledger_codes](std::vector<std::string> codes) {
        codes.insert(codes.end(), ledger_codes.begin(), ledger_codes.end());
        return codes;
    };
    routes.Post(
        list, http::Bind<PostTransaction>(ctx),
        {.name = "portfolio.transactions.create",
         .require_auth = true,
         .headers = {"Idempotency-Key"},
         .contract = {.request = js::Ref("TransactionInput"),
                      .responses = {{201, js::Ref("Transaction"), "application/json",
                                     "recorded; a replay of an Idempotency-Key answers the first answer, "
                                     "status and body"}},
                      .codes = {"portfolio.not_found", "portfolio.inactive", "holdings.insufficient_quantity",
                                "holdings.currency_mismatch", "holdings.not_a_position",
                                "idempotency.key_reused", "idempotency.in_flight", "idempotency.bad_key"}}});
    const auto date_or_time = "an RFC 3339 time or a YYYY-MM-DD date";
    routes.Get(list, http::Bind<ListTransactionPage>(ctx),
               {.name = "portfolio.transactions.list",
                .require_auth = true,
                .contract = {.query = PageQuery({{"symbol", js::Ref("Symbol")},
                                                 {"type", js::Ref("TransactionType")},
                                                 {"from", js::String(), false, date_or_time},
                                                 {"to", js::String(), false, date_or_time}}),
                             .responses = {{200, js::Page(js::Ref("Transaction"))}},
                             .codes = {"portfolio.not_found", "pagination.bad_cursor"}}});
    routes.Get(one, http::Bind<ShowTransaction>(ctx),
               {.name = "portfolio.transactions.get",
                .require_auth = true,
                .contract = {.responses = {{200, js::Ref("Transaction")}},
                             .codes = {"portfolio.not_found", "transaction.not_found"}}});
    routes.Put(one, http::Bind<PutTransaction>(ctx),
               {.name = "portfolio.transactions.update",
                .require_auth = true,
                .contract = {.request = js::Ref("TransactionInput"),
                             .responses = {{200, js::Ref("Transaction")}},
                             .codes = with_ledger({"portfolio.not_found", "transaction.not_found"})}});
    routes.Delete(one, http::Bind<RemoveTransaction>(ctx),
                  {.name = "portfolio.transactions.delete",
                   .require_auth = true,
                   .contract = {.responses = {{204}},
                                .codes = with_ledger({"portfolio.not_found", "transaction.not_found"})}});
    routes.Post(
        list + "/import", http::Bind<ImportCsv>(ctx),
        {.name = "portfolio.transactions.import",
         .require_auth = true,
         .max_body_bytes = 8u << 20,
         .expensive = true,
         .contract = {
             .query = {{"dry_run", js::Enum({"true", "false"}), false, "check every line and store nothing"}},
             .request = js::String().Describe("CSV: a header line, then one transaction a line "
                                              "(docs/portfolio.md)"),
             .request_content_type = "text/csv",
             .responses = {{201, js::Ref("ImportResult"), "application/json", "stored"},
                           {200, js::Ref("ImportResult"), "application/json", "the dry run"},
                           {422, js::Ref("ImportResult"), "application/json",
                            "lines were refused; nothing stored"}},
             .codes = with_ledger({"portfolio.not_found", "portfolio.inactive"})}});
}

}  // namespace

void AddRoutes(http::Router& routes, Service& service, std::shared_ptr<auth::UserDirectory> directory) {
    auto ctx = std::make_shared<const PortfolioCtx>(PortfolioCtx{service, std::move(directory)});
    AddSchemas(routes);
    AddPortfolioRoutes(routes, ctx);
    AddTransactionRoutes(routes, ctx);
    routes.Get("/api/v1/portfolios/{id}/holdings", http::Bind<ShowHoldings>(ctx),
               {.name = "portfolio.holdings",
                .require_auth = true,
                .contract = {.responses = {{200, js::Ref("Holdings")}}, .codes = {"portfolio.not_found"}}});
}

}  // namespace nn::portfolio
