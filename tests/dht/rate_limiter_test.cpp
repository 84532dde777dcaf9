#include "dht/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace bt::dht {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = TimePoint{} + 1h;

Endpoint source(std::uint32_t n, std::uint16_t port = 6881) {
    return Endpoint::v4({3, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                         static_cast<std::uint8_t>(n)},
                        port);
}

int allowed(RateLimiter& limiter, const Endpoint& from, int attempts, TimePoint now) {
    int n = 0;
    for (int i = 0; i < attempts; ++i) n += limiter.allow(from, now) ? 1 : 0;
    return n;
}

TEST(RateLimiter, PerAddressBucketRefillsOverTime) {
    RateLimiter limiter(10, 1000, 100);
    EXPECT_EQ(allowed(limiter, source(1), 50, kStart), 10);
    EXPECT_EQ(allowed(limiter, source(1, 999), 5, kStart), 0);  // any port of the same address
    EXPECT_EQ(allowed(limiter, source(2), 5, kStart), 5);
    EXPECT_EQ(allowed(limiter, source(1), 50, kStart + 500ms), 5);
    EXPECT_EQ(allowed(limiter, source(1), 50, kStart + 10s), 10);  // never more than one second's worth
}

TEST(RateLimiter, FrequentCallsStillRefill) {
    RateLimiter limiter(10, 1000, 100);
    int n = 0;
    for (int ms = 0; ms < 2000; ms += 1)
        n += limiter.allow(source(1), kStart + std::chrono::microseconds(ms * 1000 + 500)) ? 1 : 0;
    EXPECT_GE(n, 28);
    EXPECT_LE(n, 31);
}

TEST(RateLimiter, GlobalBucketLimitsManyAddresses) {
    RateLimiter limiter(10, 100, 10000);
    int n = 0;
    for (std::uint32_t i = 0; i < 1000; ++i) n += limiter.allow(source(i), kStart) ? 1 : 0;
    EXPECT_EQ(n, 100);
}

TEST(RateLimiter, TracksABoundedNumberOfAddresses) {
    RateLimiter limiter(10, 1'000'000, 64);
    for (std::uint32_t i = 0; i < 10000; ++i) limiter.allow(source(i), kStart);
    EXPECT_EQ(limiter.tracked_addresses(), 64u);
}

}  // namespace
}  // namespace bt::dht
