#include "infra/db/pipeline.hpp"

#include "infra/db/detail/connection_impl.hpp"

namespace nn::db {
namespace asio = boost::asio;

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
            detail::PgResultPtr last;
            std::optional<ErrorInfo> error;
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
                        if (!error) {
                            error = ErrorInfo{};
                            error->server_message = "skipped: an earlier statement of its group failed";
                            error->sqlstate = "25P02";
                            error->query_name = item.query.name;
                        }
                        break;
                    default:
                        if (!error) error = im.pg->ErrorFrom(r.get(), item.query.name);
                        break;
                }
            }
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

}  // namespace nn::db
