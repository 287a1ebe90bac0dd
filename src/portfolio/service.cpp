#include "portfolio/service.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <set>
#include <span>

#include "auth/user_directory.hpp"
#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "infra/db/transaction.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/ledger_deriver.hpp"
#include "portfolio/value_totals.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

Error NotFound() {
    return Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
}

std::string EventPayload(const Transaction& t, PortfolioId portfolio) {
    json::object o;
    o["portfolio_id"] = portfolio.ToString();
    o["transaction_id"] = t.id.ToString();
    o["type"] = TypeName(t.type);
    if (t.symbol) o["symbol"] = *t.symbol;
    if (t.quantity) o["quantity"] = t.quantity->ToString();
    if (t.price) o["price"] = t.price->ToString();
    if (t.amount) o["amount"] = t.amount->ToString();
    o["currency"] = t.currency.Code();
    o["executed_at"] = FormatRfc3339(t.executed_at);
    return json::serialize(o);
}

}  // namespace

Service::Service(App& app,
                 std::shared_ptr<Repository> repo,
                 std::shared_ptr<auth::UserDirectory> directory,
                 std::shared_ptr<market::RateDirectory> rates,
                 ServiceOptions options)
    : app_(app),
      repo_(std::move(repo)),
      directory_(std::move(directory)),
      rates_(std::move(rates)),
      options_(std::move(options)),
      after_writes_(app.ShardCount()),
      summary_cache_(options_.cache_prefix, options_.summary_cache_ttl) {}

asio::awaitable<void> Service::InvalidateSummary(UserId user, std::size_t shard) {
    list_answers_.Drop(user);
    try {
        const std::vector<UserId> users(1, user);
        co_await summary_cache_.Invalidate(app_.Redis(shard), users);
    } catch (const std::exception& e) {
        spdlog::warn("portfolio: summary cache of {} not invalidated: {}", user.ToString(), e.what());
    }
}

void Service::HoldingsChanged(PortfolioId portfolio, UserId owner, std::size_t shard) {
    if (!holdings_hook_ || shard >= after_writes_.size()) return;
    // The state is the shard's: get there first (inline when already on it).
    const ChangedPortfolio changed{portfolio, owner};
    asio::dispatch(app_.Shard(shard), [this, changed, shard] {
        AfterWrites& q = after_writes_[shard];
        if (std::find(q.pending.begin(), q.pending.end(), changed) == q.pending.end())
            q.pending.push_back(changed);
        if (q.running) return;
        q.running = true;
        asio::co_spawn(app_.Shard(shard), RunHoldingsHook(shard), asio::detached);
    });
}

asio::awaitable<void> Service::RunHoldingsHook(std::size_t shard) {
    AfterWrites& q = after_writes_[shard];
    asio::steady_timer gather(app_.Shard(shard));
    while (!q.pending.empty()) {
        if (holdings_gather_.count() > 0) {
            gather.expires_after(holdings_gather_);
            co_await gather.async_wait(asio::use_awaitable);
        }
        std::vector<ChangedPortfolio> batch;
        batch.swap(q.pending);
        std::string error;
        try {
            co_await holdings_hook_(batch, shard);
        } catch (const std::exception& e) {
            error = e.what();
        } catch (...) {
            error = "unknown error";
        }
        if (!error.empty())
            spdlog::warn("portfolio: after-write hook for {} portfolio(s) failed: {}", batch.size(), error);
    }
    q.running = false;
}

