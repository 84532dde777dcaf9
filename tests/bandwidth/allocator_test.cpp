#include "bandwidth/allocator.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>

namespace bt::bandwidth {
namespace {

using namespace std::chrono_literals;

constexpr auto kTick = 50ms;

// Drives an allocator the way the I/O layer does: every requester asks again as soon as it was granted
// (up to kAsksPerTick times between ticks), for `wanted` bytes each time, and the clock moves by kTick.
struct Driver {
    struct Requester {
        std::vector<ChannelId> channels;
        std::uint64_t wanted = 64 * 1024;
        std::uint64_t moved = 0;
        std::optional<RequestId> waiting{};
    };
    Allocator allocator;
    std::vector<Requester> requesters;

    static constexpr int kAsksPerTick = 16;
    void ask(Requester& r) {
        for (int i = 0; i < kAsksPerTick && !r.waiting; ++i) {
            const auto answer = allocator.request(r.channels, r.wanted);
            if (const auto* bytes = std::get_if<std::uint64_t>(&answer)) {
                r.moved += *bytes;
            } else {
                r.waiting = std::get<RequestId>(answer);
            }
        }
    }
    void run(std::chrono::milliseconds duration) {
        for (auto& r : requesters) ask(r);
        for (auto t = 0ms; t < duration; t += kTick) {
            for (const auto& grant : allocator.tick(kTick)) {
                for (auto& r : requesters) {
                    if (r.waiting == grant.request) {
                        r.moved += grant.bytes;
                        r.waiting.reset();
                    }
                }
            }
            for (auto& r : requesters) ask(r);
        }
    }
};

TEST(BandwidthAllocator, UnlimitedChannelsGrantEverythingAtOnce) {
    Allocator allocator;
    const std::array channels{allocator.add_channel(0), allocator.add_channel(0)};
    EXPECT_EQ(std::get<std::uint64_t>(allocator.request(channels, 100'000)), 100'000u);
    EXPECT_EQ(std::get<std::uint64_t>(allocator.request({}, 5)), 5u);
    EXPECT_FALSE(allocator.has_waiting());
}

TEST(BandwidthAllocator, ALimitedChannelStartsEmptyAndGrantsOnTick) {
    Allocator allocator;
    const std::array channels{allocator.add_channel(1'000'000)};
    const auto id = std::get<RequestId>(allocator.request(channels, 16'384));
    const auto grants = allocator.tick(10ms);  // 10,000 bytes of quota
    ASSERT_EQ(grants.size(), 1u);
    EXPECT_EQ(grants[0], (Grant{id, 10'000}));
}

TEST(BandwidthAllocator, OneRequesterMovesTheLimit) {
    Driver d;
    const auto channel = d.allocator.add_channel(1'000'000);
    d.requesters.push_back({{channel}});
    d.run(10s);
    EXPECT_NEAR(double(d.requesters[0].moved), 10e6, 10e6 * 0.01);
}

TEST(BandwidthAllocator, PeersUnderOneLimitShareItEvenly) {
    Driver d;
    const auto channel = d.allocator.add_channel(5'000'000);
    for (int i = 0; i < 7; ++i) d.requesters.push_back({{channel}});
    d.requesters[3].wanted = 1'000;  // wants little: what it leaves goes to the others
    d.run(10s);
    std::uint64_t total = 0;
    for (const auto& r : d.requesters) total += r.moved;
    EXPECT_NEAR(double(total), 50e6, 50e6 * 0.01);
    EXPECT_LE(d.requesters[3].moved, 16u * 1'000 * 200);
    const double others = (double(total) - double(d.requesters[3].moved)) / 6;
    for (std::size_t i = 0; i < d.requesters.size(); ++i) {
        if (i != 3) {
            EXPECT_NEAR(double(d.requesters[i].moved), others, others * 0.05) << i;
        }
    }
}

TEST(BandwidthAllocator, TorrentsLimitedBelowTheGlobalLimitGetTheirOwnLimits) {
    Driver d;
    const auto global = d.allocator.add_channel(10'000'000);
    const auto a = d.allocator.add_channel(2'000'000);
    const auto b = d.allocator.add_channel(5'000'000);
    for (int i = 0; i < 3; ++i) d.requesters.push_back({{global, a}});
    for (int i = 0; i < 2; ++i) d.requesters.push_back({{global, b}});
    d.run(10s);
    std::map<ChannelId, double> per_torrent;
    for (const auto& r : d.requesters) per_torrent[r.channels[1]] += double(r.moved);
    EXPECT_NEAR(per_torrent[a], 20e6, 20e6 * 0.02);
    EXPECT_NEAR(per_torrent[b], 50e6, 50e6 * 0.02);
}

TEST(BandwidthAllocator, TorrentsLimitedAboveTheGlobalLimitShareItPerPeer) {
    Driver d;
    const auto global = d.allocator.add_channel(6'000'000);
    const auto a = d.allocator.add_channel(5'000'000);
    const auto b = d.allocator.add_channel(5'000'000);
    d.requesters.push_back({{global, a}});
    for (int i = 0; i < 5; ++i) d.requesters.push_back({{global, b}});
    d.run(10s);
    double in_b = 0;
    for (std::size_t i = 1; i < d.requesters.size(); ++i) in_b += double(d.requesters[i].moved);
    // The six peers split the global channel evenly, whichever torrent they belong to (as libtorrent does).
    EXPECT_NEAR(double(d.requesters[0].moved), 10e6, 10e6 * 0.05);
    EXPECT_NEAR(in_b, 50e6, 50e6 * 0.05);
}

TEST(BandwidthAllocator, NoSecondMovesMoreThanTheLimitPlusTheBurstWindow) {
    Driver d;
    const auto channel = d.allocator.add_channel(1'000'000);
    d.requesters.push_back({{channel}});
    d.allocator.tick(5s);  // idle: quota saturates at the burst window
    std::uint64_t before = d.requesters[0].moved;
    d.run(1s);
    EXPECT_LE(double(d.requesters[0].moved - before), 1.25e6 + 1);
}

TEST(BandwidthAllocator, ChangingTheLimitTakesEffectAtTheNextTick) {
    Driver d;
    const auto channel = d.allocator.add_channel(1'000'000);
    d.requesters.push_back({{channel}});
    d.run(2s);
    d.allocator.set_limit(channel, 4'000'000);
    const auto before = d.requesters[0].moved;
    d.run(2s);
    EXPECT_NEAR(double(d.requesters[0].moved - before), 8e6, 8e6 * 0.03);
    d.allocator.set_limit(channel, 0);  // off: the waiting request gets everything it asked for
    const auto grants = d.allocator.tick(kTick);
    ASSERT_EQ(grants.size(), 1u);
    EXPECT_EQ(grants[0], (Grant{*d.requesters[0].waiting, d.requesters[0].wanted}));
}

TEST(BandwidthAllocator, MoreWaitersThanBytesOfQuotaStillMoveTheLimit) {
    Driver d;
    const auto channel = d.allocator.add_channel(1'024);
    for (int i = 0; i < 300; ++i) d.requesters.push_back({{channel}});
    d.run(20s);
    std::uint64_t total = 0;
    std::size_t served = 0;
    for (const auto& r : d.requesters) {
        total += r.moved;
        served += r.moved > 0 ? 1 : 0;
    }
    EXPECT_NEAR(double(total), 20 * 1'024, 1'024);
    EXPECT_GT(served, 1u);  // not always the same one
}

TEST(BandwidthAllocator, CancelAndRefundReturnQuota) {
    Allocator allocator;
    const std::array channels{allocator.add_channel(1'000'000)};
    const auto first = std::get<RequestId>(allocator.request(channels, 300'000));
    const auto second = std::get<RequestId>(allocator.request(channels, 300'000));
    allocator.cancel(first);
    EXPECT_EQ(allocator.waiting(), 1u);
    const auto grants = allocator.tick(100ms);
    ASSERT_EQ(grants.size(), 1u);
    EXPECT_EQ(grants[0], (Grant{second, 100'000}));
    allocator.refund(channels, 60'000);  // the read returned less
    EXPECT_EQ(std::get<std::uint64_t>(allocator.request(channels, 100'000)), 60'000u);
}

TEST(BandwidthAllocator, RemovedChannelNoLongerHoldsRequests) {
    Allocator allocator;
    const auto global = allocator.add_channel(0);
    const auto torrent = allocator.add_channel(1'000);
    const std::array channels{global, torrent};
    const auto id = std::get<RequestId>(allocator.request(channels, 50'000));
    allocator.remove_channel(torrent);
    const auto grants = allocator.tick(1ms);
    ASSERT_EQ(grants.size(), 1u);
    EXPECT_EQ(grants[0], (Grant{id, 50'000}));
}

}  // namespace
}  // namespace bt::bandwidth
