#pragma once
// The std::error_category of a module's `enum class Errc`, given as data: a name and a function that
// returns the message of each code. A module then declares only its enum and its messages:
//
//     const char* describe(Errc e) noexcept {
//         switch (e) {
//             case Errc::bad_vc: return "MSE: verification constant is not zero";
//             ...
//         }
//         return nullptr;  // not a code of ours
//     }
//     const std::error_category& error_category() noexcept {
//         static const ErrorCategory<Errc> category("bt.mse", describe, "unknown MSE error");
//         return category;
//     }
//     std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace bt {

template <class E>
requires std::is_enum_v<E>
class ErrorCategory final : public std::error_category {
  public:
    // The message of a code, or nullptr for a value that is not one of E's codes.
    using Describe = const char* (*)(E) noexcept;

    // `name` and `unknown` (the message of any other value) must outlive the category: string literals.
    constexpr ErrorCategory(const char* name, Describe describe, const char* unknown) noexcept
        : name_(name), describe_(describe), unknown_(unknown) {}

    const char* name() const noexcept override { return name_; }

    std::string message(int ev) const override {
        // A value E cannot hold is nobody's code (and converting it to E would wrap it onto one).
        using U = std::underlying_type_t<E>;
        if (!std::in_range<U>(ev)) return unknown_;
        const char* text = describe_(static_cast<E>(ev));
        return text != nullptr ? text : unknown_;
    }

  private:
    const char* name_;
    Describe describe_;
    const char* unknown_;
};

}  // namespace bt