asio::awaitable<void> Service::AfterWritesDone(std::size_t shard) {
    if (shard >= after_writes_.size()) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        const AfterWrites& q = after_writes_[shard];
        if (!q.running && q.pending.empty()) break;
        timer.expires_after(std::chrono::milliseconds(2));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

asio::awaitable<Portfolio> Service::CreatePortfolio(const Actor& actor, Portfolio draft, std::size_t shard) {
    if (directory_) {
        auto user = co_await directory_->GetUser(draft.user_id, shard);
        if (!user || !user->is_active) {
            throw Error(ErrorKind::kUnprocessable, "portfolio.user_inactive",
                        "the owner does not exist or is not active");
        }
    }
    draft.id = PortfolioId::Generate();
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    Portfolio created =
        co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<Portfolio> {
            Portfolio p = co_await repo_->InsertPortfolio(tx, draft);
            p.benchmarks = draft.benchmarks;
            co_await repo_->ReplaceBenchmarks(tx, p);
            json::object payload{{"name", p.name}, {"currency", p.currency.Code()}};
            co_await repo_->InsertOutbox(tx, actor, p.user_id, "portfolio", p.id.ToString(),
                                         "portfolio.created", json::serialize(payload), "");
            co_return p;
        });
    co_await InvalidateSummary(created.user_id, shard);
    co_return created;
}

asio::awaitable<std::vector<Portfolio>> Service::ListPortfolios(const Actor& actor,
                                                                PortfolioFilter filter,
                                                                std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await repo_->ListPortfolios(pool, actor, filter);
}

asio::awaitable<Portfolio> Service::GetPortfolio(const Actor& actor, PortfolioId id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<Portfolio> {
                                     auto p = co_await repo_->GetPortfolio(tx, id, false);
                                     if (!p) throw NotFound();
                                     co_return *p;
                                 });
}

asio::awaitable<Portfolio> Service::LockWritable(db::Transaction& tx, PortfolioId id) {
    // FOR UPDATE serialises writers of one portfolio (each re-derivation sees the previous
    // one) and needs the write policy: a READ-only advisor gets "not found".
    std::optional<Portfolio> p;
    try {
        p = co_await repo_->GetPortfolio(tx, id, true);
    } catch (const db::InsufficientPrivilege&) {
        throw NotFound();
    }
    if (!p) throw NotFound();
    co_return *p;
}

asio::awaitable<LockedForAppend> Service::LockForAppend(db::Transaction& tx,
                                                        PortfolioId id,
                                                        const Transaction& t) {
    // LockWritable and the stored position of the transaction's symbol, in one round trip.
    std::vector<std::string> symbols;
    if (t.symbol) symbols.push_back(*t.symbol);
    LockedForAppend locked;
    try {
        locked = co_await repo_->LockForAppend(tx, id, symbols);
    } catch (const db::InsufficientPrivilege&) {
        throw NotFound();
    }
    if (!locked.portfolio) throw NotFound();
    co_return locked;
}

asio::awaitable<Portfolio> Service::UpdatePortfolio(const Actor& actor,
                                                    PortfolioId id,
                                                    std::function<void(Portfolio&)> change,
                                                    std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    Portfolio updated =
        co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<Portfolio> {
            Portfolio before = co_await LockWritable(tx, id);
            Portfolio after = before;
            change(after);
            Portfolio stored = co_await repo_->UpdatePortfolio(tx, after);
            if (after.benchmarks != before.benchmarks) {
                co_await repo_->ReplaceBenchmarks(tx, after);
                stored.benchmarks = after.benchmarks;
            }
            if (after.cost_basis_method != before.cost_basis_method ||
                after.allow_short != before.allow_short) {
                co_await Rederive(tx, stored);
            }
            json::object payload{{"name", stored.name}, {"is_active", stored.is_active}};
            co_await repo_->InsertOutbox(tx, actor, stored.user_id, "portfolio", stored.id.ToString(),
                                         stored.is_active ? "portfolio.updated" : "portfolio.deactivated",
                                         json::serialize(payload), "");
            co_return stored;
        });
    co_await InvalidateSummary(updated.user_id, shard);
    co_return updated;
}

