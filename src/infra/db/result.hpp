#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "infra/db/codec.hpp"
#include "infra/db/query.hpp"

struct pg_result;  // libpq's PGresult, kept opaque here

namespace nn::db {

// One field of a result row as it came off the wire (binary format).
struct FieldView {
    const char* data = nullptr;
    int size = 0;
    std::uint32_t type_oid = 0;
    bool null = false;
    int column = 0;
    std::string_view column_name;
};

// How a field becomes a C++ value. Decode is only called for non-NULL fields (except for
// std::optional). A domain type can specialise it, usually on top of an existing one:
//   template <> struct FieldTraits<Quantity> {
//       static Quantity Decode(const FieldView& f) { return Quantity(FieldTraits<Decimal>::Decode(f)); }
//   };
template <class T, class Enable = void>
struct FieldTraits;

namespace detail {
std::int16_t DecodeInt16(const FieldView& f);
std::int32_t DecodeInt32(const FieldView& f);
std::int64_t DecodeInt64(const FieldView& f);  // int2, int4, int8 and oid widen
bool DecodeBool(const FieldView& f);
double DecodeDouble(const FieldView& f);  // float4, float8
// text, varchar, bpchar, name, json, jsonb (without its version byte), bytea (raw bytes),
// numeric (exact decimal text), enums and extension types such as citext.
std::string DecodeString(const FieldView& f);
nn::Decimal DecodeDecimal(const FieldView& f);
nn::Timestamp DecodeTimestamp(const FieldView& f);  // timestamptz, timestamp (as UTC)
nn::Date DecodeDate(const FieldView& f);
nn::Uuid DecodeUuid(const FieldView& f);
[[noreturn]] void ThrowUnexpectedNull(const FieldView& f);
}  // namespace detail

#define NN_DB_FIELD(Type, Fn)                                            \
    template <>                                                          \
    struct FieldTraits<Type> {                                           \
        static Type Decode(const FieldView& f) { return detail::Fn(f); } \
    }
NN_DB_FIELD(std::int16_t, DecodeInt16);
NN_DB_FIELD(std::int32_t, DecodeInt32);
NN_DB_FIELD(std::int64_t, DecodeInt64);
NN_DB_FIELD(bool, DecodeBool);
NN_DB_FIELD(double, DecodeDouble);
NN_DB_FIELD(std::string, DecodeString);
NN_DB_FIELD(nn::Decimal, DecodeDecimal);
NN_DB_FIELD(nn::Timestamp, DecodeTimestamp);
NN_DB_FIELD(nn::Date, DecodeDate);
NN_DB_FIELD(nn::Uuid, DecodeUuid);
#undef NN_DB_FIELD

template <class Tag>
struct FieldTraits<nn::StrongId<Tag>> {
    static nn::StrongId<Tag> Decode(const FieldView& f) { return nn::StrongId<Tag>(detail::DecodeUuid(f)); }
};
template <>
struct FieldTraits<Bytea> {
    static Bytea Decode(const FieldView& f) { return Bytea{detail::DecodeString(f)}; }
};
template <class T>
struct FieldTraits<std::optional<T>> {
    static std::optional<T> Decode(const FieldView& f) {
        if (f.null) return std::nullopt;
        return FieldTraits<T>::Decode(f);
    }
};

template <class T>
inline constexpr bool kIsOptional = false;
template <class T>
inline constexpr bool kIsOptional<std::optional<T>> = true;

template <class T>
T DecodeField(const FieldView& f) {
    if constexpr (!kIsOptional<T>) {
        if (f.null) detail::ThrowUnexpectedNull(f);
    }
    return FieldTraits<T>::Decode(f);
}

class Result;

// One row of a Result; valid while the Result lives.
class Row {
public:
    Row(const Result* result, int index) : result_(result), index_(index) {}

    int Index() const noexcept { return index_; }
    bool IsNull(int column) const;
    FieldView Field(int column) const;
    FieldView Field(std::string_view column_name) const;

    template <class T>
    T Get(int column) const {
        return DecodeField<T>(Field(column));
    }
    template <class T>
    T Get(std::string_view column_name) const {
        return DecodeField<T>(Field(column_name));
    }
    // The first sizeof...(T) columns: As<int64_t>() is the value, As<A, B>() a tuple.
    template <class... T>
    auto As() const {
        if constexpr (sizeof...(T) == 1) {
            return Get<T...>(0);
        } else {
            return AsTuple<T...>(std::index_sequence_for<T...>{});
        }
    }

private:
    template <class... T, std::size_t... I>
    std::tuple<T...> AsTuple(std::index_sequence<I...>) const {
        return std::tuple<T...>(Get<T>(static_cast<int>(I))...);
    }

    const Result* result_;
    int index_;
};

// The rows of one command, in binary format. Cheap to copy (shared).
class Result {
public:
    Result() = default;
    explicit Result(std::shared_ptr<pg_result> result, std::string_view query_name = {});

    int Size() const noexcept { return rows_; }
    bool Empty() const noexcept { return rows_ == 0; }
    int Columns() const noexcept;
    std::string_view ColumnName(int column) const;
    // -1 when there is no such column.
    int ColumnIndex(std::string_view name) const;
    // Rows inserted/updated/deleted/copied (PQcmdTuples), 0 for other commands.
    std::int64_t RowsAffected() const;
    const std::string& QueryName() const noexcept { return query_name_; }

    Row operator[](int index) const;

    class Iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = Row;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Row;
        Iterator(const Result* r, int i) : r_(r), i_(i) {}
        Row operator*() const { return Row(r_, i_); }
        Iterator& operator++() {
            ++i_;
            return *this;
        }
        Iterator operator++(int) {
            Iterator old = *this;
            ++i_;
            return old;
        }
        bool operator==(const Iterator& o) const { return i_ == o.i_; }

    private:
        const Result* r_;
        int i_;
    };
    Iterator begin() const { return Iterator(this, 0); }
    Iterator end() const { return Iterator(this, rows_); }

    // Exactly one row, else ResultShapeError ("db.no_rows" / "db.too_many_rows").
    template <class... T>
    auto AsSingleRow() const {
        return SingleRow().template As<T...>();
    }
    // Zero or one row.
    template <class... T>
    auto AsOptionalRow() const -> std::optional<decltype(std::declval<Row>().template As<T...>())> {
        if (rows_ == 0) return std::nullopt;
        return SingleRow().template As<T...>();
    }
    // Every row: a vector of values (one column) or of tuples.
    template <class... T>
    auto AsVector() const {
        std::vector<decltype(std::declval<Row>().template As<T...>())> out;
        out.reserve(static_cast<std::size_t>(rows_));
        for (Row row : *this) out.push_back(row.template As<T...>());
        return out;
    }

    pg_result* Raw() const noexcept { return result_.get(); }

private:
    Row SingleRow() const;

    std::shared_ptr<pg_result> result_;
    int rows_ = 0;
    std::string query_name_;
};

}  // namespace nn::db
