#include "wire/ut_pex.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace bt::wire {
namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Endpoint v4(std::uint8_t last, std::uint16_t port) {
    return Endpoint::v4({10, 0, 0, last}, port);
}

TEST(UtPex, EncodingRoundTripsBothFamiliesWithFlags) {
    PexMessage m;
    m.added = {{v4(1, 6881), kPexSeed | kPexReachable},
               {Endpoint::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}, 51413),
                kPexPrefersEncryption}};
    m.dropped = {v4(2, 1000)};
    const std::string encoded = encode_pex_message(m);
    auto decoded = decode_pex_message(bytes(encoded));
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(*decoded, m);
}

TEST(UtPex, PortZeroIsSkippedAndMissingFlagsAreZero) {
    // added: 10.0.0.1:0 and 10.0.0.2:80, added.f covering only the first.
    const std::string added("\x0a\x00\x00\x01\x00\x00\x0a\x00\x00\x02\x00\x50", 12);
    const std::string payload = "d5:added12:" + added + "7:added.f1:\x02" + "e";
    auto decoded = decode_pex_message(bytes(payload));
    ASSERT_TRUE(decoded) << decoded.error();
    ASSERT_EQ(decoded->added.size(), 1u);
    EXPECT_EQ(decoded->added[0].endpoint, v4(2, 80));
    EXPECT_EQ(decoded->added[0].flags, 0);
}

TEST(UtPex, AtMostFiftyPerListAreWrittenAndAHundredRead) {
    PexMessage m;
    for (int i = 0; i < 70; ++i) m.added.push_back({v4(static_cast<std::uint8_t>(i), 100), 0});
    auto decoded = decode_pex_message(bytes(encode_pex_message(m)));
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->added.size(), kMaxPexEntries);

    // libtorrent sends up to 100 added peers: all taken; beyond, the rest of the list is ignored.
    std::string many;
    for (int i = 0; i < 130; ++i) many += std::string("\x0a\x00\x00\x01\x1a\xe1", 6);
    auto read = decode_pex_message(bytes("d5:added780:" + many + "e"));
    ASSERT_TRUE(read) << read.error();
    EXPECT_EQ(read->added.size(), kMaxPexEntriesRead);
}

TEST(UtPex, MalformedMessagesAreRefusedWithAReason) {
    for (const std::string& bad :
         {std::string(""), std::string("le"), std::string("d5:addedi1ee"), std::string("d5:added5:abcdee"),
          std::string("d7:dropped7:abcdefgee"), std::string(70000, 'd')}) {
        auto r = decode_pex_message(bytes(bad));
        EXPECT_FALSE(r) << bad.substr(0, 40);
        if (!r) {
            EXPECT_NE(r.error().find("ut_pex"), std::string::npos) << r.error();
        }
    }
}

}  // namespace
}  // namespace bt::wire
