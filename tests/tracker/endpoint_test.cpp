#include "core/endpoint.hpp"

#include <gtest/gtest.h>

#include <unordered_set>
#include <vector>

namespace bt {
namespace {

std::array<std::uint8_t, 16> v6_bytes(std::initializer_list<std::uint16_t> groups) {
    std::array<std::uint8_t, 16> out{};
    std::size_t i = 0;
    for (std::uint16_t g : groups) {
        out[i++] = static_cast<std::uint8_t>(g >> 8);
        out[i++] = static_cast<std::uint8_t>(g & 0xff);
    }
    return out;
}

TEST(Endpoint, PrintsV4AndBracketedV6WithPort) {
    EXPECT_EQ(Endpoint::v4({1, 2, 3, 4}, 6881).to_string(), "1.2.3.4:6881");
    EXPECT_EQ(Endpoint::v4({255, 255, 255, 255}, 65535).to_string(), "255.255.255.255:65535");
    EXPECT_EQ(Endpoint::v6(v6_bytes({0, 0, 0, 0, 0, 0, 0, 1}), 6881).to_string(), "[::1]:6881");
    EXPECT_EQ(Endpoint::v4({1, 2, 3, 4}, 6881).address_bytes().size(), 4u);
    EXPECT_EQ(Endpoint::v6({}, 1).address_bytes().size(), 16u);
}

struct V6Text {
    std::array<std::uint8_t, 16> bytes;
    const char* text;
};

class Rfc5952Text : public testing::TestWithParam<V6Text> {};

TEST_P(Rfc5952Text, PrintsCanonicalForm) {
    EXPECT_EQ(Endpoint::v6(GetParam().bytes, 0).address_string(), GetParam().text);
}

TEST_P(Rfc5952Text, ParsesBackToTheSameBytes) {
    const auto e = parse_ip_address(GetParam().text, 7);
    ASSERT_TRUE(e) << GetParam().text;
    EXPECT_TRUE(e->is_v6());
    EXPECT_EQ(e->address, GetParam().bytes);
    EXPECT_EQ(e->port, 7);
}

INSTANTIATE_TEST_SUITE_P(
    Endpoint, Rfc5952Text,
    testing::Values(V6Text{v6_bytes({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), "2001:db8::1"},
                    V6Text{v6_bytes({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}),
                           "2001:db8:0:1:1:1:1:1"},                                    // one zero stays
                    V6Text{v6_bytes({0x2001, 0, 0, 1, 0, 0, 0, 1}), "2001:0:0:1::1"},  // longest run
                    V6Text{v6_bytes({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}), "2001:db8::1:0:0:1"},  // first on tie
                    V6Text{v6_bytes({0, 0, 0, 0, 0, 0, 0, 0}), "::"},
                    V6Text{v6_bytes({0xfe80, 0, 0, 0, 0, 0, 0, 0}), "fe80::"},
                    V6Text{v6_bytes({0xabcd, 0xef01, 0x2345, 0x6789, 0xabcd, 0xef01, 0x2345, 0x6789}),
                           "abcd:ef01:2345:6789:abcd:ef01:2345:6789"},
                    V6Text{v6_bytes({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304}), "::ffff:1.2.3.4"}));

struct Lenient {
    const char* input;
    const char* canonical;
};

class V6Parse : public testing::TestWithParam<Lenient> {};

TEST_P(V6Parse, AcceptsNonCanonicalSpellings) {
    const auto e = parse_ip_address(GetParam().input);
    ASSERT_TRUE(e) << GetParam().input;
    EXPECT_EQ(e->address_string(), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(Endpoint, V6Parse,
                         testing::Values(Lenient{"2001:DB8::1", "2001:db8::1"},
                                         Lenient{"2001:db8:0:0:0:0:0:1", "2001:db8::1"},
                                         Lenient{"2001:0db8:0000::0001", "2001:db8::1"},
                                         Lenient{"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
                                         Lenient{"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
                                         Lenient{"::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"}, Lenient{"1::", "1::"},
                                         Lenient{"::", "::"}));

class IpRejects : public testing::TestWithParam<const char*> {};

TEST_P(IpRejects, AnythingButAnAddressLiteral) {
    EXPECT_FALSE(parse_ip_address(GetParam())) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Endpoint, IpRejects,
                         testing::Values("", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ",
                                         " 1.2.3.4", "1..2.3", "a.b.c.d", "example.com", "1.2.3.-4",
                                         "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", ":::", "1:::2",
                                         "12345::", "g::1", ":1::", "1:", ":1", "1:2:3:4:5:6:7::8",
                                         "fe80::1%eth0", "1.2.3.4::", "::1.2.3", "[::1]", "::1.2.3.4:5"));

TEST(Endpoint, ParsesV4Text) {
    const auto e = parse_ip_address("192.168.0.255", 80);
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->is_v4());
    EXPECT_EQ(e->to_string(), "192.168.0.255:80");
    EXPECT_EQ(*e, Endpoint::v4({192, 168, 0, 255}, 80));
}

TEST(Endpoint, ParsesHostPortText) {
    EXPECT_EQ(parse_endpoint("1.2.3.4:6881"), Endpoint::v4({1, 2, 3, 4}, 6881));
    EXPECT_EQ(parse_endpoint("[::1]:6881"), Endpoint::v6(v6_bytes({0, 0, 0, 0, 0, 0, 0, 1}), 6881));
    EXPECT_EQ(parse_endpoint("0.0.0.0:0"), Endpoint::v4({0, 0, 0, 0}, 0));
    for (const char* bad : {"1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:80x", "[::1]",
                            "[::1]:", "::1:6881", "[1.2.3.4]:80", "host:80", "[::1]x:80", ""}) {
        EXPECT_FALSE(parse_endpoint(bad)) << bad;
    }
}

TEST(Endpoint, DecodesCompactForms) {
    const std::vector<std::uint8_t> v4{1, 2, 3, 4, 0x1a, 0xe1};
    EXPECT_EQ(endpoint_from_compact(v4), Endpoint::v4({1, 2, 3, 4}, 6881));
    std::vector<std::uint8_t> v6(18, 0);
    v6[15] = 1;
    v6[16] = 0xff;
    v6[17] = 0xfe;
    EXPECT_EQ(endpoint_from_compact(v6), Endpoint::v6(v6_bytes({0, 0, 0, 0, 0, 0, 0, 1}), 65534));
    for (std::size_t size : {0, 5, 7, 16, 17, 19}) {
        EXPECT_FALSE(endpoint_from_compact(std::vector<std::uint8_t>(size, 1))) << size;
    }
}

TEST(Endpoint, EncodesCompactFormsThatDecodeBack) {
    const Endpoint a = Endpoint::v4({10, 0, 0, 1}, 80);
    const Endpoint b = Endpoint::v6(v6_bytes({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), 443);
    std::vector<std::uint8_t> bytes;
    append_compact(bytes, a);
    EXPECT_EQ(bytes, (std::vector<std::uint8_t>{10, 0, 0, 1, 0, 80}));
    append_compact(bytes, b);
    ASSERT_EQ(bytes.size(), 24u);
    EXPECT_EQ(endpoint_from_compact(std::span(bytes).subspan(6)), b);
    std::string text;
    append_compact(text, a);
    EXPECT_EQ(text, std::string("\x0a\x00\x00\x01\x00\x50", 6));
}

TEST(Endpoint, HashesEqualEndpointsAlike) {
    std::unordered_set<Endpoint> set{Endpoint::v4({1, 2, 3, 4}, 1), Endpoint::v4({1, 2, 3, 4}, 1),
                                     Endpoint::v4({1, 2, 3, 4}, 2), Endpoint::v6({}, 1)};
    EXPECT_EQ(set.size(), 3u);
    EXPECT_LT(Endpoint::v4({1, 2, 3, 4}, 1), Endpoint::v4({1, 2, 3, 5}, 1));
}

TEST(Endpoint, WhereAnAddressCanBe) {
    const auto v4 = [](std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
        return Endpoint::v4({a, b, c, d}, 6881);
    };
    EXPECT_TRUE(v4(127, 0, 0, 1).is_loopback());
    EXPECT_TRUE(v4(127, 9, 9, 9).is_loopback());
    EXPECT_FALSE(v4(128, 0, 0, 1).is_loopback());
    EXPECT_TRUE(parse_ip_address("::1")->is_loopback());
    EXPECT_TRUE(parse_ip_address("::ffff:127.0.0.1")->is_loopback());
    for (const auto& e : {v4(10, 1, 2, 3), v4(172, 16, 0, 1), v4(172, 31, 255, 1), v4(192, 168, 1, 1),
                          v4(169, 254, 0, 1), v4(100, 64, 0, 1), *parse_ip_address("fd00::1"),
                          *parse_ip_address("fe80::1"), *parse_ip_address("::ffff:10.0.0.1")}) {
        EXPECT_TRUE(e.is_local_network()) << e.to_string();
        EXPECT_FALSE(e.is_unusable()) << e.to_string();
    }
    for (const auto& e :
         {v4(172, 32, 0, 1), v4(8, 8, 8, 8), v4(100, 128, 0, 1), *parse_ip_address("2001:db8::1")}) {
        EXPECT_FALSE(e.is_local_network()) << e.to_string();
        EXPECT_FALSE(e.is_unusable()) << e.to_string();
    }
    for (const auto& e : {v4(0, 0, 0, 0), v4(0, 1, 2, 3), v4(224, 0, 0, 1), v4(239, 1, 1, 1),
                          v4(255, 255, 255, 255), *parse_ip_address("::"), *parse_ip_address("ff02::1")}) {
        EXPECT_TRUE(e.is_unusable()) << e.to_string();
    }
}

}  // namespace
}  // namespace bt
