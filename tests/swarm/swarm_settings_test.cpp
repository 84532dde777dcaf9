// Swarm::apply_settings while peers are connected: what each setting does to the swarm and its sessions.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "swarm/request_queue.hpp"
#include "swarm/session_fakes.hpp"
#include "swarm/swarm.hpp"
#include "wire/message_reader.hpp"

namespace bt::swarm::test {
namespace {

using namespace std::chrono_literals;
using TimePoint = PeerSession::TimePoint;

constexpr std::uint32_t kPieces = 16;
constexpr std::uint32_t kPieceLength = 64 * 1024;  // 4 blocks
constexpr std::uint32_t kBlock = 16 * 1024;

// What a session queued, decoded.
struct Sent {
    std::vector<std::string> names;
    std::vector<Block> requests;
    std::vector<Block> rejects;
    std::vector<wire::ExtensionHandshake> handshakes;
};

class SwarmSettingsTest : public ::testing::Test {
  protected:
    struct Peer {
        FakeIo io;
        std::unique_ptr<PeerSession> session;
    };

    static SwarmSettings defaults() {
        SwarmSettings s;
        wire::set_extension_protocol(s.reserved);
        wire::set_fast_extension(s.reserved);
        s.client_name = "test";
        s.peer.max_incoming_requests = 10;
        return s;
    }
    void make(const SwarmSettings& s = defaults(), bool we_have_all = false) {
        swarm_ = std::make_unique<Swarm>(host_, small_picker(kPieces, kPieceLength), s, 1);
        if (we_have_all) {
            for (std::uint32_t i = 0; i < kPieces; ++i) swarm_->picker().on_piece_verified(PieceIndex{i});
        }
    }
    // A connected peer whose peer id is `id` repeated; its opening messages are taken.
    Peer& connect(char id, bool fast = false, bool extensions = true) {
        peers_.push_back(std::make_unique<Peer>());
        auto& p = *peers_.back();
        const auto address = Endpoint::v4({127, 0, 0, static_cast<std::uint8_t>(id)}, 6881);
        p.session =
            std::make_unique<PeerSession>(*swarm_, PeerId{static_cast<std::uint32_t>(peers_.size())}, p.io,
                                          address, remote_handshake(extensions, fast, id), now_);
        p.session->start();
        (void)sent(p);
        return p;
    }
    Sent sent(Peer& p) {
        std::vector<std::uint8_t> bytes;
        p.session->take_output(bytes);
        wire::MessageReader reader(kPieces);
        reader.feed(bytes);
        Sent out;
        for (;;) {
            auto item = reader.next();
            EXPECT_TRUE(item);
            if (!item || std::holds_alternative<wire::NeedMore>(*item)) break;
            const auto& m = std::get<wire::Message>(*item);
            out.names.emplace_back(wire::name_of(m));
            if (const auto* r = std::get_if<wire::Request>(&m))
                out.requests.push_back({r->index, r->begin, r->length});
            if (const auto* r = std::get_if<wire::RejectRequest>(&m))
                out.rejects.push_back({r->index, r->begin, r->length});
            if (const auto* e = std::get_if<wire::Extended>(&m); e != nullptr && e->id == 0)
                out.handshakes.push_back(*wire::decode_extension_handshake(e->payload));
        }
        return out;
    }
    void feed(Peer& p, const wire::Message& m) { p.session->on_message(m, wire::encoded_size(m), now_); }
    void feed_bitfield(Peer& p, const Bitfield& has) { feed(p, wire::Bitfield{has.bytes()}); }
    void feed_piece(Peer& p, const Block& b) {
        std::vector<std::uint8_t> data(b.length, 0xab);
        feed(p, wire::Piece{b.piece, b.begin, data});
    }
    // A seed that unchoked us: returns the requests we sent it.
    std::vector<Block> download_from_seed(Peer& p) {
        feed_bitfield(p, Bitfield(kPieces, true));
        feed(p, wire::Unchoke{});
        return sent(p).requests;
    }
    void apply(const SwarmSettings& s) { swarm_->apply_settings(s, now_); }

