// Whole swarms in simulated time (swarm_harness.hpp): each scenario runs the real PeerSession and Swarm code
// over in-memory links, the same way every time.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "swarm/allowed_fast.hpp"
#include "swarm/swarm_harness.hpp"

namespace bt::swarm::test {
namespace {

constexpr std::uint64_t kKiB = 1024;

TorrentData small_torrent(std::uint32_t pieces = 64, std::uint32_t piece_length = 64 * 1024) {
    return TorrentData::generate(pieces, piece_length, piece_length / 2 + 123, 42);
}

NodeOptions seed_options(std::uint64_t seed_value = 7) {
    NodeOptions o;
    o.seed = true;
    o.seed_value = seed_value;
    return o;
}

bool reason_seen(const Node& node, const std::string& text) {
    for (const auto& r : node.closed()) {
        if (r.text == text) return true;
    }
    return false;
}

TEST(SwarmScenario, LeecherCompletesFromOneSeed) {
    Harness h(small_torrent());
    auto& seed = h.add_node("seed", seed_options());
    auto& leecher = h.add_node("leecher", {});
    h.connect(seed, leecher, 1024 * kKiB);
    ASSERT_TRUE(h.run_until([&] { return leecher.is_complete(); }, std::chrono::seconds(30)));
    EXPECT_TRUE(leecher.data_matches(h.torrent()));
    EXPECT_EQ(leecher.swarm().stats().hash_failures, 0u);
    EXPECT_EQ(leecher.swarm().stats().wasted, 0u);
    EXPECT_TRUE(leecher.swarm().picker().check_invariants());
}

TEST(SwarmScenario, SameRunTwiceGivesTheSameResult) {
    auto run = [] {
        Harness h(small_torrent());
        auto& a = h.add_node("seed a", seed_options(1));
        auto& b = h.add_node("seed b", seed_options(2));
        auto& leecher = h.add_node("leecher", {});
        h.connect(a, leecher, 300 * kKiB);
        h.connect(b, leecher, 500 * kKiB);
        h.run_until([&] { return leecher.is_complete(); }, std::chrono::seconds(60));
        return std::make_tuple(h.now(), leecher.swarm().stats().protocol_uploaded,
                               h.links()[0]->session_at(leecher).download_rate());
    };
    EXPECT_EQ(run(), run());
}

// A peer that takes requests and never answers them is snubbed after request_timeout: its requests go back
// to the pool and the other peers get them. It keeps at most one request, so a peer that recovers can show
// it, and the rest of its share of the torrent is not handed back to it.
TEST(SwarmScenario, SnubbedPeersBlocksGoToOtherPeers) {
    Harness h(small_torrent(128));  // 8 MiB: more than a minute from the fast seed
    auto& fast = h.add_node("fast seed", seed_options(1));
    NodeOptions stalled_options = seed_options(2);
    stalled_options.serves_uploads = false;
    auto& stalled = h.add_node("stalled seed", stalled_options);
    NodeOptions leecher_options;
    leecher_options.settings.peer.request_timeout = std::chrono::seconds(20);
    auto& leecher = h.add_node("leecher", leecher_options);
    h.connect(fast, leecher, 100 * kKiB);
    auto& stalled_link = h.connect(stalled, leecher, 100 * kKiB);
    auto& at_stalled = stalled_link.session_at(leecher);

    ASSERT_TRUE(h.run_until([&] { return at_stalled.is_snubbed(); }, std::chrono::seconds(30)));
    EXPECT_FALSE(leecher.is_complete());
    // Until the download ends, the snubbed peer never holds more than one request.
    std::uint32_t most_while_snubbed = 0;
    h.run_until([&] { return leecher.is_complete(); }, std::chrono::seconds(200),
                [&] {
                    if (at_stalled.is_snubbed())
                        most_while_snubbed = std::max(most_while_snubbed, at_stalled.requests_in_flight());
                });
    EXPECT_LE(most_while_snubbed, 1u);
    ASSERT_TRUE(leecher.is_complete());
    EXPECT_TRUE(leecher.data_matches(h.torrent()));
}

// End-game: when every missing block is requested, the last ones go to a second peer too, and whichever
// copy arrives second is cancelled at the other peer.
TEST(SwarmScenario, EndGameSendsCancels) {
    Harness h(small_torrent(16));
    auto& a = h.add_node("seed a", seed_options(1));
    auto& b = h.add_node("seed b", seed_options(2));
    auto& leecher = h.add_node("leecher", {});
    auto& link_a = h.connect(a, leecher, 200 * kKiB);
    auto& link_b = h.connect(b, leecher, 50 * kKiB);
    ASSERT_TRUE(h.run_until([&] { return leecher.is_complete(); }, std::chrono::seconds(60)));
    EXPECT_TRUE(leecher.data_matches(h.torrent()));
    const auto cancels = link_a.side_of(a).received["cancel"] + link_b.side_of(b).received["cancel"];
    EXPECT_GT(cancels, 0u);
    // A cancelled block that crossed its CANCEL on the wire is wasted, never more than the end-game blocks.
    EXPECT_LE(leecher.swarm().stats().wasted, cancels * std::uint64_t{kDefaultBlockSize});
}

// The optimistic slot moves every 30 s: over a few minutes, more peers than the regular slots plus one are
// unchoked at some point, and never more than that at once.
TEST(SwarmScenario, OptimisticUnchokeRotates) {
    Harness h(small_torrent(512));
    auto& seed = h.add_node("seed", seed_options());
    std::vector<Node*> leechers;
    std::vector<Link*> links;
    for (int i = 0; i < 8; ++i) {
        NodeOptions o;
        o.seed_value = 100 + static_cast<std::uint64_t>(i);
        leechers.push_back(&h.add_node("leecher " + std::to_string(i), o));
        links.push_back(&h.connect(seed, *leechers.back(), 8 * kKiB));
    }
    std::set<std::size_t> ever_unchoked;
    std::size_t most_at_once = 0;
    h.run_until([] { return false; }, std::chrono::seconds(200),
                [&] {
                    std::size_t now_unchoked = 0;
                    for (std::size_t i = 0; i < links.size(); ++i) {
                        if (!links[i]->session_at(seed).am_choking()) {
                            ever_unchoked.insert(i);
                            ++now_unchoked;
                        }
                    }
                    most_at_once = std::max(most_at_once, now_unchoked);
                });
    const ChokerSettings slots;
    EXPECT_LE(most_at_once, slots.regular_slots + slots.optimistic_slots);
    EXPECT_GT(ever_unchoked.size(), slots.regular_slots + slots.optimistic_slots);
}

// A peer whose data fails the hash check while it is the piece's only source is banned at once; the
// download completes from the honest peer.
TEST(SwarmScenario, HashFailureBansTheSender) {
    Harness h(small_torrent(32));
    auto& honest = h.add_node("honest seed", seed_options(1));
    NodeOptions corrupt_options = seed_options(2);
    corrupt_options.corrupt = true;
    auto& corrupt = h.add_node("corrupt seed", corrupt_options);
    auto& leecher = h.add_node("leecher", {});
    h.connect(honest, leecher, 200 * kKiB);
    auto& bad_link = h.connect(corrupt, leecher, 200 * kKiB);
    ASSERT_TRUE(h.run_until([&] { return leecher.is_complete(); }, std::chrono::seconds(60)));
    EXPECT_TRUE(leecher.data_matches(h.torrent()));
    EXPECT_GE(leecher.swarm().stats().hash_failures, 1u);
    EXPECT_EQ(leecher.swarm().stats().peers_banned, 1u);
    EXPECT_TRUE(leecher.swarm().is_banned(corrupt.peer_id()));
    EXPECT_FALSE(leecher.swarm().is_banned(honest.peer_id()));
    ASSERT_EQ(leecher.banned().size(), 1u);
    EXPECT_EQ(leecher.banned()[0], corrupt.address());
    EXPECT_TRUE(bad_link.session_at(leecher).is_closed());
    EXPECT_TRUE(reason_seen(leecher, "banned: sent corrupt data"));
}

// With the fast extension on both sides a seed says HAVE_ALL and nothing else about its pieces: it counts as
// a seed for availability, and the download completes from it.
TEST(SwarmScenario, PeerThatSendsOnlyHaveAll) {
    Harness h(small_torrent(32));
    NodeOptions seed_o = seed_options();
    seed_o.fast_extension = true;
    auto& seed = h.add_node("seed", seed_o);
    NodeOptions leecher_o;
    leecher_o.fast_extension = true;
    auto& leecher = h.add_node("leecher", leecher_o);
    auto& link = h.connect(seed, leecher, 500 * kKiB);
    h.step();
    auto& received = link.side_of(leecher).received;
    EXPECT_EQ(received["have-all"], 1u);
    EXPECT_EQ(received["bitfield"], 0u);
    EXPECT_TRUE(link.session_at(leecher).is_seed());
    EXPECT_EQ(leecher.swarm().picker().availability(PieceIndex{0}), 1u);
    ASSERT_TRUE(h.run_until([&] { return leecher.is_complete(); }, std::chrono::seconds(30)));
    EXPECT_TRUE(leecher.data_matches(h.torrent()));
    EXPECT_EQ(received["have"], 0u);
    EXPECT_EQ(received["bitfield"], 0u);
}

// BEP 6: a seed that unchokes nobody still lets a starting peer fetch its allowed fast set, and the peer
// asks for exactly those pieces while it is choked; then nothing more moves.
TEST(SwarmScenario, ChokedStartingPeerFetchesItsAllowedFastSet) {
    Harness h(small_torrent(32));
    NodeOptions seed_o = seed_options();
    seed_o.fast_extension = true;
    seed_o.settings.choker = ChokerSettings{.regular_slots = 0, .optimistic_slots = 0};
    seed_o.settings.peer.allowed_fast_set_size = 4;
    auto& seed = h.add_node("seed", seed_o);
    NodeOptions leecher_o;
    leecher_o.fast_extension = true;
    auto& leecher = h.add_node("leecher", leecher_o);
    auto& link = h.connect(seed, leecher, 500 * kKiB);
    const auto granted = allowed_fast_set(leecher.address(), wire::InfoHashBytes{}, 32, 4);
    ASSERT_TRUE(h.run_until([&] { return leecher.swarm().stats().pieces_verified == 4; }, 20s));
    h.run_for(20s);
    for (std::uint32_t i = 0; i < 32; ++i) {
        const bool allowed = std::find(granted.begin(), granted.end(), PieceIndex{i}) != granted.end();
        EXPECT_EQ(leecher.swarm().picker().has_piece(PieceIndex{i}), allowed) << "piece " << i;
    }
    auto& received = link.side_of(leecher).received;
    EXPECT_EQ(received["allowed-fast"], 4u);
    EXPECT_EQ(received["unchoke"], 0u);
    EXPECT_EQ(received["reject-request"], 0u);  // it asked for nothing else
    EXPECT_EQ(received["piece"], 4u * 4);
    EXPECT_TRUE(link.session_at(seed).am_choking());
    EXPECT_EQ(link.session_at(leecher).requests_in_flight(), 0u);
    EXPECT_EQ(leecher.swarm().stats().wasted, 0u);
    EXPECT_TRUE(leecher.swarm().picker().check_invariants());
}

// A seed chokes a leecher in the middle of the download: the requests it drops are rejected (BEP 6), they
// go to the other seed at once, and the download completes with nothing wasted.
TEST(SwarmScenario, ChokeRejectsPendingRequestsAndTheyGoElsewhere) {
    Harness h(small_torrent(64));
    NodeOptions seed_o = seed_options(1);
    seed_o.fast_extension = true;
    auto& a = h.add_node("seed a", seed_o);
    seed_o.seed_value = 2;
    auto& b = h.add_node("seed b", seed_o);
    NodeOptions leecher_o;
    leecher_o.fast_extension = true;
    auto& leecher = h.add_node("leecher", leecher_o);
    auto& link_a = h.connect(a, leecher, 200 * kKiB);
    h.connect(b, leecher, 200 * kKiB);
    ASSERT_TRUE(h.run_until([&] { return leecher.swarm().stats().pieces_verified >= 8; }, 30s));
    ASSERT_FALSE(link_a.session_at(a).am_choking());
    auto settings = a.swarm().settings();
    settings.choker = ChokerSettings{.regular_slots = 0, .optimistic_slots = 0};
    a.swarm().apply_settings(settings, h.now());  // a choke round at once
    ASSERT_TRUE(link_a.session_at(a).am_choking());
    ASSERT_TRUE(h.run_until([&] { return leecher.is_complete(); }, 60s));
    EXPECT_TRUE(leecher.data_matches(h.torrent()));
    EXPECT_GT(link_a.side_of(leecher).received["reject-request"], 0u);
    EXPECT_EQ(leecher.swarm().stats().wasted, 0u);
    for (const auto& r : leecher.closed()) EXPECT_EQ(r.text, "both seeds");  // at the end only
    EXPECT_TRUE(leecher.swarm().picker().check_invariants());
}

// A leecher among 1,000 seeds: however many peers, the requests in flight stay within the swarm's budget
// (its counter always equals the sum over the peers), so the pieces in progress and their buffers stay
// bounded; the download completes and every request is accounted for at the end.
TEST(SwarmScenario, ThousandPeersKeepMemoryBounded) {
    Harness h(small_torrent(64, 64 * 1024));  // 4 blocks a piece
    NodeOptions leecher_o;
    leecher_o.settings.max_requests_in_flight = 64;
    auto& leecher = h.add_node("leecher", leecher_o);
    for (std::uint64_t i = 0; i < 1000; ++i) {
        auto& seed = h.add_node("seed " + std::to_string(i), seed_options(1000 + i));
        h.connect(seed, leecher, 64 * kKiB);
    }
    auto& swarm = leecher.swarm();
    std::size_t most_buffers = 0;
    std::uint32_t most_in_flight = 0;
    bool counter_matches = true;
    ASSERT_TRUE(h.run_until([&] { return leecher.is_complete(); }, std::chrono::seconds(60),
                            [&] {
                                most_buffers = std::max(most_buffers, leecher.partial_pieces());
                                std::uint32_t in_flight = 0;
                                for (const auto* p : swarm.peers()) in_flight += p->requests_in_flight();
                                most_in_flight = std::max(most_in_flight, in_flight);
                                counter_matches = counter_matches &&
                                                  swarm.request_budget() == 64 - std::min(in_flight, 64u);
                            }));
    EXPECT_TRUE(leecher.data_matches(h.torrent()));
    EXPECT_TRUE(counter_matches);
    EXPECT_LE(most_in_flight, 64u);
    EXPECT_LE(most_buffers, 64u);
    EXPECT_EQ(leecher.partial_pieces(), 0u);
    EXPECT_EQ(swarm.request_budget(), 64u);
}

// The daemon lowers max_requests_in_flight in the middle of a download: no requests go out until those in
// flight are under the new bound, they stay under it from then on, and the download completes.
TEST(SwarmScenario, LoweredRequestLimitMidDownloadHoldsAndCompletes) {
    Harness h(small_torrent(128));
    auto& leecher = h.add_node("leecher", {});
    for (std::uint64_t i = 0; i < 3; ++i)
        h.connect(h.add_node("seed " + std::to_string(i), seed_options(i)), leecher, 500 * kKiB);
    auto& swarm = leecher.swarm();
    const auto in_flight = [&] {
        std::uint32_t n = 0;
        for (const auto* p : swarm.peers()) n += p->requests_in_flight();
        return n;
    };
    ASSERT_TRUE(h.run_until([&] { return swarm.stats().pieces_verified >= 32; }, std::chrono::seconds(30)));
    constexpr std::uint32_t kLimit = 8;
    std::uint32_t last = in_flight();
    ASSERT_GT(last, kLimit);
    auto settings = swarm.settings();
    settings.max_requests_in_flight = kLimit;
    swarm.apply_settings(settings, h.now());

    bool under = false;
    bool rose_while_over = false;
    std::uint32_t most_once_under = 0;
    bool counter_matches = true;
    ASSERT_TRUE(h.run_until([&] { return leecher.is_complete(); }, std::chrono::seconds(120),
                            [&] {
                                const auto now = in_flight();
                                rose_while_over = rose_while_over || (!under && now > last);
                                under = under || now <= kLimit;
                                if (under) most_once_under = std::max(most_once_under, now);
                                counter_matches = counter_matches &&
                                                  swarm.request_budget() == kLimit - std::min(now, kLimit);
                                last = now;
                            }));
    EXPECT_TRUE(leecher.data_matches(h.torrent()));
    EXPECT_FALSE(rose_while_over);
    EXPECT_TRUE(under);
    EXPECT_LE(most_once_under, kLimit);
    EXPECT_TRUE(counter_matches);
    EXPECT_EQ(swarm.request_budget(), kLimit);
}

}  // namespace
}  // namespace bt::swarm::test
