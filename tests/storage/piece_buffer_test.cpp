#include "storage/piece_buffer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "storage/file_storage.hpp"

namespace bt::storage {
namespace {

bool is_direct_io_aligned(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % kDirectIoAlignment == 0;
}

void fill(PieceBuffer& b, std::uint8_t seed) {
    auto bytes = b.bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 31);
}

bool holds(const PieceBuffer& b, std::uint8_t seed) {
    const auto bytes = b.bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] != static_cast<std::uint8_t>(seed + i * 31)) return false;
    }
    return true;
}

// Writes every byte of `b` and reads it back (under ASan, touching a byte past the allocation fails).
bool fill_and_check(PieceBuffer& b, std::uint8_t seed) {
    fill(b, seed);
    return holds(b, seed);
}

TEST(PieceBufferPool, TakeGivesABufferOfTheRequestedSizeAlignedForDirectIo) {
    PieceBufferPool pool(16384, 4 * 16384);
    EXPECT_EQ(pool.capacity(), 16384u);
    for (std::size_t size : {std::size_t{1}, std::size_t{4095}, std::size_t{4096}, std::size_t{5000},
                             std::size_t{16383}, std::size_t{16384}}) {
        PieceBuffer b = pool.take(size);
        EXPECT_FALSE(b.empty()) << size;
        EXPECT_EQ(b.size(), size);
        EXPECT_EQ(b.bytes().size(), size);
        EXPECT_TRUE(is_direct_io_aligned(b.bytes().data())) << size;
        EXPECT_TRUE(fill_and_check(b, static_cast<std::uint8_t>(size)));
        const PieceBuffer& view = b;
        EXPECT_EQ(view.bytes().data(), b.bytes().data());
        EXPECT_EQ(view.bytes().size(), size);
    }
}

TEST(PieceBufferPool, AShiftedBufferStartsThatFarPastAnAlignedAddress) {
    PieceBufferPool pool(16384, 4 * 16384);
    for (std::size_t shift : {std::size_t{1}, std::size_t{1000}, std::size_t{4095}}) {
        PieceBuffer b = pool.take(16384, shift);  // the whole capacity still fits
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.bytes().data()) % kDirectIoAlignment, shift);
        EXPECT_EQ(b.bytes().size(), 16384u);
        EXPECT_TRUE(fill_and_check(b, static_cast<std::uint8_t>(shift)));
    }
    EXPECT_THROW(pool.take(100, kDirectIoAlignment), std::length_error);
}

TEST(PieceBufferPool, CapacityIsRoundedUpToTheDirectIoAlignment) {
    PieceBufferPool pool(10000, 1 << 20);
    EXPECT_EQ(pool.capacity(), 12288u);
    PieceBuffer b = pool.take(pool.capacity());
    EXPECT_EQ(b.size(), 12288u);
    EXPECT_TRUE(is_direct_io_aligned(b.bytes().data()));
    EXPECT_TRUE(fill_and_check(b, 7));
}

TEST(PieceBufferPool, AReleasedBufferIsReusedByTheNextTake) {
    PieceBufferPool pool(16384, 4 * 16384);
    const std::uint8_t* first = nullptr;
    {
        PieceBuffer b = pool.take(16384);
        first = b.bytes().data();
        EXPECT_EQ(pool.idle_count(), 0u);
    }
    EXPECT_EQ(pool.idle_count(), 1u);
    PieceBuffer again = pool.take(100);  // any size up to the capacity reuses it
    EXPECT_EQ(again.bytes().data(), first);
    EXPECT_EQ(again.size(), 100u);
    EXPECT_EQ(pool.idle_count(), 0u);
    PieceBuffer fresh = pool.take(16384);  // nothing idle: a new allocation
    EXPECT_NE(fresh.bytes().data(), first);
    EXPECT_TRUE(is_direct_io_aligned(fresh.bytes().data()));
}

TEST(PieceBufferPool, KeepsAtMostMaxIdleBytesWorthOfIdleBuffers) {
    struct Case {
        std::size_t capacity;
        std::size_t max_idle_bytes;
        std::size_t kept;  // of 6 buffers released
    };
    const std::vector<Case> cases = {
        {16384, 0, 0},
        {16384, 16383, 0},
        {16384, 16384, 1},
        {16384, 3 * 16384 + 100, 3},
        {16384, 100 * 16384, 6},
        // Buffers of 10000 requested bytes are 12288 bytes: 20000 bytes hold only one of them.
        {10000, 20000, 1},
        {10000, 3 * 12288, 3},
    };
    for (const auto& c : cases) {
        PieceBufferPool pool(c.capacity, c.max_idle_bytes);
        {
            std::vector<PieceBuffer> held;
            for (int i = 0; i < 6; ++i) held.push_back(pool.take(c.capacity));
            EXPECT_EQ(pool.idle_count(), 0u);
        }
        EXPECT_EQ(pool.idle_count(), c.kept) << c.capacity << " / " << c.max_idle_bytes;
        EXPECT_LE(pool.idle_count() * pool.capacity(), c.max_idle_bytes)
            << c.capacity << " / " << c.max_idle_bytes;
    }
}

TEST(PieceBufferPool, ReleaseIdleFreesOnlyTheBuffersNotInUse) {
    PieceBufferPool pool(16384, 4 * 16384);
    PieceBuffer kept = pool.take(16384);
    fill(kept, 7);
    {
        PieceBuffer a = pool.take(16384);
        PieceBuffer b = pool.take(16384);
    }
    EXPECT_EQ(pool.idle_count(), 2u);
    pool.release_idle();
    EXPECT_EQ(pool.idle_count(), 0u);
    EXPECT_TRUE(holds(kept, 7));
    const std::uint8_t* p = kept.bytes().data();
    kept = PieceBuffer();  // a buffer in use when the pool was emptied still comes back
    EXPECT_EQ(pool.idle_count(), 1u);
    EXPECT_EQ(pool.take(1).bytes().data(), p);
}

