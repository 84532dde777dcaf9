#include <gtest/gtest.h>

#include "cli/commands.hpp"

namespace bt::cli {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;

TEST(DefaultPieceLength, SmallestPowerOfTwoGivingAtMost2000PiecesWithin16KiBAnd16MiB) {
    struct Case {
        std::int64_t total;
        std::int64_t piece;
    };
    for (const auto& c :
         {Case{1, 16 * kKiB}, Case{2000 * 16 * kKiB, 16 * kKiB}, Case{2000 * 16 * kKiB + 1, 32 * kKiB},
          Case{100 * kMiB, 64 * kKiB}, Case{kGiB, kMiB}, Case{4 * kGiB, 4 * kMiB}, Case{30 * kGiB, 16 * kMiB},
          Case{4000 * kGiB, 16 * kMiB}}) {
        EXPECT_EQ(default_piece_length(c.total), c.piece) << c.total;
        EXPECT_TRUE(is_valid_piece_length(default_piece_length(c.total)));
    }
}

TEST(DefaultPieceLength, PieceCountStaysBetween1000And2000WhenNotClamped) {
    for (std::int64_t total = 64 * kMiB; total <= 16 * kGiB; total = total * 3 / 2) {
        const std::int64_t piece = default_piece_length(total);
        const std::int64_t pieces = (total + piece - 1) / piece;
        EXPECT_LE(pieces, 2000) << total;
        EXPECT_GT(pieces, 1000) << total;
    }
}

TEST(PieceLengthRule, PowerOfTwoFrom16KiBTo128MiB) {
    EXPECT_TRUE(is_valid_piece_length(16 * kKiB));
    EXPECT_TRUE(is_valid_piece_length(kMiB));
    EXPECT_TRUE(is_valid_piece_length(128 * kMiB));
    for (std::int64_t bad :
         {std::int64_t{0}, std::int64_t{-16384}, 8 * kKiB, 16 * kKiB + 1, 48 * kKiB, 256 * kMiB}) {
        EXPECT_FALSE(is_valid_piece_length(bad)) << bad;
    }
}

}  // namespace
}  // namespace bt::cli
