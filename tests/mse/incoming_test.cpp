#include "mse/incoming.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bt::mse {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

TEST(ClassifyIncoming, DecidesOnlyAfterTheWhole20ByteHeader) {
    const std::string header(kPlainHeader);
    struct Case {
        std::string input;
        IncomingKind expected;
    };
    const Case cases[] = {
        {"", IncomingKind::need_more},
        {"\x13", IncomingKind::need_more},  // never decide from the first byte alone
        {header.substr(0, 19), IncomingKind::need_more},
        {header, IncomingKind::plaintext},
        {header + "\0\0\0\0\0\x10\0\x05", IncomingKind::plaintext},
        {"\x14", IncomingKind::encrypted},
        {std::string(1, '\0'), IncomingKind::encrypted},
        {"\x13"
         "BitTorrent",
         IncomingKind::need_more},
        {"\x13"
         "BitTorrent Protocol",
         IncomingKind::encrypted},  // case matters
        {"\x13"
         "BitTorrent protocoL",
         IncomingKind::encrypted},  // the 20th byte counts
        {"\x13"
         "Bi",
         IncomingKind::need_more},
        {"\x13"
         "Bx",
         IncomingKind::encrypted},
    };
    for (const auto& c : cases) EXPECT_EQ(classify_incoming(bytes(c.input)), c.expected) << c.input;
}

TEST(ClassifyIncoming, EveryStrictPrefixOfTheHeaderNeedsMore) {
    const std::string header(kPlainHeader);
    for (std::size_t n = 0; n < header.size(); ++n)
        EXPECT_EQ(classify_incoming(bytes(header.substr(0, n))), IncomingKind::need_more) << n;
}

TEST(ClassifyIncoming, ADifferenceAtAnyOfThe20BytesMeansMse) {
    const std::string header(kPlainHeader);
    for (std::size_t i = 0; i < header.size(); ++i) {
        std::string changed = header;
        changed[i] = static_cast<char>(changed[i] ^ 0x01);
        EXPECT_EQ(classify_incoming(bytes(changed)), IncomingKind::encrypted) << i;
    }
}

}  // namespace
}  // namespace bt::mse
