#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "infra/db/codec.hpp"
#include "infra/db/query.hpp"

namespace nn::db {

class Connection;

// How a C++ value is written as one field of a binary COPY row: int32 length, then the type's
// binary form. Binary COPY does not convert: the C++ type must match the column type exactly
// (int64 for bigint, int32 for integer, Decimal or NumericText for numeric, Timestamp for
// timestamptz, Uuid for uuid, strings for text/varchar).
template <class T, class Enable = void>
struct CopyTraits;

namespace detail {
inline void CopyLength(std::int32_t n, std::string& out) {
    AppendBigEndian(static_cast<std::uint32_t>(n), 4, out);
}
template <class T>
inline void CopyInt(T v, std::string& out) {
    CopyLength(sizeof(T), out);
    AppendBigEndian(static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<T>>(v)), sizeof(T), out);
}
inline void CopyBytes(std::string_view v, std::string& out) {
    CopyLength(static_cast<std::int32_t>(v.size()), out);
    out.append(v.data(), v.size());
}
void CopyNumeric(std::string_view text, std::string& out);
void CopyDecimal(const nn::Decimal& value, std::string& out);
}  // namespace detail

template <>
struct CopyTraits<std::int16_t> {
    static void Encode(std::int16_t v, std::string& out) { detail::CopyInt(v, out); }
};
template <>
struct CopyTraits<std::int32_t> {
    static void Encode(std::int32_t v, std::string& out) { detail::CopyInt(v, out); }
};
template <>
struct CopyTraits<std::int64_t> {
    static void Encode(std::int64_t v, std::string& out) { detail::CopyInt(v, out); }
};
template <>
struct CopyTraits<bool> {
    static void Encode(bool v, std::string& out) {
        detail::CopyLength(1, out);
        out.push_back(v ? '\1' : '\0');
    }
};
template <>
struct CopyTraits<double> {
    static void Encode(double v, std::string& out) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        detail::CopyLength(8, out);
        AppendBigEndian(bits, 8, out);
    }
};
template <>
struct CopyTraits<std::string> {
    static void Encode(const std::string& v, std::string& out) { detail::CopyBytes(v, out); }
};
template <>
struct CopyTraits<std::string_view> {
    static void Encode(std::string_view v, std::string& out) { detail::CopyBytes(v, out); }
};
template <>
struct CopyTraits<const char*> {
    static void Encode(const char* v, std::string& out) { detail::CopyBytes(v, out); }
};
template <std::size_t N>
struct CopyTraits<char[N]> {
    static void Encode(const char (&v)[N], std::string& out) {
        detail::CopyBytes(std::string_view(v, strnlen(v, N)), out);
    }
};
template <>
struct CopyTraits<Bytea> {
    static void Encode(const Bytea& v, std::string& out) { detail::CopyBytes(v.bytes, out); }
};
template <>
struct CopyTraits<NumericText> {
    static void Encode(const NumericText& v, std::string& out) { detail::CopyNumeric(v.text, out); }
};
template <>
struct CopyTraits<nn::Decimal> {
    static void Encode(const nn::Decimal& v, std::string& out) { detail::CopyDecimal(v, out); }
};
template <>
struct CopyTraits<nn::Timestamp> {
    static void Encode(nn::Timestamp v, std::string& out) { detail::CopyInt(nn::ToPgMicros(v), out); }
};
template <>
struct CopyTraits<nn::Date> {
    static void Encode(nn::Date v, std::string& out) { detail::CopyInt(nn::ToPgDays(v), out); }
};
template <>
struct CopyTraits<nn::Uuid> {
    static void Encode(const nn::Uuid& v, std::string& out) {
        detail::CopyLength(16, out);
        out.append(reinterpret_cast<const char*>(v.AsBytes().data()), 16);
    }
};
template <class Tag>
struct CopyTraits<nn::StrongId<Tag>> {
    static void Encode(const nn::StrongId<Tag>& v, std::string& out) {
        CopyTraits<nn::Uuid>::Encode(v.Value(), out);
    }
};
template <class T>
struct CopyTraits<std::optional<T>> {
    static void Encode(const std::optional<T>& v, std::string& out) {
        if (v) {
            CopyTraits<T>::Encode(*v, out);
        } else {
            detail::CopyLength(-1, out);
        }
    }
};
template <>
struct CopyTraits<std::nullopt_t> {
    static void Encode(std::nullopt_t, std::string& out) { detail::CopyLength(-1, out); }
};

// A one-dimensional array field of `size` elements: element i is at(i), a value or a
// std::optional of one (NULL when empty), encoded like a column of its type. The element type's
// OID, which array_recv checks against the column's, is ParamTraits<element>::kOid.
template <class At>
struct ArrayField {
    std::size_t size;
    At at;
};
template <class At>
ArrayField(std::size_t, At) -> ArrayField<At>;

