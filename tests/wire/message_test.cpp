#include "wire/message.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace bt::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes kBlock = {0xDE, 0xAD, 0xBE, 0xEF, 0x01};
const Bytes kBits = {0xF0, 0x81};
const Bytes kExtPayload = {'d', 'e'};

struct KnownEncoding {
    const char* name;
    Message message;
    Bytes bytes;
};

// Byte layouts straight from BEP 3 / 5 / 6 / 10.
const std::vector<KnownEncoding>& known_encodings() {
    static const std::vector<KnownEncoding> cases = {
        {"keep-alive", KeepAlive{}, {0, 0, 0, 0}},
        {"choke", Choke{}, {0, 0, 0, 1, 0}},
        {"unchoke", Unchoke{}, {0, 0, 0, 1, 1}},
        {"interested", Interested{}, {0, 0, 0, 1, 2}},
        {"not-interested", NotInterested{}, {0, 0, 0, 1, 3}},
        {"have", Have{PieceIndex{0x01020304}}, {0, 0, 0, 5, 4, 1, 2, 3, 4}},
        {"bitfield", Bitfield{kBits}, {0, 0, 0, 3, 5, 0xF0, 0x81}},
        {"request",
         Request{PieceIndex{1}, 0x4000, 0x4000},
         {0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0}},
        {"piece",
         Piece{PieceIndex{2}, 3, kBlock},
         {0, 0, 0, 14, 7, 0, 0, 0, 2, 0, 0, 0, 3, 0xDE, 0xAD, 0xBE, 0xEF, 0x01}},
        {"cancel", Cancel{PieceIndex{1}, 2, 3}, {0, 0, 0, 13, 8, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}},
        {"port", Port{6881}, {0, 0, 0, 3, 9, 0x1A, 0xE1}},
        {"suggest-piece", SuggestPiece{PieceIndex{7}}, {0, 0, 0, 5, 0x0D, 0, 0, 0, 7}},
        {"have-all", HaveAll{}, {0, 0, 0, 1, 0x0E}},
        {"have-none", HaveNone{}, {0, 0, 0, 1, 0x0F}},
        {"reject-request",
         RejectRequest{PieceIndex{9}, 0, 16384},
         {0, 0, 0, 13, 0x10, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0x40, 0}},
        {"allowed-fast", AllowedFast{PieceIndex{0xFFFFFFFE}}, {0, 0, 0, 5, 0x11, 0xFF, 0xFF, 0xFF, 0xFE}},
        {"extended", Extended{3, kExtPayload}, {0, 0, 0, 4, 20, 3, 'd', 'e'}},
    };
    return cases;
}

TEST(Encode, ProducesTheSpecifiedBytesForEveryMessageType) {
    ASSERT_EQ(known_encodings().size(), std::variant_size_v<Message>);
    for (const auto& c : known_encodings()) {
        EXPECT_EQ(to_bytes(c.message), c.bytes) << c.name;
        EXPECT_EQ(encoded_size(c.message), c.bytes.size()) << c.name;
        EXPECT_EQ(name_of(c.message), c.name);
    }
}

TEST(Encode, AppendsToStringsAndByteVectors) {
    std::string s = "ab";
    encode(Message{Have{PieceIndex{1}}}, s);
    encode(Message{KeepAlive{}}, s);
    EXPECT_EQ(s, std::string("ab\0\0\0\x05\x04\0\0\0\x01\0\0\0\0", 15));

    std::vector<std::byte> v(1, std::byte{0x7F});
    encode(Message{Unchoke{}}, v);
    ASSERT_EQ(v.size(), 6u);
    EXPECT_EQ(v[0], std::byte{0x7F});
    EXPECT_EQ(v[4], std::byte{1});
    EXPECT_EQ(v[5], std::byte{1});
}

TEST(Encode, EncodeToReturnsTheEndOfTheFrame) {
    std::uint8_t out[32] = {};
    const Message m = Request{PieceIndex{1}, 2, 3};
    EXPECT_EQ(encode_to(m, out), out + 17);
}

TEST(Encode, PieceHeaderPlusBlockEqualsTheFullPieceMessage) {
    const Bytes block(16384, 0x5A);
    const auto header = encode_piece_header(PieceIndex{77}, 32768, static_cast<std::uint32_t>(block.size()));
    // As a scatter/gather write would send it: header, then the block from its own buffer.
    const Bytes full = to_bytes(Piece{PieceIndex{77}, 32768, block});
    ASSERT_EQ(full.size(), header.size() + block.size());
    EXPECT_TRUE(std::equal(header.begin(), header.end(), full.begin()));
    EXPECT_TRUE(std::equal(block.begin(), block.end(), full.begin() + kPieceHeaderSize));
}

TEST(MessageId, MatchesTheWireIdAndIsAbsentForKeepAlive) {
    EXPECT_FALSE(id_of(KeepAlive{}).has_value());
    for (const auto& c : known_encodings()) {
        if (c.bytes.size() < 5) continue;
        ASSERT_TRUE(id_of(c.message).has_value()) << c.name;
        EXPECT_EQ(static_cast<std::uint8_t>(*id_of(c.message)), c.bytes[4]) << c.name;
    }
}

TEST(MessageEquality, ComparesViewedBytesNotPointers) {
    const Bytes a = {1, 2, 3};
    const Bytes b = {1, 2, 3};
    const Bytes c = {1, 2, 4};
    const Message pa = Piece{PieceIndex{1}, 0, a};
    EXPECT_EQ(pa, (Message{Piece{PieceIndex{1}, 0, b}}));
    EXPECT_NE(pa, (Message{Piece{PieceIndex{1}, 0, c}}));
    EXPECT_NE(pa, (Message{Piece{PieceIndex{1}, 1, a}}));
    EXPECT_EQ(Message{Bitfield{a}}, Message{Bitfield{b}});
    EXPECT_NE((Message{Extended{1, a}}), (Message{Extended{2, a}}));
    EXPECT_NE(Message{Have{PieceIndex{1}}}, Message{SuggestPiece{PieceIndex{1}}});
}

}  // namespace
}  // namespace bt::wire