asio::awaitable<void> Service::Rederive(db::Transaction& tx, const Portfolio& p) {
    auto txs = co_await repo_->AllTransactions(tx, p.id);
    LedgerSettings settings{p.currency, p.cost_basis_method, p.allow_short};
    // A long ledger (a large import, years of trades) is replayed on the CPU pool, so the event
    // loop that runs this request keeps serving others (issue 15); a short one costs less than
    // the hop.
    constexpr std::size_t kInlineReplayLimit = 2000;
    using Replayed = std::optional<decltype(Replay(std::move(txs), settings))>;  // co_spawn needs a default
    Replayed ledger;
    if (txs.size() > kInlineReplayLimit) {
        ledger =
            co_await app_.Cpu().Run([&txs, &settings] { return Replayed(Replay(std::move(txs), settings)); });
    } else {
        ledger.emplace(Replay(std::move(txs), settings));
    }
    if (!*ledger) throw LedgerRefusal(ledger->Error());
    co_await repo_->WriteLedger(tx, p, ledger->Value());
    // The stored states were derived under the old settings: each symbol's next write derives
    // it again from its first transaction.
    co_await repo_->ForgetLedger(tx, p.id);
}

// The writes call these inside their portfolio transaction (the base is the locked portfolio's
// currency). The rates come from the market's database through its RateDirectory: that read was
// never part of the portfolio transaction, it only runs while the transaction is open.
asio::awaitable<void> Service::FillTradeRate(Transaction& t, Currency base, std::size_t shard) {
    if (t.currency == base || t.fx_rate) co_return;
    co_await FillTradeRates(std::span<Transaction>(&t, 1), base, shard);
}

asio::awaitable<void> Service::FillTradeRates(std::span<Transaction> txs, Currency base, std::size_t shard) {
    std::vector<Transaction*> missing;
    std::vector<market::RateAt> wanted;
    for (Transaction& t : txs) {
        if (t.currency == base || t.fx_rate) continue;
        missing.push_back(&t);
        market::RateAt at;
        at.currency = std::string(t.currency.Code());
        at.time = t.executed_at;
        wanted.push_back(std::move(at));
    }
    if (missing.empty()) co_return;
    try {
        const auto rates = co_await rates_->RatesAt(std::move(wanted), std::string(base.Code()), shard);
        for (std::size_t i = 0; i < rates.size() && i < missing.size(); ++i) {
            if (rates[i]) missing[i]->fx_rate = Decimal::Div(*rates[i], Decimal::FromInt(1), 12).Normalized();
        }
    } catch (const db::DbError& e) {
        // The rates stay unknown: the holdings report missing_trade_rate instead of guessing.
        spdlog::warn("portfolio: trade-date rates to {} unavailable: {}", base.Code(), e.what());
    }
}

asio::awaitable<std::vector<std::pair<std::string, Decimal>>> Service::CurrentRates(
    const std::vector<std::string>& currencies, Currency base, std::size_t shard) {
    co_return co_await LatestRates(*rates_, currencies, base, shard);
}

