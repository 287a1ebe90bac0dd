#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "infra/db/codec.hpp"
#include "infra/db/text_array.hpp"

namespace nn::db {

// A named SQL statement, declared once as a constant next to the repository that owns it:
//
//   inline constexpr db::Query kSelectHoldings{"SELECT ... WHERE portfolio_id = $1",
//                                              "portfolio.select_holdings"};
//
// The name keys the prepared-statement cache, the per-query metrics and error messages. Both
// views must outlive the call (string literals do).
//
// `fusable`: a write (INSERT, UPDATE or DELETE, without a WITH of its own) that may run as one
// part of a single statement with the other fusable writes deferred next to it on a transaction
// (Transaction::Defer; fuse.hpp): it neither reads rows they write nor writes rows they read,
// beyond a foreign key's check. Such parts see one snapshot and run in no set order.
struct Query {
    std::string_view sql;
    std::string_view name;
    bool fusable = false;
};

// A per-call deadline that replaces the default of the pool or connection.
struct Timeout {
    std::chrono::milliseconds value;
};

// Raw bytes for a bytea parameter (sent in binary, no escaping).
//
// Types that callers build inside a co_await expression have a constructor on purpose: g++ 12
// destroys brace-initialised *aggregate* temporaries of a co_await full-expression twice
// (double free). So `co_await tx.Execute(q, Bytea(s))` is safe; with aggregates such as
// ConnectOptions, build a named variable first.
struct Bytea {
    Bytea() = default;
    explicit Bytea(std::string b) : bytes(std::move(b)) {}
    std::string bytes;
};

// One bound parameter as it goes on the wire.
struct ParamValue {
    std::uint32_t oid = oid::kUnknown;  // 0: the server infers the type from the statement
    bool binary = false;
    bool null = false;
    std::string bytes;
};

// How a C++ value becomes a parameter. Specialise it for a domain type:
//   template <> struct ParamTraits<Quantity> {
//       static constexpr std::uint32_t kOid = oid::kNumeric;   // or oid::kUnknown
//       static void Write(const Quantity& q, ParamValue& p) { p.bytes = q.ToString(); }
//   };
// Strings go as text with an unknown type (so the server reads them as text, jsonb, uuid,
// numeric, an enum... as the statement requires); numbers, bool, uuid and time go binary.
template <class T, class Enable = void>
struct ParamTraits;

namespace detail {

template <class T>
inline void WriteBinaryInt(T value, ParamValue& p) {
    p.binary = true;
    AppendBigEndian(static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<T>>(value)), sizeof(T),
                    p.bytes);
}

}  // namespace detail