namespace detail {
template <class T>
struct Unoptional {
    using type = T;
};
template <class T>
struct Unoptional<std::optional<T>> {
    using type = T;
};
inline void PatchBigEndian(std::uint32_t v, std::size_t at, std::string& out) {
    for (int i = 3; i >= 0; --i) {
        out[at + static_cast<std::size_t>(3 - i)] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
}
}  // namespace detail

template <class At>
struct CopyTraits<ArrayField<At>> {
    using Value = std::remove_cv_t<std::remove_reference_t<std::invoke_result_t<const At&, std::size_t>>>;
    using Element = typename detail::Unoptional<Value>::type;
    static_assert(ParamTraits<Element>::kOid != oid::kUnknown, "an array element needs a known type OID");

    static void Encode(const ArrayField<At>& a, std::string& out) {
        const std::size_t start = out.size();
        detail::CopyLength(0, out);  // the field's length, patched below
        AppendBigEndian(1, 4, out);  // one dimension
        const std::size_t null_flag = out.size();
        AppendBigEndian(0, 4, out);  // has NULL elements, patched below
        AppendBigEndian(ParamTraits<Element>::kOid, 4, out);
        AppendBigEndian(static_cast<std::uint32_t>(a.size), 4, out);
        AppendBigEndian(1, 4, out);  // lower bound
        bool has_null = false;
        for (std::size_t i = 0; i < a.size; ++i) {
            decltype(auto) v = a.at(i);
            if constexpr (!std::is_same_v<Value, Element>) has_null = has_null || !v.has_value();
            CopyTraits<Value>::Encode(v, out);
        }
        if (has_null) detail::PatchBigEndian(1, null_flag, out);
        detail::PatchBigEndian(static_cast<std::uint32_t>(out.size() - start - 4), start, out);
    }
};

// A binary COPY ... FROM STDIN on one connection (timeseries.md §3.3):
//
//   auto copy = co_await CopyIn::Begin(*conn, "market_data.stock_prices",
//                                      {"time", "symbol", "open", "high", "low", "close", "volume"});
//   for (const Bar& b : bars) {
//       copy.AddRow(b.time, b.symbol, b.open, b.high, b.low, b.close, b.volume);
//       if (copy.ShouldFlush()) co_await copy.Flush();
//   }
//   std::int64_t rows = co_await copy.Finish();
//
// Rows are encoded into a buffer and sent in ~256 KiB chunks. If the CopyIn is destroyed before
// Finish (an exception, a cancelled coroutine), the COPY is aborted: nothing is inserted, and the
// connection is drained before its next use. Each Flush/Finish has its own deadline.
class CopyIn {
public:
    static constexpr std::size_t kChunkBytes = 256 * 1024;

    // table may be schema-qualified ("market_data.stock_prices"); names are quoted. The
    // statement is built before the call returns, so temporaries are fine. (A braced list of
    // columns written inside a coroutine does not compile with g++ 12: name the vector.)
    static boost::asio::awaitable<CopyIn> Begin(Connection& conn,
                                                std::string_view table,
                                                const std::vector<std::string>& columns,
                                                std::optional<std::chrono::milliseconds> timeout = {});

    CopyIn(CopyIn&& other) noexcept;
    CopyIn& operator=(CopyIn&&) = delete;
    ~CopyIn();

    template <class... Args>
    void AddRow(const Args&... values) {
        CheckRowWidth(sizeof...(Args));
        AppendBigEndian(static_cast<std::uint16_t>(sizeof...(Args)), 2, buffer_);
        (CopyTraits<std::remove_cv_t<std::remove_reference_t<Args>>>::Encode(values, buffer_), ...);
        ++rows_;
    }

    bool ShouldFlush() const noexcept { return buffer_.size() >= kChunkBytes; }
    // Sends the buffered rows.
    boost::asio::awaitable<void> Flush(std::optional<std::chrono::milliseconds> timeout = {});
    // Sends the rest, ends the COPY and returns the number of rows the server inserted.
    boost::asio::awaitable<std::int64_t> Finish(std::optional<std::chrono::milliseconds> timeout = {});

    std::int64_t RowsAdded() const noexcept { return rows_; }

private:
    CopyIn(Connection& conn, std::size_t columns);
    static boost::asio::awaitable<CopyIn> Start(Connection& conn,
                                                std::string sql,
                                                std::size_t columns,
                                                std::optional<std::chrono::milliseconds> timeout);
    void CheckRowWidth(std::size_t fields) const;
    boost::asio::awaitable<void> SendBuffer();

    Connection* conn_;
    std::size_t columns_;
    std::string buffer_;
    std::int64_t rows_ = 0;
    bool active_ = false;
};

}  // namespace nn::db
