#include "core/result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bt {
namespace {

Result<int> half(int x) {
    if (x % 2 != 0) return fail(std::make_error_code(std::errc::invalid_argument));
    return x / 2;
}

TEST(Result, HoldsValueOrError) {
    auto ok = half(4);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 2);
    auto bad = half(3);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error(), std::errc::invalid_argument);
}

TEST(Result, SupportsCustomErrorAndVoid) {
    Result<std::string, std::string> r = fail(std::string("why"));
    EXPECT_EQ(r.error(), "why");
    Result<void> done;
    EXPECT_TRUE(done);
    Result<void> failed = fail(std::make_error_code(std::errc::io_error));
    EXPECT_FALSE(failed);
}

}  // namespace
}  // namespace bt
