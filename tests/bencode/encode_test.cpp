#include "bencode/encode.hpp"

#include <gtest/gtest.h>

#include "bencode/decode.hpp"

namespace bt::bencode {
namespace {

TEST(Encode, WritesCanonicalFormWithSortedKeys) {
    Value v(Value::Dict{{"zeta", Value(std::int64_t{-5})},
                        {"alpha", Value(Value::List{Value("x"), Value(std::int64_t{0})})},
                        {"mid", Value("")}});
    EXPECT_EQ(encode(v), "d5:alphal1:xi0ee3:mid0:4:zetai-5ee");
}

TEST(Encode, DecodeOfEncodeIsIdentity) {
    using namespace std::string_literals;
    const std::string inputs[] = {"i0e", "i-9223372036854775808e", "0:", "3:a\0b"s, "le", "de",
                                  "d1:ad1:bl0:i7eeee", "ll5:helloedee"};
    for (const std::string& input : inputs) {
        auto decoded = decode(input);
        ASSERT_TRUE(decoded) << input;
        const std::string encoded = encode(*decoded);
        EXPECT_EQ(encoded, input);
        auto again = decode(encoded);
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *decoded);
    }
}

TEST(Encode, KeepsBinaryStrings) {
    const std::string binary("\x00\xff\x13", 3);
    const std::string encoded = encode(Value(std::string_view(binary)));
    EXPECT_EQ(encoded, std::string("3:\x00\xff\x13", 5));
}

}  // namespace
}  // namespace bt::bencode
