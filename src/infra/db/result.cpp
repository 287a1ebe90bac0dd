#include "infra/db/result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

#include "infra/db/errors.hpp"

namespace nn::db {
namespace {

std::string Where(const FieldView& f) {
    return "column " + std::to_string(f.column) + " (" + std::string(f.column_name) + ")";
}

[[noreturn]] void ThrowShape(std::string code, std::string message) {
    ErrorInfo info;
    info.server_message = std::move(message);
    throw ResultShapeError(ErrorKind::kInternal, std::move(code), std::move(info));
}

[[noreturn]] void ThrowTypeMismatch(const FieldView& f, std::string_view wanted) {
    ThrowShape("db.type_mismatch", Where(f) + " has type oid " + std::to_string(f.type_oid) +
                                       ", which does not decode into " + std::string(wanted));
}

void ExpectSize(const FieldView& f, int size) {
    if (f.size != size) {
        ThrowShape("db.bad_field",
                   Where(f) + ": expected " + std::to_string(size) + " bytes, got " + std::to_string(f.size));
    }
}

template <class T>
T ReadInt(const FieldView& f) {
    ExpectSize(f, sizeof(T));
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(ReadBigEndian(f.data, sizeof(T))));
}

}  // namespace

namespace detail {

std::int16_t DecodeInt16(const FieldView& f) {
    if (f.type_oid != oid::kInt2) ThrowTypeMismatch(f, "int16");
    return ReadInt<std::int16_t>(f);
}

std::int32_t DecodeInt32(const FieldView& f) {
    if (f.type_oid == oid::kInt2) return ReadInt<std::int16_t>(f);
    if (f.type_oid != oid::kInt4) ThrowTypeMismatch(f, "int32");
    return ReadInt<std::int32_t>(f);
}

std::int64_t DecodeInt64(const FieldView& f) {
    switch (f.type_oid) {
        case oid::kInt2:
            return ReadInt<std::int16_t>(f);
        case oid::kInt4:
            return ReadInt<std::int32_t>(f);
        case oid::kOid:
            return static_cast<std::uint32_t>(ReadInt<std::int32_t>(f));
        case oid::kInt8:
            return ReadInt<std::int64_t>(f);
        default:
            ThrowTypeMismatch(f, "int64");
    }
}

bool DecodeBool(const FieldView& f) {
    if (f.type_oid != oid::kBool) ThrowTypeMismatch(f, "bool");
    ExpectSize(f, 1);
    return f.data[0] != 0;
}

double DecodeDouble(const FieldView& f) {
    if (f.type_oid == oid::kFloat4) {
        auto bits = static_cast<std::uint32_t>(ReadInt<std::int32_t>(f));
        float value = 0;
        std::memcpy(&value, &bits, sizeof value);
        return value;
    }
    if (f.type_oid != oid::kFloat8) ThrowTypeMismatch(f, "double");
    auto bits = static_cast<std::uint64_t>(ReadInt<std::int64_t>(f));
    double value = 0;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

std::string DecodeString(const FieldView& f) {
    switch (f.type_oid) {
        case oid::kText:
        case oid::kVarchar:
        case oid::kBpchar:
        case oid::kName:
        case oid::kJson:
        case oid::kUnknownLiteral:
        case oid::kBytea:
            return std::string(f.data, static_cast<std::size_t>(f.size));
        case oid::kJsonb:
            // jsonb_send writes a version byte (1) before the text.
            if (f.size < 1 || f.data[0] != 1)
                ThrowShape("db.bad_field", Where(f) + ": unknown jsonb version");
            return std::string(f.data + 1, static_cast<std::size_t>(f.size - 1));
        case oid::kNumeric:
            try {
                return NumericBinaryToString(std::string_view(f.data, static_cast<std::size_t>(f.size)));
            } catch (const std::invalid_argument& e) {
                ThrowShape("db.bad_field", Where(f) + ": " + e.what());
            }
        default:
            if (f.type_oid >= oid::kFirstUserOid)
                return std::string(f.data, static_cast<std::size_t>(f.size));
            ThrowTypeMismatch(f, "string");
    }
}

nn::Decimal DecodeDecimal(const FieldView& f) {
    if (f.type_oid != oid::kNumeric && f.type_oid != oid::kInt2 && f.type_oid != oid::kInt4 &&
        f.type_oid != oid::kInt8) {
        ThrowTypeMismatch(f, "Decimal");
    }
    if (f.type_oid != oid::kNumeric) return nn::Decimal::FromInt(DecodeInt64(f));
    std::string text = DecodeString(f);
    auto parsed = nn::Decimal::ParseWithError(text);
    if (!parsed) {
        ThrowShape("db.bad_field",
                   Where(f) + ": numeric value does not fit Decimal (" + nn::Describe(parsed.Error()) + ")");
    }
    return *parsed;
}

nn::Timestamp DecodeTimestamp(const FieldView& f) {
    if (f.type_oid != oid::kTimestamptz && f.type_oid != oid::kTimestamp) ThrowTypeMismatch(f, "Timestamp");
    auto value = nn::FromPgMicros(ReadInt<std::int64_t>(f));
    if (!value) ThrowShape("db.bad_field", Where(f) + ": timestamp is infinite or out of range");
    return *value;
}

nn::Date DecodeDate(const FieldView& f) {
    if (f.type_oid != oid::kDate) ThrowTypeMismatch(f, "Date");
    auto value = nn::FromPgDays(ReadInt<std::int32_t>(f));
    if (!value) ThrowShape("db.bad_field", Where(f) + ": date is infinite or out of range");
    return *value;
}

nn::Uuid DecodeUuid(const FieldView& f) {
    if (f.type_oid != oid::kUuid) ThrowTypeMismatch(f, "Uuid");
    ExpectSize(f, 16);
    nn::Uuid::Bytes bytes{};
    std::memcpy(bytes.data(), f.data, 16);
    return nn::Uuid(bytes);
}

void ThrowUnexpectedNull(const FieldView& f) {
    ThrowShape("db.unexpected_null", Where(f) + " is NULL; read it as std::optional");
}

}  // namespace detail

Result::Result(std::shared_ptr<pg_result> result, std::string_view query_name)
    : result_(std::move(result)), rows_(result_ ? PQntuples(result_.get()) : 0), query_name_(query_name) {}

int Result::Columns() const noexcept {
    return result_ ? PQnfields(result_.get()) : 0;
}

std::string_view Result::ColumnName(int column) const {
    const char* name = result_ ? PQfname(result_.get(), column) : nullptr;
    return name == nullptr ? std::string_view() : std::string_view(name);
}

int Result::ColumnIndex(std::string_view name) const {
    for (int i = 0; i < Columns(); ++i) {
        if (ColumnName(i) == name) return i;
    }
    return -1;
}

std::int64_t Result::RowsAffected() const {
    if (!result_) return 0;
    const char* text = PQcmdTuples(result_.get());
    std::int64_t value = 0;
    std::from_chars(text, text + std::strlen(text), value);
    return value;
}

Row Result::operator[](int index) const {
    if (index < 0 || index >= rows_) {
        ThrowShape("db.row_out_of_range", "row " + std::to_string(index) + " of " + std::to_string(rows_) +
                                              (query_name_.empty() ? "" : " (query " + query_name_ + ")"));
    }
    return Row(this, index);
}

Row Result::SingleRow() const {
    if (rows_ != 1) {
        std::string where = query_name_.empty() ? "" : " (query " + query_name_ + ")";
        if (rows_ == 0) ThrowShape("db.no_rows", "expected one row, got none" + where);
        ThrowShape("db.too_many_rows", "expected one row, got " + std::to_string(rows_) + where);
    }
    return Row(this, 0);
}

bool Row::IsNull(int column) const {
    return Field(column).null;
}

FieldView Row::Field(int column) const {
    pg_result* res = result_->Raw();
    if (column < 0 || column >= PQnfields(res)) {
        ThrowShape("db.column_out_of_range",
                   "column " + std::to_string(column) + " of " + std::to_string(PQnfields(res)) +
                       (result_->QueryName().empty() ? "" : " (query " + result_->QueryName() + ")"));
    }
    FieldView f;
    f.column = column;
    f.column_name = PQfname(res, column);
    f.type_oid = PQftype(res, column);
    f.null = PQgetisnull(res, index_, column) != 0;
    f.data = PQgetvalue(res, index_, column);
    f.size = PQgetlength(res, index_, column);
    return f;
}

FieldView Row::Field(std::string_view column_name) const {
    int column = result_->ColumnIndex(column_name);
    if (column < 0) ThrowShape("db.no_such_column", "no column " + std::string(column_name));
    return Field(column);
}

}  // namespace nn::db
