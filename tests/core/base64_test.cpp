#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace bt {
namespace {

struct Base64Case {
    std::string input;
    std::optional<std::string> expected;
};

class Base64 : public ::testing::TestWithParam<Base64Case> {};

TEST_P(Base64, DecodesOrRefuses) {
    EXPECT_EQ(decode_base64(GetParam().input), GetParam().expected);
}

// RFC 4648 §10 vectors, then what tools send and what must be refused.
INSTANTIATE_TEST_SUITE_P(
    Rfc4648AndEdges, Base64,
    ::testing::Values(
        Base64Case{"", ""}, Base64Case{"Zg==", "f"}, Base64Case{"Zm8=", "fo"}, Base64Case{"Zm9v", "foo"},
        Base64Case{"Zm9vYg==", "foob"}, Base64Case{"Zm9vYmE=", "fooba"}, Base64Case{"Zm9vYmFy", "foobar"},
        Base64Case{"Zm9v\nYmFy\r\n", "foobar"}, Base64Case{" Zm 9v\tYg = = ", "foob"},
        Base64Case{"Zm9vYg", "foob"},  // no padding at all
        Base64Case{"+/+/", std::string("\xfb\xff\xbf", 3)}, Base64Case{"AAA=", std::string(2, '\0')},
        Base64Case{"Zm9vYg=", std::nullopt},  // half the padding
        Base64Case{"Zg===", std::nullopt},    // too much
        Base64Case{"Z===", std::nullopt},     // a lone digit
        Base64Case{"Z", std::nullopt}, Base64Case{"=", std::nullopt},
        Base64Case{"Zg==Zm9v", std::nullopt},                                 // data after the padding
        Base64Case{"Zh==", std::nullopt},                                     // leftover bits set
        Base64Case{"Zm9=", std::nullopt}, Base64Case{"Zm9v!", std::nullopt},  // not the alphabet
        Base64Case{"Zm9v-_", std::nullopt},  // base64url is not what clients send
        Base64Case{std::string("Zm\0v", 4), std::nullopt}));

TEST(Base64, EncodesWithPaddingAndDecodesBack) {
    EXPECT_EQ(encode_base64(""), "");
    EXPECT_EQ(encode_base64("f"), "Zg==");
    EXPECT_EQ(encode_base64("fo"), "Zm8=");
    EXPECT_EQ(encode_base64("foobar"), "Zm9vYmFy");
    EXPECT_EQ(encode_base64("u:p"), "dTpw");
    std::string every_byte;
    for (int i = 0; i < 256; ++i) every_byte += static_cast<char>(i);
    for (std::size_t n = 0; n <= every_byte.size(); n += 37)
        EXPECT_EQ(decode_base64(encode_base64(every_byte.substr(0, n))), every_byte.substr(0, n));
}

}  // namespace
}  // namespace bt
