#include "wire/handshake.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

namespace bt::wire {
namespace {

Handshake sample() {
    Handshake h;
    set_extension_protocol(h.reserved);
    set_fast_extension(h.reserved);
    std::iota(h.info_hash.begin(), h.info_hash.end(), std::uint8_t{0xA0});
    std::iota(h.peer_id.begin(), h.peer_id.end(), std::uint8_t{'a'});
    return h;
}

TEST(Handshake, EncodesTheBep3Layout) {
    const auto bytes = encode_handshake(sample());
    ASSERT_EQ(bytes.size(), 68u);
    EXPECT_EQ(bytes[0], 19);
    EXPECT_EQ(std::string(bytes.begin() + 1, bytes.begin() + 20), "BitTorrent protocol");
    const std::vector<std::uint8_t> reserved(bytes.begin() + 20, bytes.begin() + 28);
    EXPECT_EQ(reserved, (std::vector<std::uint8_t>{0, 0, 0, 0, 0, 0x10, 0, 0x04}));
    EXPECT_EQ(bytes[28], 0xA0);
    EXPECT_EQ(bytes[47], 0xA0 + 19);
    EXPECT_EQ(bytes[48], 'a');
    EXPECT_EQ(bytes[67], 'a' + 19);
}

TEST(Handshake, AppendingEncodersKeepExistingContent) {
    std::string s = "xy";
    encode_handshake(sample(), s);
    ASSERT_EQ(s.size(), 70u);
    EXPECT_EQ(s.substr(0, 3), "xy\x13");
    std::vector<std::uint8_t> v{1};
    encode_handshake(sample(), v);
    ASSERT_EQ(v.size(), 69u);
    const auto whole = encode_handshake(sample());
    EXPECT_TRUE(std::equal(whole.begin(), whole.end(), v.begin() + 1));
}

TEST(HandshakeParser, ParsesAWholeHandshakeAndLeavesTrailingBytes) {
    auto bytes = encode_handshake(sample());
    std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
    input.insert(input.end(), {0, 0, 0, 1, 2});  // an INTERESTED message after it
    HandshakeParser parser;
    auto used = parser.feed(input);
    ASSERT_TRUE(used.has_value());
    EXPECT_EQ(*used, 68u);
    ASSERT_TRUE(parser.is_complete());
    EXPECT_EQ(parser.handshake(), sample());
    // Further input is not taken once complete.
    auto more = parser.feed(input);
    ASSERT_TRUE(more.has_value());
    EXPECT_EQ(*more, 0u);
}

TEST(HandshakeParser, GivesTheSameResultSplitAtEveryOffset) {
    const auto bytes = encode_handshake(sample());
    const std::span<const std::uint8_t> all(bytes);
    for (std::size_t split = 0; split <= all.size(); ++split) {
        HandshakeParser parser;
        auto a = parser.feed(all.first(split));
        ASSERT_TRUE(a.has_value()) << split;
        EXPECT_EQ(*a, split);
        EXPECT_EQ(parser.is_complete(), split == 68) << split;
        auto b = parser.feed(all.subspan(split));
        ASSERT_TRUE(b.has_value()) << split;
        EXPECT_EQ(*b, 68 - split);
        EXPECT_EQ(parser.handshake(), sample()) << split;
    }
}

TEST(HandshakeParser, ExposesReservedAfter28AndInfoHashAfter48BytesByteByByte) {
    const auto bytes = encode_handshake(sample());
    HandshakeParser parser;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        EXPECT_EQ(parser.reserved().has_value(), i >= 28) << i;
        EXPECT_EQ(parser.info_hash().has_value(), i >= 48) << i;
        EXPECT_FALSE(parser.handshake().has_value()) << i;
        auto used = parser.feed(std::span(&bytes[i], 1));
        ASSERT_TRUE(used.has_value());
        EXPECT_EQ(*used, 1u);
        EXPECT_EQ(parser.bytes_received(), i + 1);
    }
    EXPECT_EQ(parser.info_hash(), sample().info_hash);
    EXPECT_EQ(parser.reserved(), sample().reserved);
    EXPECT_EQ(parser.handshake(), sample());
}

TEST(HandshakeParser, RejectsAWrongProtocolStringAtTheFirstWrongByte) {
    for (std::size_t bad = 0; bad < 20; ++bad) {
        auto bytes = encode_handshake(sample());
        bytes[bad] ^= 0x20;
        HandshakeParser parser;
        // Everything before the wrong byte is accepted.
        auto head = parser.feed(std::span(bytes.data(), bad));
        ASSERT_TRUE(head.has_value()) << bad;
        auto rest = parser.feed(std::span(bytes.data() + bad, bytes.size() - bad));
        ASSERT_FALSE(rest.has_value()) << bad;
        EXPECT_EQ(rest.error(), make_error_code(Errc::bad_protocol_string));
        // Sticky: a correct continuation does not revive it.
        auto again = parser.feed(std::span(bytes.data() + bad + 1, 1));
        EXPECT_FALSE(again.has_value());
        EXPECT_FALSE(parser.is_complete());
    }
}

TEST(HandshakeParser, RejectsAnMseKeyExchangeAndOtherProtocols) {
    HandshakeParser mse;
    EXPECT_FALSE(mse.feed(std::string_view("\xd3\x01\x99")).has_value());
    HandshakeParser http;
    EXPECT_FALSE(http.feed(std::string_view("GET / HTTP/1.1\r\n")).has_value());
    HandshakeParser other_length;
    EXPECT_FALSE(other_length
                     .feed(std::string_view("\x14"
                                            "BitTorrent protocolX"))
                     .has_value());
}

TEST(HandshakeParser, DoesNotCheckReservedBitsOrInfoHash) {
    Handshake h;
    h.reserved.fill(0xFF);
    auto bytes = encode_handshake(h);
    HandshakeParser parser;
    ASSERT_TRUE(parser.feed(bytes).has_value());
    EXPECT_EQ(parser.handshake(), h);
}

TEST(ReservedBits, EachHelperReadsAndWritesItsOwnBit) {
    struct Case {
        bool (*has)(const Reserved&) noexcept;
        void (*set)(Reserved&, bool) noexcept;
        std::size_t byte;
        std::uint8_t mask;
    };
    const Case cases[] = {
        {has_extension_protocol, set_extension_protocol, 5, 0x10},
        {has_fast_extension, set_fast_extension, 7, 0x04},
        {has_dht, set_dht, 7, 0x01},
    };
    for (const auto& c : cases) {
        Reserved r{};
        EXPECT_FALSE(c.has(r));
        c.set(r, true);
        EXPECT_TRUE(c.has(r));
        Reserved expected{};
        expected[c.byte] = c.mask;
        EXPECT_EQ(r, expected);
        // Only its own bit: everything else set, this one cleared.
        Reserved all;
        all.fill(0xFF);
        c.set(all, false);
        EXPECT_FALSE(c.has(all));
        EXPECT_EQ(all[c.byte], static_cast<std::uint8_t>(0xFF & ~c.mask));
        for (const auto& other : cases) {
            if (&other != &c) {
                EXPECT_TRUE(other.has(all));
            }
        }
    }
}

}  // namespace
}  // namespace bt::wire