TEST(PieceBufferPool, TakingMoreThanTheCapacityThrowsLengthError) {
    PieceBufferPool pool(16384, 4 * 16384);
    { PieceBuffer warm = pool.take(1); }
    EXPECT_THROW(pool.take(16385), std::length_error);
    EXPECT_THROW(pool.take(std::size_t{1} << 40), std::length_error);
    EXPECT_EQ(pool.idle_count(), 1u) << "a refused take must not consume an idle buffer";
    EXPECT_NO_THROW(pool.take(16384));
}

TEST(PieceBuffer, DefaultConstructedIsEmpty) {
    PieceBuffer b;
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.size(), 0u);
    EXPECT_TRUE(b.bytes().empty());
    PieceBuffer other = std::move(b);
    EXPECT_TRUE(other.empty());
}

TEST(PieceBuffer, MovingLeavesTheSourceEmptyAndReturnsTheBufferOnce) {
    PieceBufferPool pool(16384, 8 * 16384);
    PieceBuffer a = pool.take(1000);
    const std::uint8_t* p = a.bytes().data();

    PieceBuffer b(std::move(a));
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
    EXPECT_EQ(a.size(), 0u);
    EXPECT_TRUE(a.bytes().empty());
    EXPECT_EQ(b.bytes().data(), p);
    EXPECT_EQ(b.size(), 1000u);
    { PieceBuffer gone = std::move(a); }  // destroying moved-from buffers returns nothing
    EXPECT_EQ(pool.idle_count(), 0u);

    PieceBuffer c = pool.take(2000);
    const std::uint8_t* q = c.bytes().data();
    ASSERT_NE(q, p);
    c = std::move(b);  // c's own buffer goes back to the pool
    EXPECT_EQ(pool.idle_count(), 1u);
    EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(c.bytes().data(), p);
    EXPECT_EQ(c.size(), 1000u);

    PieceBuffer& alias = c;
    c = std::move(alias);  // self-move keeps the buffer
    EXPECT_EQ(c.bytes().data(), p);
    EXPECT_EQ(c.size(), 1000u);
    EXPECT_EQ(pool.idle_count(), 1u);

    b = PieceBuffer();  // assigning to a moved-from buffer returns nothing either
    c = PieceBuffer();
    EXPECT_TRUE(c.empty());
    EXPECT_EQ(pool.idle_count(), 2u);

    // Each buffer came back exactly once: two takes give both, and the pool is then empty.
    PieceBuffer x = pool.take(1);
    PieceBuffer y = pool.take(1);
    EXPECT_EQ(pool.idle_count(), 0u);
    EXPECT_EQ((std::set<const std::uint8_t*>{x.bytes().data(), y.bytes().data()}),
              (std::set<const std::uint8_t*>{p, q}));
}

TEST(PieceBuffer, ABufferOutlivingItsPoolStaysUsableAndIsFreed) {
    auto pool = std::make_unique<PieceBufferPool>(16384, 2 * 16384);
    PieceBuffer a = pool->take(16384);
    PieceBuffer b = pool->take(16384);
    PieceBuffer c = pool->take(16384);
    { PieceBuffer idle = pool->take(16384); }
    pool.reset();
    // Still valid memory after the pool is gone (ASan would report a use after free).
    EXPECT_TRUE(fill_and_check(a, 1));
    a = PieceBuffer();
    EXPECT_TRUE(fill_and_check(b, 2));
    std::thread([moved = std::move(c)]() mutable { EXPECT_TRUE(fill_and_check(moved, 3)); }).join();
    // b is freed at the end of the test; LeakSanitizer reports anything left behind.
}

TEST(PieceBuffer, BuffersReleasedOnOtherThreadsReturnToThePool) {
    PieceBufferPool pool(16384, 4 * 16384);
    std::vector<PieceBuffer> buffers;
    std::set<const std::uint8_t*> taken;
    for (int i = 0; i < 6; ++i) {
        buffers.push_back(pool.take(16384));
        taken.insert(buffers.back().bytes().data());
    }
    std::vector<std::thread> threads;
    for (auto& b : buffers) threads.emplace_back([moved = std::move(b)]() mutable { moved = PieceBuffer(); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(pool.idle_count(), 4u);
    for (int i = 0; i < 4; ++i) {
        PieceBuffer b = pool.take(16384);
        EXPECT_TRUE(taken.count(b.bytes().data())) << "take " << i << " did not reuse a released buffer";
        buffers[static_cast<std::size_t>(i)] = std::move(b);
    }
    EXPECT_EQ(pool.idle_count(), 0u);
}

TEST(PieceBuffer, ConcurrentTakesAndReleasesNeverShareABuffer) {
    PieceBufferPool pool(4096, 3 * 4096);
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                PieceBuffer a = pool.take(4096);
                fill(a, static_cast<std::uint8_t>(t));
                PieceBuffer b = pool.take(4096);
                fill(b, static_cast<std::uint8_t>(t + 100));
                std::this_thread::yield();
                // A buffer handed out twice would have been overwritten meanwhile.
                if (!holds(a, static_cast<std::uint8_t>(t)) ||
                    !holds(b, static_cast<std::uint8_t>(t + 100))) {
                    ++errors;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_LE(pool.idle_count(), 3u);
}

}  // namespace
}  // namespace bt::storage
