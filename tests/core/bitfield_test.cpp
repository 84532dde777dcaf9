#include "core/bitfield.hpp"

#include <gtest/gtest.h>

namespace bt {
namespace {

TEST(Bitfield, SetsAndCountsPiecesHighBitFirst) {
    Bitfield f(10);
    f.set(PieceIndex{0});
    f.set(PieceIndex{9});
    f.set(PieceIndex{9});
    EXPECT_EQ(f.count(), 2u);
    EXPECT_EQ(f.bytes()[0], 0x80);
    EXPECT_EQ(f.bytes()[1], 0x40);
    f.reset(PieceIndex{0});
    EXPECT_FALSE(f.test(PieceIndex{0}));
    EXPECT_EQ(f.count(), 1u);
    EXPECT_FALSE(f.test(PieceIndex{10}));  // out of range is simply absent
}

TEST(Bitfield, SetAllLeavesSpareBitsClear) {
    Bitfield f(10, true);
    EXPECT_TRUE(f.all());
    EXPECT_EQ(f.bytes()[1], 0xc0);
}

TEST(Bitfield, FromBytesChecksSizeAndSpareBits) {
    const std::vector<std::uint8_t> good{0xff, 0xc0};
    auto f = Bitfield::from_bytes(good, 10);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->all());
    EXPECT_FALSE(Bitfield::from_bytes(good, 17));  // wrong byte count
    const std::vector<std::uint8_t> spare{0xff, 0xe0};
    EXPECT_FALSE(Bitfield::from_bytes(spare, 10));  // bit 10 set
}

}  // namespace
}  // namespace bt
