#include "core/error_category.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <system_error>

namespace bt::example {

enum class Errc : std::uint8_t {
    too_short = 1,
    too_long,
    unnamed,  // a code the message table forgot
};

namespace {

const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::too_short:
            return "input too short";
        case Errc::too_long:
            return "input too long";
        case Errc::unnamed:
            break;
    }
    return nullptr;
}

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory<Errc> category("bt.example", describe, "unknown example error");
    return category;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace bt::example

template <>
struct std::is_error_code_enum<bt::example::Errc> : std::true_type {};

namespace bt {
namespace {

using example::Errc;

TEST(ErrorCategory, NamesTheCategoryAndEachCode) {
    EXPECT_STREQ(example::error_category().name(), "bt.example");
    const std::error_code ec = Errc::too_long;
    EXPECT_EQ(&ec.category(), &example::error_category());
    EXPECT_EQ(ec.value(), 2);
    EXPECT_EQ(ec.message(), "input too long");
    EXPECT_EQ(std::error_code(Errc::too_short).message(), "input too short");
}

TEST(ErrorCategory, OtherValuesGetTheUnknownMessage) {
    EXPECT_EQ(std::error_code(Errc::unnamed).message(), "unknown example error");
    EXPECT_EQ(example::error_category().message(0), "unknown example error");
    EXPECT_EQ(example::error_category().message(-1), "unknown example error");
    // 257 would wrap onto too_short (1) if it were converted to the 8-bit enum.
    EXPECT_EQ(example::error_category().message(257), "unknown example error");
}

TEST(ErrorCategory, CodesCompareByCategoryAndValue) {
    const std::error_code ec = Errc::too_short;
    EXPECT_EQ(ec, Errc::too_short);
    EXPECT_NE(ec, Errc::too_long);
    EXPECT_NE(ec, std::error_code(1, std::generic_category()));
    EXPECT_TRUE(ec);
    EXPECT_FALSE(std::error_code());
}

}  // namespace
}  // namespace bt
