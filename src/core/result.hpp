#pragma once
// A small subset of std::expected<T, E> (not usable yet: g++ 12 ships <expected> only for C++23 and
// clang 14, our libFuzzer compiler, rejects it). Member names match std::expected so that the switch
// later is a type alias.
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace bt {

template <class E>
class Unexpected {
public:
    explicit Unexpected(E e) : error_(std::move(e)) {}
    E& error() & { return error_; }
    E&& error() && { return std::move(error_); }

private:
    E error_;
};

template <class E>
Unexpected<std::decay_t<E>> fail(E&& e) {
    return Unexpected<std::decay_t<E>>(std::forward<E>(e));
}

template <class T, class E = std::error_code>
class [[nodiscard]] Result {
public:
    // Like std::expected: default-constructs a value (asio's co_spawn needs this for its error path).
    Result()
        requires std::is_default_constructible_v<T>
        : v_(std::in_place_index<0>) {}
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit like expected
    template <class G>
    Result(Unexpected<G> u) : v_(std::in_place_index<1>, E(std::move(u).error())) {}  // NOLINT

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const E& error() const& { return std::get<1>(v_); }
    E&& error() && { return std::get<1>(std::move(v_)); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
public:
    Result() = default;
    template <class G>
    Result(Unexpected<G> u) : error_(E(std::move(u).error())), ok_(false) {}  // NOLINT

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const E& error() const& { return error_; }

private:
    E error_{};
    bool ok_ = true;
};

}  // namespace bt