template <>
struct ParamTraits<std::string> {
    static constexpr std::uint32_t kOid = oid::kUnknown;
    static void Write(const std::string& v, ParamValue& p) { p.bytes = v; }
};
template <>
struct ParamTraits<TextArray> {
    static constexpr std::uint32_t kOid = 1009;            // text[]
    static void Write(const TextArray& a, ParamValue& p);  // text_array.cpp
};
template <>
struct ParamTraits<std::string_view> {
    static constexpr std::uint32_t kOid = oid::kUnknown;
    static void Write(std::string_view v, ParamValue& p) { p.bytes.assign(v.data(), v.size()); }
};
template <>
struct ParamTraits<const char*> {
    static constexpr std::uint32_t kOid = oid::kUnknown;
    static void Write(const char* v, ParamValue& p) { p.bytes = v; }
};
template <std::size_t N>
struct ParamTraits<char[N]> {
    static constexpr std::uint32_t kOid = oid::kUnknown;
    static void Write(const char (&v)[N], ParamValue& p) { p.bytes.assign(v, strnlen(v, N)); }
};
template <>
struct ParamTraits<std::int16_t> {
    static constexpr std::uint32_t kOid = oid::kInt2;
    static void Write(std::int16_t v, ParamValue& p) { detail::WriteBinaryInt(v, p); }
};
template <>
struct ParamTraits<std::int32_t> {
    static constexpr std::uint32_t kOid = oid::kInt4;
    static void Write(std::int32_t v, ParamValue& p) { detail::WriteBinaryInt(v, p); }
};
template <>
struct ParamTraits<std::int64_t> {
    static constexpr std::uint32_t kOid = oid::kInt8;
    static void Write(std::int64_t v, ParamValue& p) { detail::WriteBinaryInt(v, p); }
};
template <>
struct ParamTraits<bool> {
    static constexpr std::uint32_t kOid = oid::kBool;
    static void Write(bool v, ParamValue& p) {
        p.binary = true;
        p.bytes.assign(1, v ? '\1' : '\0');
    }
};
// For statistics and ratios only; money is nn::Decimal.
template <>
struct ParamTraits<double> {
    static constexpr std::uint32_t kOid = oid::kFloat8;
    static void Write(double v, ParamValue& p) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        p.binary = true;
        AppendBigEndian(bits, 8, p.bytes);
    }
};
template <>
struct ParamTraits<nn::Decimal> {
    static constexpr std::uint32_t kOid = oid::kNumeric;
    static void Write(const nn::Decimal& v, ParamValue& p) { p.bytes = v.ToString(); }
};
template <>
struct ParamTraits<NumericText> {
    static constexpr std::uint32_t kOid = oid::kNumeric;
    static void Write(const NumericText& v, ParamValue& p) { p.bytes.assign(v.text.data(), v.text.size()); }
};
template <>
struct ParamTraits<nn::Uuid> {
    static constexpr std::uint32_t kOid = oid::kUuid;
    static void Write(const nn::Uuid& v, ParamValue& p) {
        p.binary = true;
        p.bytes.assign(reinterpret_cast<const char*>(v.AsBytes().data()), 16);
    }
};
template <class Tag>
struct ParamTraits<nn::StrongId<Tag>> {
    static constexpr std::uint32_t kOid = oid::kUuid;
    static void Write(const nn::StrongId<Tag>& v, ParamValue& p) {
        ParamTraits<nn::Uuid>::Write(v.Value(), p);
    }
};
template <>
struct ParamTraits<nn::Timestamp> {
    static constexpr std::uint32_t kOid = oid::kTimestamptz;
    static void Write(nn::Timestamp v, ParamValue& p) { detail::WriteBinaryInt(nn::ToPgMicros(v), p); }
};
template <>
struct ParamTraits<nn::Date> {
    static constexpr std::uint32_t kOid = oid::kDate;
    static void Write(nn::Date v, ParamValue& p) { detail::WriteBinaryInt(nn::ToPgDays(v), p); }
};
template <>
struct ParamTraits<Bytea> {
    static constexpr std::uint32_t kOid = oid::kBytea;
    static void Write(const Bytea& v, ParamValue& p) {
        p.binary = true;
        p.bytes = v.bytes;
    }
};
// std::nullopt (or an empty optional<T>) is SQL NULL.
template <class T>
struct ParamTraits<std::optional<T>> {
    static constexpr std::uint32_t kOid = ParamTraits<T>::kOid;
    static void Write(const std::optional<T>& v, ParamValue& p) {
        if (v) {
            ParamTraits<T>::Write(*v, p);
        } else {
            p.null = true;
        }
    }
};
template <>
struct ParamTraits<std::nullopt_t> {
    static constexpr std::uint32_t kOid = oid::kUnknown;
    static void Write(std::nullopt_t, ParamValue& p) { p.null = true; }
};

// The parameters of one call, owned (values are copied when the call is made, so temporaries
// are safe).
class Params {
public:
    Params() = default;

    template <class T>
    Params& Add(const T& value) {
        using Traits = ParamTraits<std::remove_cv_t<std::remove_reference_t<T>>>;
        ParamValue& p = values_.emplace_back();
        p.oid = Traits::kOid;
        Traits::Write(value, p);
        return *this;
    }

    std::size_t Size() const noexcept { return values_.size(); }
    const std::vector<ParamValue>& Values() const noexcept { return values_; }
    // `other`'s values after these (a fused statement's parameters, fuse.hpp).
    Params& Append(Params other) {
        for (ParamValue& v : other.values_) values_.push_back(std::move(v));
        return *this;
    }

private:
    std::vector<ParamValue> values_;
};

template <class... Args>
Params MakeParams(const Args&... args) {
    Params params;
    (params.Add(args), ...);
    return params;
}

class Result;
class Pipeline;
class PipelineResults;

// What runs queries: a Connection, a Pool (takes a connection per call) or a Transaction.
//
//   auto res = co_await pool.Execute(kSelectHoldings, portfolio_id);
//   auto res = co_await tx.Execute(Timeout{std::chrono::seconds(2)}, kInsert, a, b);
//
// Every call has a deadline (the runner's default unless a Timeout is given); when it passes the
// server is asked to cancel and DeadlineExceeded is thrown.
class QueryRunner {
public:
    virtual ~QueryRunner() = default;

    template <class... Args>
    boost::asio::awaitable<Result> Execute(const Query& query, const Args&... args) {
        return Run(query, MakeParams(args...), std::nullopt);
    }
    template <class... Args>
    boost::asio::awaitable<Result> Execute(Timeout timeout, const Query& query, const Args&... args) {
        return Run(query, MakeParams(args...), timeout.value);
    }

    // The same with parameters built at run time.
    virtual boost::asio::awaitable<Result> Run(Query query,
                                               Params params,
                                               std::optional<std::chrono::milliseconds> timeout) = 0;
    // Runs independent queries in one round trip (pipeline.hpp).
    virtual boost::asio::awaitable<PipelineResults> RunPipeline(
        Pipeline pipeline, std::optional<std::chrono::milliseconds> timeout) = 0;
};

}  // namespace nn::db
