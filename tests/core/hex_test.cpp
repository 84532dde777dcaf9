#include "core/hex.hpp"

#include <gtest/gtest.h>

namespace bt {
namespace {

TEST(Hex, RoundTrips) {
    const std::vector<std::uint8_t> bytes{0x00, 0x7f, 0xab, 0xff};
    EXPECT_EQ(to_hex(bytes), "007fabff");
    EXPECT_EQ(from_hex("007FabfF"), bytes);
}

TEST(Hex, RejectsOddLengthAndBadDigits) {
    EXPECT_FALSE(from_hex("abc"));
    EXPECT_FALSE(from_hex("zz"));
}

TEST(Base32, DecodesRfc4648Vectors) {
    auto to_string = [](const std::vector<std::uint8_t>& v) { return std::string(v.begin(), v.end()); };
    EXPECT_EQ(to_string(*from_base32("MZXW6YTBOI")), "foobar");
    EXPECT_EQ(to_string(*from_base32("mzxw6ytb")), "fooba");
    EXPECT_EQ(to_string(*from_base32("")), "");
}

TEST(Base32, RejectsInvalidDigitsAndNonCanonicalTail) {
    EXPECT_FALSE(from_base32("MZXW1"));  // '1' is not a base32 digit
    EXPECT_FALSE(from_base32("MZXW6YTBOJ"));  // leftover bits not zero
}

}  // namespace
}  // namespace bt