asio::awaitable<StoredResponse> Service::CreateTransaction(
    const Actor& actor,
    PortfolioId portfolio,
    Transaction t,
    std::optional<Idempotency> idem,
    std::function<std::string(const Transaction&)> render,
    const std::string& request_id,
    std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    if (idem) {
        // Step 1 of security.md §4.3: claim the key in a short transaction of its own.
        std::optional<StoredResponse> replay = co_await db::RunAs(
            pool, actor, [&](db::Transaction& tx) -> asio::awaitable<std::optional<StoredResponse>> {
                if (co_await repo_->ClaimKey(tx, actor.user_id, idem->key, idem->method, idem->path,
                                             idem->hash)) {
                    co_return std::nullopt;
                }
                auto row = co_await repo_->GetKey(tx, actor.user_id, idem->key);
                if (!row) throw Error(ErrorKind::kConflict, "idempotency.in_flight", "retry the request");
                if (row->request_hash != idem->hash) {
                    throw Error(ErrorKind::kUnprocessable, "idempotency.key_reused",
                                "this Idempotency-Key was used with another request");
                }
                if (row->status == "DONE") {
                    co_return StoredResponse{row->response_status.value_or(201),
                                             row->response_body.value_or("")};
                }
                if (row->stale && co_await repo_->TakeOverKey(tx, actor.user_id, idem->key)) {
                    co_return std::nullopt;
                }
                throw Error(ErrorKind::kConflict, "idempotency.in_flight",
                            "a request with this Idempotency-Key is still being processed");
            });
        if (replay) co_return *replay;
    }
    // Named, not a conditional inside the co_await: GCC 12 mishandles such temporaries there.
    std::optional<std::string> key_text;
    if (idem) key_text = idem->key;
    std::exception_ptr failure;
    try {
        t.id = TransactionId::Generate();
        UserId owner;
        StoredResponse response =
            co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<StoredResponse> {
                LockedForAppend locked = co_await LockForAppend(tx, portfolio, t);
                const Portfolio& p = *locked.portfolio;
                if (!p.is_active) {
                    throw Error(ErrorKind::kUnprocessable, "portfolio.inactive",
                                "the portfolio is deactivated");
                }
                owner = p.user_id;
                co_await FillTradeRate(t, p.currency, shard);
                const Transaction stored =
                    co_await repo_->InsertTransaction(tx, p.id, p.user_id, t, key_text);
                LedgerChange change;
                change.added.push_back(stored);
                change.stored_positions = std::move(locked.positions);
                co_await LedgerDeriver::Apply(tx, *repo_, p, change, &app_.Cpu());
                co_await repo_->InsertOutbox(tx, actor, p.user_id, "transaction", t.id.ToString(),
                                             "transaction.created", EventPayload(stored, p.id), request_id);
                std::string body = render(stored);
                if (idem) {
                    body = co_await repo_->FinishKey(tx, actor.user_id, idem->key, 201, body, t.id.Value());
                }
                co_return StoredResponse{201, std::move(body)};
            });
        co_await InvalidateSummary(owner, shard);
        HoldingsChanged(portfolio, owner, shard);
        co_return response;
    } catch (...) {
        if (!idem) throw;
        failure = std::current_exception();
    }
    // Nothing happened: the key is released so a corrected retry can use it (Stripe keeps no
    // result for requests that did not execute).
    try {
        co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
            co_await repo_->ReleaseKey(tx, actor.user_id, idem->key);
        });
    } catch (const std::exception& e) {
        spdlog::warn("portfolio: idempotency key not released: {}", e.what());
    }
    std::rethrow_exception(failure);
}

asio::awaitable<void> Service::CheckWritable(const Actor& actor, PortfolioId portfolio, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        co_await LockWritable(tx, portfolio);
    });
}

asio::awaitable<CsvImport> Service::ParseImport(std::string_view csv, Timestamp now) {
    co_return co_await app_.Cpu().Run([csv, now] { return ParseTransactionsCsv(csv, now); });
}

asio::awaitable<std::size_t> Service::ImportTransactions(const Actor& actor,
                                                         PortfolioId portfolio,
                                                         std::vector<Transaction> txs,
                                                         const std::string& request_id,
                                                         std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    UserId owner;
    std::size_t n = co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<std::size_t> {
        Portfolio p = co_await LockWritable(tx, portfolio);
        owner = p.user_id;
        for (Transaction& t : txs) t.id = TransactionId::Generate();
        co_await FillTradeRates(txs, p.currency, shard);
        co_await repo_->CopyTransactions(tx, p.id, p.user_id, txs);
        LedgerChange change;
        change.added = std::move(txs);
        co_await LedgerDeriver::Apply(tx, *repo_, p, change, &app_.Cpu());
        json::object payload{{"portfolio_id", p.id.ToString()}, {"count", txs.size()}};
        co_await repo_->InsertOutbox(tx, actor, p.user_id, "portfolio", p.id.ToString(),
                                     "transactions.imported", json::serialize(payload), request_id);
        co_return change.added.size();
    });
    co_await InvalidateSummary(owner, shard);
    HoldingsChanged(portfolio, owner, shard);
    co_return n;
}

