#include "bencode/decode.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bt::bencode {
namespace {

struct BadCase {
    const char* input;
    Errc code;
    std::size_t offset;
};

class DecodeRejects : public testing::TestWithParam<BadCase> {};

TEST_P(DecodeRejects, WithCodeAndOffset) {
    const auto& c = GetParam();
    auto r = decode(c.input);
    ASSERT_FALSE(r.has_value()) << c.input;
    EXPECT_EQ(r.error().code, c.code) << c.input << ": " << r.error().message();
    EXPECT_EQ(r.error().offset, c.offset) << c.input << ": " << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Strictness, DecodeRejects,
    testing::Values(BadCase{"", Errc::unexpected_end, 0}, BadCase{"i", Errc::unexpected_end, 1},
                    BadCase{"ie", Errc::empty_integer, 1}, BadCase{"i-e", Errc::empty_integer, 2},
                    BadCase{"i03e", Errc::leading_zero, 1}, BadCase{"i-0e", Errc::negative_zero, 1},
                    BadCase{"i-03e", Errc::leading_zero, 2}, BadCase{"i12", Errc::unexpected_end, 3},
                    BadCase{"i1x", Errc::invalid_character, 2},
                    BadCase{"i9223372036854775808e", Errc::integer_overflow, 1},
                    BadCase{"i-9223372036854775809e", Errc::integer_overflow, 2},
                    BadCase{"5:abc", Errc::string_too_long, 0}, BadCase{"01:a", Errc::leading_zero, 0},
                    BadCase{"99999999999999999999999:a", Errc::integer_overflow, 0},
                    BadCase{"3abc", Errc::invalid_character, 1}, BadCase{"x", Errc::invalid_character, 0},
                    BadCase{"l", Errc::unexpected_end, 1}, BadCase{"li1e", Errc::unexpected_end, 4},
                    BadCase{"d1:a", Errc::unexpected_end, 4}, BadCase{"di1ei2ee", Errc::non_string_key, 1},
                    BadCase{"d1:bi1e1:ai2ee", Errc::unsorted_keys, 7},
                    BadCase{"d1:ai1e1:ai2ee", Errc::duplicate_key, 7}, BadCase{"i1ei2e", Errc::trailing_data, 3},
                    BadCase{"0:x", Errc::trailing_data, 2}));

TEST(Decode, ParsesAllTypesWithRawSpans) {
    const std::string input = "d4:listli1ei-2e0:e3:numi42e3:str5:hello4:zerodee";
    auto r = decode(input);
    ASSERT_TRUE(r) << r.error().message();
    const Value& v = *r;
    ASSERT_EQ(v.type(), Value::Type::dict);
    EXPECT_EQ(v.raw(), input);
    EXPECT_EQ(*v.find("num")->as_int(), 42);
    EXPECT_EQ(*v.find("str")->as_string(), "hello");
    EXPECT_EQ(v.find("str")->raw(), "5:hello");
    const auto& list = *v.find("list")->as_list();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(*list[1].as_int(), -2);
    EXPECT_EQ(*list[2].as_string(), "");
    EXPECT_EQ(v.find("zero")->raw(), "de");
    EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(Decode, StringsAreViewsIntoTheInput) {
    const std::string input = "4:spam";
    auto r = decode(input);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->as_string()->data(), input.data() + 2);
}

TEST(Decode, AcceptsInt64Extremes) {
    EXPECT_EQ(*decode("i9223372036854775807e")->as_int(), INT64_MAX);
    EXPECT_EQ(*decode("i-9223372036854775808e")->as_int(), INT64_MIN);
    EXPECT_EQ(*decode("i0e")->as_int(), 0);
}

TEST(Decode, BoundsDepth) {
    const std::string deep = std::string(101, 'l') + std::string(101, 'e');
    auto r = decode(deep);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::depth_exceeded);
    EXPECT_EQ(r.error().offset, 100u);
    const std::string ok = std::string(100, 'l') + std::string(100, 'e');
    EXPECT_TRUE(decode(ok));
}

TEST(Decode, BoundsValueCount) {
    Limits limits;
    limits.max_values = 3;
    EXPECT_TRUE(decode("li1ei2ee", limits));
    auto r = decode("li1ei2ei3ee", limits);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::too_many_values);
}

TEST(Decode, UnsortedKeysAllowedOnRequestButDuplicatesNever) {
    Limits lenient;
    lenient.allow_unsorted_keys = true;
    auto r = decode("d1:bi1e1:ai2ee", lenient);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->find("a")->as_int(), 2);
    auto dup = decode("d1:bi1e1:ai2e1:bi3ee", lenient);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, Errc::duplicate_key);
}

TEST(Decode, KeysCompareAsUnsignedBytes) {
    EXPECT_TRUE(decode("d1:ai1e1:\xffi2ee"));
    EXPECT_FALSE(decode("d1:\xffi1e1:ai2ee"));
}

TEST(Decode, ErrorMessageNamesProblemAndOffset) {
    auto r = decode("li1ei03ee");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "leading zero in number at byte 5");
}

}  // namespace
}  // namespace bt::bencode