    FakeHost host_;
    TimePoint now_{std::chrono::hours(1)};
    std::unique_ptr<Swarm> swarm_;
    std::vector<std::unique_ptr<Peer>> peers_;  // after swarm_: destroyed first
};

TEST_F(SwarmSettingsTest, LowerRequestLimitHoldsRequestsUntilUnderIt) {
    make();
    auto& seed = connect('a');
    const auto first = download_from_seed(seed);
    ASSERT_EQ(first.size(), kMinRequestQueue);
    std::deque<Block> pending(first.begin(), first.end());
    auto s = swarm_->settings();
    s.max_requests_in_flight = 4;
    apply(s);
    EXPECT_EQ(swarm_->request_budget(), 0u);
    EXPECT_TRUE(sent(seed).requests.empty());

    std::uint32_t sent_while_over = 0;
    std::uint32_t sent_after = 0;
    for (int i = 0; i < 40 && !pending.empty(); ++i) {
        const bool over = seed.session->requests_in_flight() > 4;
        feed_piece(seed, pending.front());
        pending.pop_front();
        const auto more = sent(seed).requests;
        (over ? sent_while_over : sent_after) += static_cast<std::uint32_t>(more.size());
        pending.insert(pending.end(), more.begin(), more.end());
        if (!over) {
            EXPECT_LE(seed.session->requests_in_flight(), 4u) << i;
        }
        EXPECT_EQ(swarm_->request_budget(), 4 - std::min(seed.session->requests_in_flight(), 4u));
    }
    EXPECT_EQ(sent_while_over, 0u);
    EXPECT_GT(sent_after, 0u);
    EXPECT_FALSE(seed.io.closed);
}

TEST_F(SwarmSettingsTest, RaisedRequestLimitRequestsAtOnce) {
    auto s = defaults();
    s.max_requests_in_flight = 4;
    make(s);
    auto& seed = connect('a');
    EXPECT_EQ(download_from_seed(seed).size(), 4u);
    s.max_requests_in_flight = 256;
    apply(s);
    EXPECT_EQ(sent(seed).requests.size(), kMinRequestQueue - 4);
    EXPECT_EQ(seed.session->requests_in_flight(), kMinRequestQueue);
}

TEST_F(SwarmSettingsTest, LowerIncomingLimitRejectsTheNewestQueuedRequests) {
    make(defaults(), /*we_have_all=*/true);
    auto& leecher = connect('a', /*fast=*/true);
    feed(leecher, wire::Interested{});  // the choke round this starts unchokes it
    ASSERT_FALSE(leecher.session->am_choking());
    std::vector<Block> asked;
    for (std::uint32_t i = 0; i < 10; ++i) {
        asked.push_back({PieceIndex{i / 4}, (i % 4) * kBlock, kBlock});
        feed(leecher, wire::Request{asked.back().piece, asked.back().begin, kBlock});
    }
    (void)sent(leecher);
    auto s = swarm_->settings();
    s.peer.max_incoming_requests = 4;
    apply(s);
    const auto out = sent(leecher);
    ASSERT_FALSE(out.names.empty());
    EXPECT_EQ(out.names.front(), "extended") << "the new 'reqq' first";
    ASSERT_EQ(out.handshakes.size(), 1u);
    EXPECT_EQ(out.handshakes[0].request_queue, 4u);
    EXPECT_EQ(out.rejects, (std::vector<Block>{asked.rbegin(), asked.rend() - 4}));
    EXPECT_EQ(leecher.session->queued_uploads(), 4u);
    EXPECT_FALSE(leecher.session->am_choking());
    EXPECT_EQ(leecher.session->next_upload(), asked[0]);
    EXPECT_FALSE(leecher.io.closed);
}

TEST_F(SwarmSettingsTest, LowerIncomingLimitWithoutFastChokesAndUnchokes) {
    make(defaults(), /*we_have_all=*/true);
    auto& leecher = connect('a');
    feed(leecher, wire::Interested{});
    ASSERT_FALSE(leecher.session->am_choking());
    for (std::uint32_t i = 0; i < 10; ++i)
        feed(leecher, wire::Request{PieceIndex{i / 4}, (i % 4) * kBlock, kBlock});
    (void)sent(leecher);
    auto s = swarm_->settings();
    s.peer.max_incoming_requests = 4;
    apply(s);
    EXPECT_EQ(sent(leecher).names, (std::vector<std::string>{"extended", "choke", "unchoke"}));
    EXPECT_EQ(leecher.session->queued_uploads(), 0u);
    // It asks again, within the new limit; more are dropped.
    for (std::uint32_t i = 0; i < 5; ++i) feed(leecher, wire::Request{PieceIndex{1}, i % 4 * kBlock, kBlock});
    EXPECT_EQ(leecher.session->queued_uploads(), 4u);
    EXPECT_FALSE(leecher.io.closed);
}

TEST_F(SwarmSettingsTest, LowerIncomingLimitShrinksTheFloodBucket) {
    make(defaults(), /*we_have_all=*/true);
    auto& peer = connect('a');
    auto s = swarm_->settings();
    s.peer.max_incoming_requests = 2;
    apply(s);
    // Choked: every request is dropped and costs a token, of kRequestFloodBurst * 2.
    for (std::uint32_t i = 0; i < kRequestFloodBurst * 2; ++i)
        feed(peer, wire::Request{PieceIndex{1}, 0, kBlock});
    EXPECT_FALSE(peer.io.closed);
    feed(peer, wire::Request{PieceIndex{1}, 0, kBlock});
    ASSERT_TRUE(peer.io.closed);
    EXPECT_EQ(peer.io.closed->text, "request flood");
}

TEST_F(SwarmSettingsTest, NewNameAndPortGoOutInAFreshExtendedHandshake) {
    make();
    auto& peer = connect('a');
    auto& old_client = connect('b', false, /*extensions=*/false);
    auto s = swarm_->settings();
    s.listen_port = 51413;
    s.client_name = "test 2";
    apply(s);
    const auto out = sent(peer);
    EXPECT_EQ(out.names, std::vector<std::string>{"extended"});
    ASSERT_EQ(out.handshakes.size(), 1u);
    EXPECT_EQ(out.handshakes[0].listen_port, 51413);
    EXPECT_EQ(out.handshakes[0].client, "test 2");
    EXPECT_EQ(out.handshakes[0].request_queue, 10u);
    EXPECT_TRUE(sent(old_client).names.empty()) << "no BEP 10 on that connection";
}

TEST_F(SwarmSettingsTest, UnchangedHandshakeIsNotSentAgain) {
    make();
    auto& peer = connect('a');
    auto s = swarm_->settings();
    s.peer.request_timeout = 5s;
    s.hash_failures_before_ban = 7;
    apply(s);
    EXPECT_TRUE(sent(peer).names.empty());
}

TEST_F(SwarmSettingsTest, ReservedBitsApplyToNewConnectionsOnly) {
    make();
    auto& before = connect('a', /*fast=*/true);
    EXPECT_TRUE(before.session->supports_fast());
    auto s = swarm_->settings();
    s.reserved = {};
    apply(s);
    auto& after = connect('b', /*fast=*/true);
    EXPECT_TRUE(before.session->supports_fast());
    EXPECT_FALSE(after.session->supports_fast());
    // The extension protocol too: a new port goes to the connection that agreed on it.
    s.listen_port = 7000;
    apply(s);
    EXPECT_EQ(sent(before).handshakes.size(), 1u);
    EXPECT_TRUE(sent(after).handshakes.empty());
}

TEST_F(SwarmSettingsTest, ShorterTimeoutsApplyAtTheNextTick) {
    make();
    auto& seed = connect('a');
    (void)download_from_seed(seed);
    auto& quiet = connect('b');
    auto s = swarm_->settings();
    s.peer.request_timeout = 5s;
    s.peer.keep_alive_interval = 5s;
    s.peer.peer_idle_timeout = 8s;
    apply(s);
    EXPECT_FALSE(seed.session->is_snubbed()) << "not before the tick";
    now_ += 6s;
    swarm_->tick(now_);
    EXPECT_TRUE(seed.session->is_snubbed());
    const auto names = sent(quiet).names;
    EXPECT_EQ(std::count(names.begin(), names.end(), "keep-alive"), 1);
    now_ += 3s;
    swarm_->tick(now_);
    ASSERT_TRUE(quiet.io.closed);
    EXPECT_EQ(quiet.io.closed->text, "idle timeout");
}

TEST_F(SwarmSettingsTest, ChokerChangeRunsAChokeRoundAtOnce) {
    make(defaults(), /*we_have_all=*/true);
    for (char id = 'a'; id < 'a' + 6; ++id) feed(connect(id), wire::Interested{});
    const auto unchoked = [&] {
        return std::count_if(peers_.begin(), peers_.end(),
                             [](const auto& p) { return !p->session->am_choking(); });
    };
    EXPECT_EQ(unchoked(), 5);  // 4 regular slots and 1 optimistic
    auto s = swarm_->settings();
    s.choker.regular_slots = 1;
    s.choker.optimistic_slots = 0;
    apply(s);
    EXPECT_EQ(unchoked(), 1);
}

TEST_F(SwarmSettingsTest, ShorterChokeIntervalAppliesAtTheNextTick) {
    auto s = defaults();
    s.choker = {.regular_slots = 0, .optimistic_slots = 1, .optimistic_interval = 1s};
    make(s, /*we_have_all=*/true);
    auto& a = connect('a');
    auto& b = connect('b');
    feed(a, wire::Interested{});
    feed(b, wire::Interested{});  // a choke round each: the optimistic slot is now a's or b's
    const bool a_first = !a.session->am_choking();
    ASSERT_NE(a_first, !b.session->am_choking());
    now_ += 2s;
    swarm_->tick(now_);
    EXPECT_EQ(!a.session->am_choking(), a_first) << "the next round is 10 s after the last";
    s.choke_interval = 2s;
    apply(s);
    swarm_->tick(now_);
    EXPECT_EQ(!a.session->am_choking(), !a_first) << "the slot, due, moved to the other peer";
}

TEST_F(SwarmSettingsTest, HashFailuresBeforeBanIsReadAtEachStrike) {
    auto s = defaults();
    s.hash_failures_before_ban = 5;
    make(s);
    // A piece both peers sent part of: a seed sends one block and chokes us, a peer that has only that piece
    // sends the rest; its hash check fails.
    const auto round = [&] {
        auto& first = connect('a');
        const auto requests = download_from_seed(first);
        const PieceIndex piece = requests.front().piece;
        feed_piece(first, requests.front());
        feed(first, wire::Choke{});
        auto& second = connect('b');
        Bitfield has(kPieces);
        has.set(piece);
        feed_bitfield(second, has);
        feed(second, wire::Unchoke{});
        const auto rest = sent(second).requests;
        EXPECT_EQ(rest.size(), 3u);
        for (const auto& b : rest) feed_piece(second, b);
        ASSERT_EQ(host_.completed.back(), piece);
        swarm_->on_piece_failed(piece);  // a strike each
        for (auto& p : peers_) p->session->close({"next round", false});
    };
    round();
    EXPECT_EQ(swarm_->stats().peers_banned, 0u);
    s.hash_failures_before_ban = 2;
    apply(s);
    round();
    EXPECT_EQ(swarm_->stats().peers_banned, 2u) << "two strikes each, against the new threshold";
    EXPECT_TRUE(swarm_->is_banned(remote_handshake(true, false, 'a').peer_id));
    EXPECT_TRUE(swarm_->is_banned(remote_handshake(true, false, 'b').peer_id));
}

TEST_F(SwarmSettingsTest, LowerMaxBanRecordsForgetsTheOldestBans) {
    make();
    // Each sends a whole piece that fails: banned at once.
    for (const char id : {'a', 'b', 'c'}) {
        auto& seed = connect(id);
        const auto requests = download_from_seed(seed);
        const PieceIndex piece = requests.front().piece;
        for (const auto& b : requests) {
            if (b.piece == piece) feed_piece(seed, b);
        }
        ASSERT_EQ(host_.completed.back(), piece);
        swarm_->on_piece_failed(piece);
        ASSERT_TRUE(seed.io.closed);
    }
    EXPECT_EQ(host_.banned.size(), 3u);
    auto s = swarm_->settings();
    s.max_ban_records = 1;
    apply(s);
    EXPECT_FALSE(swarm_->is_banned(remote_handshake(true, false, 'a').peer_id));
    EXPECT_FALSE(swarm_->is_banned(remote_handshake(true, false, 'b').peer_id));
    EXPECT_TRUE(swarm_->is_banned(remote_handshake(true, false, 'c').peer_id));
}

}  // namespace
}  // namespace bt::swarm::test