asio::awaitable<std::vector<Transaction>> Service::ListTransactions(const Actor& actor,
                                                                    PortfolioId portfolio,
                                                                    TransactionFilter filter,
                                                                    std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<std::vector<Transaction>> {
                                     if (!co_await repo_->GetPortfolio(tx, portfolio, false))
                                         throw NotFound();
                                     co_return co_await repo_->ListTransactions(tx, portfolio, filter);
                                 });
}

asio::awaitable<LedgerHead> Service::ReadLedgerHead(const Actor& actor,
                                                    PortfolioId portfolio,
                                                    std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<LedgerHead> {
                                     co_return co_await repo_->ReadLedgerHead(tx, portfolio);
                                 });
}

asio::awaitable<std::map<std::string, Timestamp>> Service::LastTransactionTimes(
    const Actor& actor, PortfolioId portfolio, std::vector<std::string> symbols, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(
        pool, actor, db::TransactionOptions().ReadOnly(),
        [&](db::Transaction& tx) -> asio::awaitable<std::map<std::string, Timestamp>> {
            co_return co_await repo_->LastTransactionTimes(tx, portfolio, symbols);
        });
}

asio::awaitable<std::optional<StoredReadCheckpoint>> Service::ReadCheckpoint(const Actor& actor,
                                                                             PortfolioId portfolio,
                                                                             Date on_or_before,
                                                                             std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(
        pool, actor, db::TransactionOptions().ReadOnly(),
        [&](db::Transaction& tx) -> asio::awaitable<std::optional<StoredReadCheckpoint>> {
            co_return co_await repo_->ReadCheckpoint(tx, portfolio, on_or_before);
        });
}

namespace {

// Every transaction matching `filter` (its limit replaced by `page_size`), page after page in the
// caller's transaction, newest first.
asio::awaitable<std::vector<Transaction>> ReadPages(Repository& repo,
                                                    db::Transaction& tx,
                                                    PortfolioId portfolio,
                                                    TransactionFilter filter,
                                                    std::size_t page_size) {
    std::vector<Transaction> out;
    filter.limit = page_size;
    for (;;) {
        std::vector<Transaction> page = co_await repo.ListTransactions(tx, portfolio, filter);
        const bool more = page.size() == page_size;
        if (!page.empty()) filter.after = std::make_pair(page.back().executed_at, page.back().id);
        out.insert(out.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
        if (!more) co_return out;
    }
}

db::TransactionOptions OneSnapshot() {
    return db::TransactionOptions().ReadOnly().Isolation(db::IsolationLevel::kRepeatableRead);
}

}  // namespace

asio::awaitable<std::vector<Transaction>> Service::ListAllTransactions(const Actor& actor,
                                                                       PortfolioId portfolio,
                                                                       TransactionFilter filter,
                                                                       std::size_t page_size,
                                                                       std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(
        pool, actor, OneSnapshot(), [&](db::Transaction& tx) -> asio::awaitable<std::vector<Transaction>> {
            const std::optional<Portfolio> visible = co_await repo_->GetPortfolio(tx, portfolio, false);
            if (!visible) throw NotFound();
            co_return co_await ReadPages(*repo_, tx, portfolio, filter, page_size);
        });
}

asio::awaitable<Service::OpeningRead> Service::ReadOpening(const Actor& actor,
                                                           PortfolioId portfolio,
                                                           std::optional<Date> checkpoint_day,
                                                           Timestamp until,
                                                           std::size_t page_size,
                                                           std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(
        pool, actor, OneSnapshot(), [&](db::Transaction& tx) -> asio::awaitable<OpeningRead> {
            const std::optional<Portfolio> visible = co_await repo_->GetPortfolio(tx, portfolio, false);
            if (!visible) throw NotFound();
            OpeningRead out;
            if (checkpoint_day)
                out.checkpoint = co_await repo_->ReadCheckpoint(tx, portfolio, *checkpoint_day);
            TransactionFilter filter;
            filter.to = until;
            if (out.checkpoint) filter.from = StartOfDay(AddDays(out.checkpoint->day, 1));
            out.after = co_await ReadPages(*repo_, tx, portfolio, filter, page_size);
            co_return out;
        });
}

asio::awaitable<bool> Service::StoreReadCheckpoints(const Actor& actor,
                                                    const Portfolio& portfolio,
                                                    std::int64_t version,
                                                    std::vector<StoredReadCheckpoint> checkpoints,
                                                    std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<bool> {
        co_return co_await repo_->StoreReadCheckpoints(tx, portfolio.id, portfolio.user_id, version,
                                                       checkpoints);
    });
}

