#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace nn {

// Marks a value as the failure side of a Result, so Result<T, E> stays unambiguous even when
// T and E are the same type.
template <class E>
struct Failure {
    E error;
};

template <class E>
Failure<E> Fail(E error) {
    return Failure<E>{std::move(error)};
}

// The outcome of an operation whose failure is expected (a validation error, "not found"):
// either a value or an error, never both. Failures that end a request throw nn::Error instead.
// A stand-in for C++23 std::expected, which g++ 12 does not ship.
template <class T, class E>
class Result {
public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Failure<E> failure) : state_(std::in_place_index<1>, std::move(failure.error)) {}  // NOLINT

    bool HasValue() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return HasValue(); }

    // Preconditions: HasValue() for Value(), !HasValue() for Error().
    const T& Value() const& {
        assert(HasValue());
        return std::get<0>(state_);
    }
    T&& Value() && {
        assert(HasValue());
        return std::get<0>(std::move(state_));
    }
    const E& Error() const {
        assert(!HasValue());
        return std::get<1>(state_);
    }

    const T& operator*() const& { return Value(); }
    const T* operator->() const { return &Value(); }

private:
    std::variant<T, E> state_;
};

}  // namespace nn
