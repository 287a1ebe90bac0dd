#include "infra/db/pipeline.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "infra/db/detail/connection_impl.hpp"

namespace nn::db {
namespace asio = boost::asio;

namespace {

// Reads one result group of a pipeline (up to the null that ends it) and returns its last
// result. The first failure goes to `error`; a statement the server skipped because an earlier
// one of its sync group failed counts as a failure only when `skipped_is_error`.
asio::awaitable<detail::PgResultPtr> ReadGroup(detail::ConnectionImpl& im,
                                               std::string_view query_name,
                                               std::optional<ErrorInfo>& error,
                                               bool skipped_is_error) {
    detail::PgResultPtr last;
    for (;;) {
        detail::PgResultPtr r = co_await im.pg->NextResult();
        if (!r) break;
        switch (PQresultStatus(r.get())) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY:
                last = std::move(r);
                break;
            case PGRES_PIPELINE_ABORTED:
                if (skipped_is_error && !error) {
                    error = ErrorInfo{};
                    error->server_message = "skipped: an earlier statement of its group failed";
                    error->sqlstate = "25P02";
                    error->query_name = query_name;
                }
                break;
            default:
                if (!error) error = im.pg->ErrorFrom(r.get(), query_name);
                break;
        }
    }
    co_return last;
}

// One command of a batch as sent: the statement it runs and whether this batch prepares it.
struct Sent {
    std::uint64_t key;
    std::string name;
    bool prepare;  // prepared in this batch: its result comes first
};

// Sends every item of a batch in pipeline mode: prepared statements from the connection's cache,
// a prepare first for those not yet in it (once per batch), unnamed ones behind a pooler.
std::vector<Sent> SendBatch(detail::ConnectionImpl& im, const std::vector<Pipeline::Item>& items) {
    std::vector<Sent> sent;
    sent.reserve(items.size());
    for (const Pipeline::Item& item : items) {
        detail::WireParams wire(item.params);
        if (!im.options.prepare_statements) {
            // Behind a transaction-mode pooler: unnamed statements (ConnectOptions).
            const std::string sql(item.query.sql);
            if (PQsendQueryParams(im.Raw(), sql.c_str(), wire.count, wire.oids.data(), wire.values.data(),
                                  wire.lengths.data(), wire.formats.data(), 1) == 0) {
                im.pg->ThrowConnectionError("PQsendQueryParams", item.query.name);
            }
            sent.push_back(Sent{0, {}, false});
            continue;
        }
        const std::uint64_t key = detail::StatementKey(item.query.sql, wire.oids);
        Sent s{key, {}, false};
        if (const std::string* cached = im.cache.Find(key, item.query.sql, wire.oids)) {
            s.name = *cached;
        } else {
            char buf[64];
            std::snprintf(buf, sizeof buf, "nn_%016llx_%llu", static_cast<unsigned long long>(key),
                          static_cast<unsigned long long>(im.generation));
            s.name = buf;
            s.prepare = true;
            // The same statement twice in one batch is prepared once.
            for (const Sent& earlier : sent) s.prepare = s.prepare && earlier.name != s.name;
            const std::string sql(item.query.sql);
            if (s.prepare &&
                PQsendPrepare(im.Raw(), s.name.c_str(), sql.c_str(), wire.count, wire.oids.data()) == 0) {
                im.pg->ThrowConnectionError("PQsendPrepare", item.query.name);
            }
        }
        if (PQsendQueryPrepared(im.Raw(), s.name.c_str(), wire.count, wire.values.data(), wire.lengths.data(),
                                wire.formats.data(), 1) == 0) {
            im.pg->ThrowConnectionError("PQsendQueryPrepared", item.query.name);
        }
        sent.push_back(std::move(s));
    }
    return sent;
}

}  // namespace