asio::awaitable<Transaction> Service::GetTransaction(const Actor& actor,
                                                     PortfolioId portfolio,
                                                     TransactionId id,
                                                     std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<Transaction> {
                                     auto t = co_await repo_->GetTransaction(tx, portfolio, id);
                                     if (!t)
                                         throw Error(ErrorKind::kNotFound, "transaction.not_found",
                                                     "no such transaction");
                                     co_return *t;
                                 });
}

asio::awaitable<Transaction> Service::UpdateTransaction(const Actor& actor,
                                                        PortfolioId portfolio,
                                                        Transaction t,
                                                        const std::string& request_id,
                                                        std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    UserId owner;
    Transaction stored =
        co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<Transaction> {
            Portfolio p = co_await LockWritable(tx, portfolio);
            owner = p.user_id;
            co_await FillTradeRate(t, p.currency, shard);
            auto before = co_await repo_->GetTransaction(tx, p.id, t.id);
            if (!before) throw Error(ErrorKind::kNotFound, "transaction.not_found", "no such transaction");
            co_await repo_->UpdateTransaction(tx, p.id, t);
            auto after = co_await repo_->GetTransaction(tx, p.id, t.id);
            LedgerChange change;
            change.removed.push_back(*before);
            change.added.push_back(*after);
            co_await LedgerDeriver::Apply(tx, *repo_, p, change, &app_.Cpu());
            co_await repo_->InsertOutbox(tx, actor, p.user_id, "transaction", t.id.ToString(),
                                         "transaction.updated", EventPayload(*after, p.id), request_id);
            co_return *after;
        });
    co_await InvalidateSummary(owner, shard);
    HoldingsChanged(portfolio, owner, shard);
    co_return stored;
}

asio::awaitable<void> Service::DeleteTransaction(const Actor& actor,
                                                 PortfolioId portfolio,
                                                 TransactionId id,
                                                 const std::string& request_id,
                                                 std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    UserId owner;
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        Portfolio p = co_await LockWritable(tx, portfolio);
        owner = p.user_id;
        auto before = co_await repo_->GetTransaction(tx, p.id, id);
        if (!before) throw Error(ErrorKind::kNotFound, "transaction.not_found", "no such transaction");
        co_await repo_->DeleteTransaction(tx, p.id, id);
        LedgerChange change;
        change.removed.push_back(*before);
        co_await LedgerDeriver::Apply(tx, *repo_, p, change, &app_.Cpu());
        json::object payload{{"portfolio_id", p.id.ToString()}, {"transaction_id", id.ToString()}};
        co_await repo_->InsertOutbox(tx, actor, p.user_id, "transaction", id.ToString(),
                                     "transaction.deleted", json::serialize(payload), request_id);
    });
    co_await InvalidateSummary(owner, shard);
    HoldingsChanged(portfolio, owner, shard);
}

