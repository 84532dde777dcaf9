// The read cache alone: lookups, the budget, owners and failed loads (no disk, no threads).
#include "storage/read_cache.hpp"

#include <gtest/gtest.h>

namespace bt::storage {
namespace {

constexpr std::uint32_t kBlock = 16 * 1024;

std::shared_ptr<CacheLine> loaded(ReadCache& cache, std::uint64_t owner, std::uint32_t piece,
                                  std::uint32_t begin, std::uint32_t length) {
    auto line = cache.insert(owner, PieceIndex{piece}, begin, length);
    for (std::uint32_t i = 0; i < length; ++i) line->bytes[i] = static_cast<std::uint8_t>((begin + i) % 251);
    cache.finish(line, std::nullopt);
    EXPECT_EQ(line->state, CacheLine::State::ready);
    return line;
}

TEST(ReadCache, FindsTheLineCoveringABlockAndCountsHitsAndMisses) {
    ReadCache cache(1 << 20);
    const auto owner = cache.new_owner();
    auto line = loaded(cache, owner, 3, 2 * kBlock, 4 * kBlock);
    EXPECT_EQ(cache.find(owner, PieceIndex{3}, 2 * kBlock, kBlock), line);
    EXPECT_EQ(cache.find(owner, PieceIndex{3}, 5 * kBlock, kBlock), line);  // its last block
    const auto slice = line->slice(5 * kBlock, kBlock);
    EXPECT_EQ(slice[0], (5 * kBlock) % 251);
    EXPECT_EQ(slice.size(), kBlock);
    // Outside it: before, after, straddling its end, another piece, another owner.
    EXPECT_EQ(cache.find(owner, PieceIndex{3}, kBlock, kBlock), nullptr);
    EXPECT_EQ(cache.find(owner, PieceIndex{3}, 6 * kBlock, kBlock), nullptr);
    EXPECT_EQ(cache.find(owner, PieceIndex{3}, 5 * kBlock + 1, kBlock), nullptr);
    EXPECT_EQ(cache.find(owner, PieceIndex{4}, 2 * kBlock, kBlock), nullptr);
    EXPECT_EQ(cache.find(cache.new_owner(), PieceIndex{3}, 2 * kBlock, kBlock), nullptr);
    const auto stats = cache.stats();
    EXPECT_EQ(stats.hits, 2u);
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_EQ(stats.bytes_read, 4u * kBlock);
    EXPECT_EQ(stats.bytes, 4u * kBlock);
    EXPECT_EQ(stats.lines, 1u);
}

TEST(ReadCache, OverlappingLinesOfOnePieceAreAllFound) {
    ReadCache cache(1 << 20);
    auto wide = loaded(cache, 1, 0, 0, 8 * kBlock);
    auto narrow = loaded(cache, 1, 0, 2 * kBlock, kBlock);
    // The nearest start does not cover block 5: the wider line before it does.
    EXPECT_EQ(cache.find(1, PieceIndex{0}, 5 * kBlock, kBlock), wide);
    EXPECT_EQ(cache.find(1, PieceIndex{0}, 2 * kBlock, kBlock), narrow);
}

TEST(ReadCache, LinesStartAndEndOnBlockBoundariesWithinThePieceAndTheBound) {
    // A block-aligned run: unchanged.
    EXPECT_EQ(line_range(2 * kBlock, 5 * kBlock, 64 * kBlock).begin, 2 * kBlock);
    EXPECT_EQ(line_range(2 * kBlock, 5 * kBlock, 64 * kBlock).end, 5 * kBlock);
    // Odd offsets and lengths widen to whole blocks, never past the piece's end.
    EXPECT_EQ(line_range(kBlock + 1, kBlock + 2, 64 * kBlock).begin, kBlock);
    EXPECT_EQ(line_range(kBlock + 1, kBlock + 2, 64 * kBlock).end, 2 * kBlock);
    EXPECT_EQ(line_range(kBlock + 1, kBlock + 2, kBlock + 100).end, kBlock + 100);
    // At most kMaxLineBytes, and the most of a run that fits from an unaligned start still fits.
    const std::uint32_t start = 3 * kBlock + 5;
    const auto widest = line_range(start, start + max_run(start), 1u << 30);
    EXPECT_EQ(widest.begin, 3 * kBlock);
    EXPECT_EQ(widest.end - widest.begin, kMaxLineBytes);
    EXPECT_GE(widest.end, start + max_run(start));
}

TEST(ReadCache, TinyRequestsShareTheirBlocksLine) {
    // A peer asking for 1-byte blocks all over a piece gets one line per 16 KiB, found at once each time.
    ReadCache cache(64 << 20);
    constexpr std::uint32_t kPiece = 4u << 20;
    for (std::uint32_t offset = 0; offset < kPiece; offset += 7) {
        if (cache.find(1, PieceIndex{0}, offset, 1)) continue;
        const auto range = line_range(offset, offset + 1, kPiece);
        loaded(cache, 1, 0, range.begin, range.end - range.begin);
    }
    EXPECT_EQ(cache.stats().lines, kPiece / kBlock);
    EXPECT_EQ(cache.stats().bytes_read, kPiece);
}

TEST(ReadCache, EvictsTheLeastRecentlyUsedOverTheBudgetButNeverALoadingLine) {
    ReadCache cache(3 * kBlock);
    auto a = loaded(cache, 1, 0, 0, kBlock);
    auto b = loaded(cache, 1, 1, 0, kBlock);
    auto c = loaded(cache, 1, 2, 0, kBlock);
    EXPECT_EQ(cache.find(1, PieceIndex{0}, 0, kBlock), a);     // a is now the most recent
    auto loading = cache.insert(1, PieceIndex{3}, 0, kBlock);  // over: b goes
    EXPECT_EQ(cache.find(1, PieceIndex{1}, 0, kBlock), nullptr);
    EXPECT_NE(cache.find(1, PieceIndex{0}, 0, kBlock), nullptr);
    EXPECT_EQ(cache.stats().evictions, 1u);
    EXPECT_EQ(cache.stats().bytes, 3u * kBlock);
    // A budget smaller than the loading line alone: everything else goes, the loading line stays until its
    // load ends.
    cache.set_budget(kBlock / 2);
    EXPECT_EQ(cache.stats().lines, 1u);
    EXPECT_EQ(cache.find(1, PieceIndex{3}, 0, kBlock), loading);
    cache.finish(loading, std::nullopt);
    EXPECT_EQ(cache.stats().lines, 0u);
    EXPECT_EQ(loading->state, CacheLine::State::ready);
    // An evicted line lives on for whoever still holds it.
    EXPECT_EQ(b->slice(0, 1)[0], 0);
    EXPECT_EQ(cache.stats().peak_bytes, 4u * kBlock);
}

TEST(ReadCache, DroppingAnOwnerLeavesTheOthers) {
    ReadCache cache(1 << 20);
    const auto first = cache.new_owner();
    const auto second = cache.new_owner();
    EXPECT_NE(first, second);
    loaded(cache, first, 0, 0, kBlock);
    loaded(cache, first, 7, 0, kBlock);
    auto kept = loaded(cache, second, 0, 0, kBlock);
    cache.drop(first);
    EXPECT_EQ(cache.find(first, PieceIndex{0}, 0, kBlock), nullptr);
    EXPECT_EQ(cache.find(first, PieceIndex{7}, 0, kBlock), nullptr);
    EXPECT_EQ(cache.find(second, PieceIndex{0}, 0, kBlock), kept);
    EXPECT_EQ(cache.stats().bytes, kBlock);
}

TEST(ReadCache, AFailedLoadWakesItsWaitersAndLeavesTheCache) {
    ReadCache cache(1 << 20);
    auto line = cache.insert(1, PieceIndex{0}, 0, kBlock);
    int woken = 0;
    line->on_loaded.push_back([&] { ++woken; });
    line->on_loaded.push_back([&] { ++woken; });
    EXPECT_EQ(cache.find(1, PieceIndex{0}, 0, kBlock), line);  // loading: others wait for it
    cache.finish(line, "gone");
    EXPECT_EQ(line->state, CacheLine::State::failed);
    EXPECT_EQ(line->error, "gone");
    EXPECT_EQ(woken, 2);
    EXPECT_TRUE(line->on_loaded.empty());
    EXPECT_EQ(cache.find(1, PieceIndex{0}, 0, kBlock), nullptr);
    EXPECT_EQ(cache.stats().bytes, 0u);
    // A new load of the same range replaces nothing and is found.
    auto again = loaded(cache, 1, 0, 0, kBlock);
    EXPECT_EQ(cache.find(1, PieceIndex{0}, 0, kBlock), again);
}

TEST(ReadCache, ALongerLineWithTheSameStartReplacesTheShorterOne) {
    ReadCache cache(1 << 20);
    loaded(cache, 1, 0, 0, kBlock);
    auto longer = loaded(cache, 1, 0, 0, 4 * kBlock);
    EXPECT_EQ(cache.find(1, PieceIndex{0}, 3 * kBlock, kBlock), longer);
    EXPECT_EQ(cache.stats().lines, 1u);
    EXPECT_EQ(cache.stats().bytes, 4u * kBlock);
}

}  // namespace
}  // namespace bt::storage