asio::awaitable<PipelineResults> Connection::RunPipeline(Pipeline pipeline,
                                                         std::optional<std::chrono::milliseconds> timeout) {
    detail::ConnectionImpl& im = *impl_;
    auto busy = im.Claim("pipeline");
    PipelineResults out;
    if (pipeline.Empty()) co_return out;
    const auto start = detail::Clock::now();
    auto guard = im.Guard(im.DeadlineFor(timeout));
    try {
        if (im.needs_drain) co_await im.Drain();
        if (PQenterPipelineMode(im.Raw()) == 0) im.pg->ThrowConnectionError("PQenterPipelineMode");
        // Unnamed statements: a pipeline is one round trip, preparing would add one per new SQL.
        // A Sync after every query gives each its own implicit transaction and error scope.
        for (const Pipeline::Item& item : pipeline.Items()) {
            detail::WireParams wire(item.params);
            std::string sql(item.query.sql);
            if (PQsendQueryParams(im.Raw(), sql.c_str(), wire.count, wire.oids.data(), wire.values.data(),
                                  wire.lengths.data(), wire.formats.data(), 1) == 0 ||
                PQpipelineSync(im.Raw()) == 0) {
                im.pg->ThrowConnectionError("pipeline send", item.query.name);
            }
        }
        co_await im.pg->Flush();
        for (const Pipeline::Item& item : pipeline.Items()) {
            std::optional<ErrorInfo> error;
            detail::PgResultPtr last = co_await ReadGroup(im, item.query.name, error, true);
            detail::PgResultPtr sync = co_await im.pg->NextResult();
            if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
                im.pg->ThrowConnectionError("pipeline: results out of step", item.query.name);
            }
            if (error) {
                out.AddError(im.MakeError(std::move(*error)));
                im.Record(item.query.name, start, QueryMetrics::Outcome::kError);
            } else {
                out.Add(Result(std::shared_ptr<pg_result>(last.release(), detail::PgResultDeleter()),
                               item.query.name));
                im.Record(item.query.name, start, QueryMetrics::Outcome::kOk);
            }
        }
        if (PQexitPipelineMode(im.Raw()) == 0) im.pg->ThrowConnectionError("PQexitPipelineMode");
    } catch (...) {
        // Somewhere between two syncs: the position in the result stream is lost.
        im.pg->MarkBroken();
        throw;
    }
    co_return out;
}

asio::awaitable<Result> Connection::RunBatch(Pipeline batch,
                                             std::size_t want,
                                             std::optional<std::chrono::milliseconds> timeout) {
    std::vector<Result> results = co_await RunBatchFrom(std::move(batch), want, timeout);
    co_return results.empty() ? Result() : std::move(results.front());
}

asio::awaitable<std::vector<Result>> Connection::RunBatchFrom(
    Pipeline batch, std::size_t first, std::optional<std::chrono::milliseconds> timeout) {
    detail::ConnectionImpl& im = *impl_;
    const auto& items = batch.Items();
    const std::size_t want = std::min(first, items.size());
    const std::string_view name = want < items.size() ? items[want].query.name : std::string_view("batch");
    auto busy = im.Claim(name);
    const auto start = detail::Clock::now();
    auto guard = im.Guard(im.DeadlineFor(timeout));
    std::optional<ErrorInfo> error;
    std::vector<Result> wanted;
    wanted.reserve(items.size() - want);
    std::vector<std::string> evicted;
    try {
        if (im.needs_drain) co_await im.Drain();
        if (im.deallocate_all_pending && PQtransactionStatus(im.Raw()) == PQTRANS_IDLE) {
            co_await im.ExecuteUnprepared("DEALLOCATE ALL", "db.deallocate_all");
            im.deallocate_all_pending = false;
        }
        if (PQenterPipelineMode(im.Raw()) == 0) im.pg->ThrowConnectionError("PQenterPipelineMode");
        const std::vector<Sent> sent = SendBatch(im, items);
        if (PQpipelineSync(im.Raw()) == 0) im.pg->ThrowConnectionError("pipeline sync", name);
        co_await im.pg->Flush();
        // One result group per command sent (a prepare, then its execution), in order.
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (sent[i].prepare) {
                const bool before = error.has_value();
                detail::PgResultPtr prepared = co_await ReadGroup(im, items[i].query.name, error, false);
                if (prepared && !before && !error) {
                    const detail::WireParams wire(items[i].params);
                    auto old = im.cache.Insert(detail::PreparedCache::Entry{
                        sent[i].key, std::string(items[i].query.sql), wire.oids, sent[i].name});
                    if (old) evicted.push_back(std::move(*old));
                }
            }
            detail::PgResultPtr r = co_await ReadGroup(im, items[i].query.name, error, false);
            if (i >= want && r && !error) {
                wanted.emplace_back(std::shared_ptr<pg_result>(r.release(), detail::PgResultDeleter()),
                                    items[i].query.name);
            }
        }
        detail::PgResultPtr sync = co_await im.pg->NextResult();
        if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
            im.pg->ThrowConnectionError("pipeline: results out of step", name);
        }
        if (PQexitPipelineMode(im.Raw()) == 0) im.pg->ThrowConnectionError("PQexitPipelineMode");
    } catch (...) {
        im.pg->MarkBroken();
        im.Record(name, start, QueryMetrics::Outcome::kError);
        throw;
    }
    // Statements pushed out of the cache: dropped now when the session allows it, else with
    // every other statement once no transaction is open.
    for (const auto& old : evicted) {
        if (PQtransactionStatus(im.Raw()) == PQTRANS_IDLE) {
            co_await im.ExecuteUnprepared("DEALLOCATE " + old, "db.deallocate");
        } else {
            im.InvalidateStatements();
            break;
        }
    }
    if (error) {
        im.Record(name, start, QueryMetrics::Outcome::kError);
        im.ThrowError(std::move(*error));
    }
    im.Record(name, start, QueryMetrics::Outcome::kOk);
    co_return wanted;
}

}  // namespace nn::db