asio::awaitable<HoldingsView> Service::Holdings(const Actor& actor,
                                                PortfolioId portfolio,
                                                std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    HoldingsView view = co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                           [&](db::Transaction& tx) -> asio::awaitable<HoldingsView> {
                                               auto p = co_await repo_->GetPortfolio(tx, portfolio, false);
                                               if (!p) throw NotFound();
                                               HoldingsView v;
                                               v.portfolio = *p;
                                               for (auto& row : co_await repo_->Holdings(tx, portfolio))
                                                   v.holdings.push_back({row, {}, {}});
                                               v.cash = co_await repo_->Cash(tx, portfolio);
                                               co_return v;
                                           });
    std::vector<std::string> currencies;
    for (const auto& h : view.holdings) currencies.push_back(h.row.currency);
    for (const auto& [currency, balance] : view.cash) currencies.push_back(currency);
    auto rates = co_await CurrentRates(currencies, view.portfolio.currency, shard);
    std::optional<Decimal> total = Decimal();
    std::string_view holdings_status = "ok";
    for (auto& h : view.holdings) {
        std::optional<Decimal> rate;
        if (h.row.currency == view.portfolio.currency.Code()) {
            rate = Decimal::FromInt(1);
        } else {
            for (const auto& [c, r] : rates) {
                if (c == h.row.currency) rate = r;
            }
        }
        // The stored figures are of the portfolio's method; value them with one book.
        Holding derived;
        derived.symbol = h.row.symbol;
        derived.quantity = h.row.quantity;
        derived.average.cost = h.row.cost_basis;
        derived.average.cost_base = h.row.cost_basis_base;
        derived.base_rate_missing = !h.row.cost_basis_base.has_value();
        h.value =
            ValueHolding(derived, CostBasisMethod::kAverage, h.row.current_price, h.row.previous_close, rate);
        if (h.row.quantity.IsZero()) continue;
        if (total && h.value.market_value_base) {
            *total += *h.value.market_value_base;
        } else {
            if (!h.value.market_value) {
                holdings_status = "missing_price";
            } else if (holdings_status == "ok") {
                holdings_status = "missing_rate";
            }
            total.reset();
        }
    }
    view.totals = TotalsOf(total, holdings_status, view.cash, rates, view.portfolio.currency);
    if (total && total->IsPositive()) {
        for (auto& h : view.holdings) {
            if (h.value.market_value_base) h.weight = Decimal::Div(*h.value.market_value_base, *total, 6);
        }
    }
    co_return view;
}

asio::awaitable<std::string> Service::SummaryJson(const Actor& actor, std::size_t shard) {
    std::optional<std::string> generation;  // set when Redis answered: the body may be stored
    try {
        SummaryCache::Lookup found = co_await summary_cache_.Find(app_.Redis(shard), actor.user_id);
        if (found.body) co_return std::move(*found.body);
        generation = std::move(found.generation);
    } catch (const std::exception& e) {
        spdlog::debug("portfolio: summary cache unavailable: {}", e.what());
    }
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    std::vector<SummaryRow> rows;
    rows = co_await repo_->Summary(pool, actor, actor.user_id);
    std::map<std::string, std::vector<std::string>> wanted;
    for (const auto& r : rows) {
        auto& currencies = wanted[r.currency];
        for (const auto& [currency, balance] : r.cash) currencies.push_back(currency);
    }
    const RatesByBase rates = co_await LatestRatesByBase(*rates_, wanted, shard);
    json::array items;
    for (const auto& r : rows) {
        json::object o;
        o["id"] = r.id.ToString();
        o["name"] = r.name;
        o["portfolio_type"] = r.portfolio_type;
        o["currency"] = r.currency;
        o["holdings_count"] = r.holdings_count;
        // A holding without a price counts at nothing in holdings_value (the spec's summary sums the
        // stored market values) and says so in value_status.
        auto totals = TotalsOf(r.holdings_value, "missing_rate", r.cash, rates.at(r.currency),
                               Currency::FromCode(r.currency));
        if (totals.status == "ok" && r.missing_price) totals.status = "missing_price";
        PutTotals(o, totals);
        items.push_back(std::move(o));
    }
    std::string body = json::serialize(json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
    if (generation)
        summary_cache_.Store(app_.Shard(shard).get_executor(), app_.Redis(shard), actor.user_id,
                             std::move(*generation), body);
    co_return body;
}

}  // namespace nn::portfolio
