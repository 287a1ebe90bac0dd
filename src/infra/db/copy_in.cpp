#include "infra/db/copy_in.hpp"

#include <cstring>
#include <stdexcept>

#include "infra/db/connection.hpp"
#include "infra/db/detail/connection_impl.hpp"
#include "infra/db/url.hpp"

namespace nn::db {
namespace asio = boost::asio;

namespace detail {

namespace {

// The length of a numeric is known only after encoding: reserve it, then patch it.
template <class Encode>
void WithLength(std::string& out, Encode encode) {
    const std::size_t at = out.size();
    CopyLength(0, out);
    try {
        encode();
    } catch (const std::invalid_argument& e) {
        out.resize(at);
        ErrorInfo info;
        info.server_message = std::string("COPY: ") + e.what();
        throw DataException(ErrorKind::kUnprocessable, "db.data_exception", std::move(info));
    }
    const auto n = static_cast<std::uint32_t>(out.size() - at - 4);
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
}

constexpr char kHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";  // signature, flags, extension length

}  // namespace

void CopyNumeric(std::string_view text, std::string& out) {
    WithLength(out, [&] { AppendNumericBinary(text, out); });
}

void CopyDecimal(const nn::Decimal& value, std::string& out) {
    WithLength(out, [&] { AppendNumericBinary(value.Mantissa(), value.Scale(), out); });
}

}  // namespace detail

CopyIn::CopyIn(Connection& conn, std::size_t columns) : conn_(&conn), columns_(columns) {
    buffer_.reserve(kChunkBytes + 4096);
    buffer_.append(detail::kHeader, sizeof detail::kHeader - 1);
    active_ = true;
}

CopyIn::CopyIn(CopyIn&& other) noexcept
    : conn_(other.conn_),
      columns_(other.columns_),
      buffer_(std::move(other.buffer_)),
      rows_(other.rows_),
      active_(other.active_) {
    other.active_ = false;
}

CopyIn::~CopyIn() {
    if (!active_) return;
    // Cannot co_await here: queue CopyFail (the server then rolls the COPY back) and let the
    // connection drain the error result before its next command.
    detail::ConnectionImpl& im = conn_->Impl();
    im.copying = false;
    if (im.pg->Broken()) return;
    if (PQputCopyEnd(im.Raw(), "COPY aborted by the client") == 1) {
        im.needs_drain = true;
    } else {
        im.pg->MarkBroken();
    }
}

namespace {

std::string CopySql(std::string_view table, const std::vector<std::string>& columns) {
    std::string sql = "COPY " + QuoteQualifiedName(table) + " (";
    bool first = true;
    for (const auto& column : columns) {
        if (!first) sql += ", ";
        first = false;
        sql += QuoteIdentifier(column);
    }
    return sql + ") FROM STDIN (FORMAT binary)";
}

}  // namespace

asio::awaitable<CopyIn> CopyIn::Begin(Connection& conn,
                                      std::string_view table,
                                      const std::vector<std::string>& columns,
                                      std::optional<std::chrono::milliseconds> timeout) {
    return Start(conn, CopySql(table, columns), columns.size(), timeout);
}

asio::awaitable<CopyIn> CopyIn::Start(Connection& conn,
                                      std::string sql,
                                      std::size_t columns,
                                      std::optional<std::chrono::milliseconds> timeout) {
    detail::ConnectionImpl& im = conn.Impl();
    auto busy = im.Claim("copy");
    auto guard = im.Guard(im.DeadlineFor(timeout));
    if (im.needs_drain) co_await im.Drain();
    if (PQsendQuery(im.Raw(), sql.c_str()) == 0) im.pg->ThrowConnectionError("PQsendQuery", "copy");
    co_await im.pg->Flush();
    detail::PgResultPtr r = co_await im.pg->NextResult();
    if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) {
        ErrorInfo info = r ? im.pg->ErrorFrom(r.get(), "copy") : ErrorInfo{};
        // Drain the rest of the failed command before reporting.
        for (;;) {
            detail::PgResultPtr rest = co_await im.pg->NextResult();
            if (!rest) break;
        }
        im.ThrowError(std::move(info));
    }
    im.copying = true;
    co_return CopyIn(conn, columns);
}

void CopyIn::CheckRowWidth(std::size_t fields) const {
    if (fields == columns_) return;
    ErrorInfo info;
    info.server_message = "COPY row has " + std::to_string(fields) + " fields, the COPY names " +
                          std::to_string(columns_) + " columns";
    throw ResultShapeError(ErrorKind::kInternal, "db.copy_row_width", std::move(info));
}

asio::awaitable<void> CopyIn::SendBuffer() {
    detail::ConnectionImpl& im = conn_->Impl();
    std::size_t offset = 0;
    while (offset < buffer_.size()) {
        const int n = static_cast<int>(std::min<std::size_t>(buffer_.size() - offset, 1 << 30));
        const int r = PQputCopyData(im.Raw(), buffer_.data() + offset, n);
        if (r < 0) im.pg->ThrowConnectionError("PQputCopyData", "copy");
        if (r == 0) {
            // Non-blocking and libpq's buffer is full: let the socket drain, then retry.
            co_await im.pg->Flush();
            continue;
        }
        offset += static_cast<std::size_t>(n);
    }
    buffer_.clear();
    co_await im.pg->Flush();
}

asio::awaitable<void> CopyIn::Flush(std::optional<std::chrono::milliseconds> timeout) {
    detail::ConnectionImpl& im = conn_->Impl();
    auto busy = im.Claim("copy", true);
    auto guard = im.Guard(im.DeadlineFor(timeout));
    co_await SendBuffer();
}

asio::awaitable<std::int64_t> CopyIn::Finish(std::optional<std::chrono::milliseconds> timeout) {
    detail::ConnectionImpl& im = conn_->Impl();
    auto busy = im.Claim("copy", true);
    auto guard = im.Guard(im.DeadlineFor(timeout));
    AppendBigEndian(0xFFFF, 2, buffer_);  // trailer: field count -1
    co_await SendBuffer();
    for (;;) {
        const int r = PQputCopyEnd(im.Raw(), nullptr);
        if (r < 0) im.pg->ThrowConnectionError("PQputCopyEnd", "copy");
        if (r == 1) break;
        co_await im.pg->Flush();
    }
    active_ = false;
    im.copying = false;
    co_await im.pg->Flush();
    Result result = co_await im.Collect("copy");
    co_return result.RowsAffected();
}

}  // namespace nn::db
