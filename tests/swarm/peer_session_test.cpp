// PeerSession alone: messages in, bytes and decisions out, no socket and no clock.
#include "swarm/peer_session.hpp"

#include <gtest/gtest.h>

#include <map>

#include "swarm/allowed_fast.hpp"
#include "swarm/request_queue.hpp"
#include "swarm/session_fakes.hpp"
#include "swarm/swarm.hpp"
#include "wire/message_reader.hpp"

namespace bt::swarm {
namespace {

using namespace std::chrono_literals;
using TimePoint = PeerSession::TimePoint;

constexpr std::uint32_t kPieces = 9;               // a BITFIELD has 7 spare bits
constexpr std::uint32_t kPieceLength = 64 * 1024;  // 4 blocks

using test::FakeHost;
using test::FakeIo;
using test::remote_handshake;

PiecePicker picker() {
    return test::small_picker(kPieces, kPieceLength);
}

const Endpoint kPeerAddress = Endpoint::v4({127, 0, 0, 2}, 6881);

class PeerSessionTest : public ::testing::Test {
  protected:
    void make(bool we_have_all = false, bool fast = false, bool remote_extensions = true) {
        session_.reset();  // a session must not outlive its swarm
        SwarmSettings s;
        wire::set_extension_protocol(s.reserved);
        wire::set_fast_extension(s.reserved, fast);
        wire::set_dht(s.reserved, our_dht_);
        s.client_name = "test";
        s.peer.max_incoming_requests = 10;
        s.peer.allowed_fast_set_size = allowed_fast_k_;
        swarm_ = std::make_unique<Swarm>(host_, picker(), s, 1);
        if (we_have_all) {
            for (std::uint32_t i = 0; i < kPieces; ++i) swarm_->picker().on_piece_verified(PieceIndex{i});
        }
        auto remote = remote_handshake(remote_extensions, fast);
        wire::set_dht(remote.reserved, their_dht_);
        session_ = std::make_unique<PeerSession>(*swarm_, PeerId{1}, io_, kPeerAddress, remote, now_);
        session_->start();
    }
    // Everything the session queued since the last call, decoded, by name; the messages in order.
    std::vector<std::string> sent() {
        std::vector<std::uint8_t> bytes;
        session_->take_output(bytes);
        wire::MessageReader reader(kPieces);
        reader.feed(bytes);
        std::vector<std::string> names;
        for (;;) {
            auto item = reader.next();
            EXPECT_TRUE(item);
            if (!item || std::holds_alternative<wire::NeedMore>(*item)) break;
            const auto& m = std::get<wire::Message>(*item);
            names.emplace_back(wire::name_of(m));
            if (const auto* r = std::get_if<wire::Request>(&m))
                requests_.push_back({r->index, r->begin, r->length});
            if (const auto* r = std::get_if<wire::RejectRequest>(&m))
                rejects_.push_back({r->index, r->begin, r->length});
            if (const auto* a = std::get_if<wire::AllowedFast>(&m)) allowed_fast_sent_.push_back(a->index);
        }
        return names;
    }
    std::size_t count(const std::vector<std::string>& names, const std::string& name) {
        return static_cast<std::size_t>(std::count(names.begin(), names.end(), name));
    }
    void feed(const wire::Message& m) { session_->on_message(m, wire::encoded_size(m), now_); }
    void feed_bitfield_all() {
        Bitfield all(kPieces, true);
        feed(wire::Bitfield{all.bytes()});
    }
    // Unchoked by a seed: the session sends its requests.
    void download_from_seed() {
        feed_bitfield_all();
        feed(wire::Unchoke{});
    }
    void feed_piece(const Block& b) {
        std::vector<std::uint8_t> data(b.length, 0xab);
        feed(wire::Piece{b.piece, b.begin, data});
    }

    FakeHost host_;
    FakeIo io_;
    TimePoint now_{std::chrono::hours(1)};
    std::unique_ptr<Swarm> swarm_;
    std::unique_ptr<PeerSession> session_;
    std::vector<Block> requests_;
    std::vector<Block> rejects_;
    std::vector<PieceIndex> allowed_fast_sent_;
    std::uint32_t allowed_fast_k_ = 10;  // for the next make()
    bool our_dht_ = false;               // the DHT bit in our handshake, for the next make()
    bool their_dht_ = false;             // in the peer's
};

TEST_F(PeerSessionTest, OpensWithBitfieldAndExtensionHandshake) {
    make(/*we_have_all=*/true);
    EXPECT_EQ(sent(), (std::vector<std::string>{"bitfield", "extended"}));
}

TEST_F(PeerSessionTest, SendsNoBitfieldWhenWeHaveNothingAndNoHandshakeWithoutTheBit) {
    make(false, false, /*remote_extensions=*/false);
    EXPECT_TRUE(sent().empty());
}

TEST_F(PeerSessionTest, FastExtensionOpensWithHaveAllOrHaveNone) {
    make(/*we_have_all=*/true, /*fast=*/true);
    EXPECT_EQ(sent(), (std::vector<std::string>{"have-all", "extended"}));
    make(/*we_have_all=*/false, /*fast=*/true);
    EXPECT_EQ(sent(), (std::vector<std::string>{"have-none", "extended"}));
}

TEST_F(PeerSessionTest, PortGoesBothWaysWhenBothHandshakesSetTheDhtBit) {
    our_dht_ = their_dht_ = true;
    make();
    sent();
    session_->send_dht_port(6881);
    EXPECT_EQ(sent(), (std::vector<std::string>{"port"}));
    feed(wire::Port{0});  // nobody listens on port 0
    feed(wire::Port{7000});
    for (std::uint16_t port = 7001; port < 7100; ++port) feed(wire::Port{port});  // only the first is heeded
    EXPECT_EQ(io_.dht_ports, (std::vector<std::uint16_t>{7000}));
    EXPECT_FALSE(io_.closed);
}

TEST_F(PeerSessionTest, NoPortWhenEitherHandshakeLacksTheDhtBit) {
    // Ours without it: a private torrent (BEP 27), or no DHT running.
    for (const auto& [ours, theirs] : {std::pair{true, false}, std::pair{false, true}}) {
        our_dht_ = ours;
        their_dht_ = theirs;
        io_.dht_ports.clear();
        make();
        sent();
        session_->send_dht_port(6881);
        EXPECT_TRUE(sent().empty());
        feed(wire::Port{7000});
        EXPECT_TRUE(io_.dht_ports.empty());
        EXPECT_FALSE(io_.closed);
    }
}

TEST_F(PeerSessionTest, InterestedInASeedThenRequestsWhenUnchoked) {
    make();
    (void)sent();
    feed_bitfield_all();
    EXPECT_EQ(sent(), (std::vector<std::string>{"interested"}));
    EXPECT_TRUE(session_->is_interesting());
    feed(wire::Unchoke{});
    const auto names = sent();
    EXPECT_EQ(count(names, "request"), kMinRequestQueue);
    EXPECT_EQ(session_->requests_in_flight(), kMinRequestQueue);
    EXPECT_EQ(swarm_->request_budget(), swarm_->settings().max_requests_in_flight - kMinRequestQueue);
}

TEST_F(PeerSessionTest, ReceivedBlockIsStoredAndCompletesItsPiece) {
    make();
    download_from_seed();
    (void)sent();
    const PieceIndex first = requests_.front().piece;
    for (const auto& b : std::vector(requests_)) {
        if (b.piece == first) feed_piece(b);
    }
    EXPECT_EQ(host_.stored.size(), 4u);
    ASSERT_EQ(host_.completed.size(), 1u);
    EXPECT_EQ(host_.completed[0], first);
    EXPECT_FALSE(io_.closed);
}

TEST_F(PeerSessionTest, UnrequestedBlockIsABan) {
    make();
    download_from_seed();
    feed_piece(Block{PieceIndex{7}, 16 * 1024, 16 * 1024});
    ASSERT_TRUE(io_.closed);
    EXPECT_TRUE(io_.closed->ban);
    EXPECT_EQ(io_.closed->text, "banned: sent a block we did not request");
    EXPECT_EQ(io_.closed->offence(), "sent a block we did not request");
    ASSERT_EQ(host_.closed.size(), 1u);
    EXPECT_TRUE(swarm_->peers().empty());
    EXPECT_EQ(swarm_->request_budget(), swarm_->settings().max_requests_in_flight);
}

TEST_F(PeerSessionTest, LateBlockOfACancelledRequestIsNoOffence) {
    make();
    download_from_seed();
    (void)sent();
    const auto block = requests_.front();
    session_->send_cancel(block);
    EXPECT_EQ(sent(), (std::vector<std::string>{"cancel"}));
    feed_piece(block);
    EXPECT_FALSE(io_.closed);
}

TEST_F(PeerSessionTest, ChokeWithoutFastExtensionReleasesOurRequests) {
    make();
    download_from_seed();
    feed(wire::Choke{});
    EXPECT_EQ(session_->requests_in_flight(), 0u);
    EXPECT_TRUE(session_->is_choking_us());
    EXPECT_EQ(swarm_->request_budget(), swarm_->settings().max_requests_in_flight);
}

TEST_F(PeerSessionTest, RejectReleasesTheBlock) {
    make(false, /*fast=*/true);
    download_from_seed();
    (void)sent();
    const auto block = requests_.front();
    feed(wire::Choke{});  // fast: the requests stand until rejected
    EXPECT_EQ(session_->requests_in_flight(), kMinRequestQueue);
    feed(wire::RejectRequest{block.piece, block.begin, block.length});
    EXPECT_EQ(session_->requests_in_flight(), kMinRequestQueue - 1);
    feed_piece(block);  // crossed the reject: not an offence
    EXPECT_FALSE(io_.closed);
}

TEST_F(PeerSessionTest, SnubbedAfterRequestTimeoutKeepsOneRequest) {
    make();
    download_from_seed();
    now_ += swarm_->settings().peer.request_timeout + 1s;
    session_->tick(now_);
    EXPECT_TRUE(session_->is_snubbed());
    EXPECT_EQ(session_->requests_in_flight(), 1u);
    (void)sent();
    feed_piece(requests_.back());
    EXPECT_FALSE(session_->is_snubbed());
    EXPECT_GT(session_->requests_in_flight(), 1u);
}

TEST_F(PeerSessionTest, ServesRequestsWhileUnchoked) {
    make(/*we_have_all=*/true);
    feed(wire::Interested{});
    session_->set_choking(false);  // the choke round its interest started may have unchoked it already
    (void)sent();
    const auto wakes = io_.upload_wakes;
    feed(wire::KeepAlive{});
    session_->send_have(PieceIndex{3});
    EXPECT_EQ(io_.upload_wakes, wakes);  // messages queued wake the writer only
    feed(wire::Request{PieceIndex{2}, 0, 16 * 1024});
    EXPECT_EQ(io_.upload_wakes, wakes + 1);
    (void)sent();
    const auto block = session_->next_upload();
    ASSERT_TRUE(block);
    EXPECT_EQ(block->piece, PieceIndex{2});
    std::vector<std::uint8_t> data(16 * 1024, 7);
    session_->on_block_read(*block, data);
    EXPECT_EQ(sent(), (std::vector<std::string>{"piece"}));
    EXPECT_EQ(swarm_->stats().payload_uploaded, 16u * 1024);
}

TEST_F(PeerSessionTest, RequestedRunCoversTheBlocksQueuedBackToBackInThePiece) {
    make(true);
    session_->set_choking(false);
    constexpr std::uint32_t kBlock = 16 * 1024;
    // Piece 2: blocks 0, 1 and 3 (2 is missing); piece 3: block 0; then piece 2's block 2 late.
    for (const auto& [piece, begin] : {std::pair{2u, 0u}, {2u, kBlock}, {2u, 3 * kBlock}, {3u, 0u}})
        feed(wire::Request{PieceIndex{piece}, begin, kBlock});
    feed(wire::Request{PieceIndex{2}, 2 * kBlock, kBlock});
    const auto first = session_->next_upload();
    ASSERT_TRUE(first);
    // 0, 1, then 2 (queued last, found by a second pass), then 3: the whole piece.
    EXPECT_EQ(session_->requested_run_end(*first, kPieceLength), kPieceLength);
    // A bound: whole blocks only, never past it.
    EXPECT_EQ(session_->requested_run_end(*first, 2 * kBlock + 100), 2 * kBlock);
    EXPECT_EQ(session_->requested_run_end(*first, 1), kBlock);  // at least the block itself
    // Piece 3 has only its first block queued.
    EXPECT_EQ(session_->requested_run_end(Block{PieceIndex{3}, 0, kBlock}, kPieceLength), kBlock);
}

TEST_F(PeerSessionTest, CancelWhileTheBlockIsReadIsHonoured) {
    make(true);
    session_->set_choking(false);
    (void)sent();
    feed(wire::Request{PieceIndex{2}, 0, 16 * 1024});
    const auto block = session_->next_upload();
    ASSERT_TRUE(block);
    feed(wire::Cancel{PieceIndex{2}, 0, 16 * 1024});
    std::vector<std::uint8_t> data(16 * 1024, 7);
    session_->on_block_read(*block, data);
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(swarm_->stats().payload_uploaded, 0u);
}

TEST_F(PeerSessionTest, ChokeWhileTheBlockIsReadDropsIt) {
    make(true);
    session_->set_choking(false);
    feed(wire::Request{PieceIndex{2}, 0, 16 * 1024});
    const auto block = session_->next_upload();
    ASSERT_TRUE(block);
    session_->set_choking(true);
    (void)sent();
    std::vector<std::uint8_t> data(16 * 1024, 7);
    session_->on_block_read(*block, data);
    EXPECT_TRUE(sent().empty());
}

TEST_F(PeerSessionTest, RequestFloodWhileChokedCloses) {
    make(true);
    // The bucket holds kRequestFloodBurst * max_incoming_requests tokens.
    for (std::uint32_t i = 0; i < kRequestFloodBurst * 10; ++i)
        feed(wire::Request{PieceIndex{1}, 0, 16 * 1024});
    EXPECT_FALSE(io_.closed);
    feed(wire::Request{PieceIndex{1}, 0, 16 * 1024});
    ASSERT_TRUE(io_.closed);
    EXPECT_EQ(io_.closed->text, "request flood");
    EXPECT_FALSE(io_.closed->ban);
}

TEST_F(PeerSessionTest, QueuedRequestsAreBounded) {
    make(true);
    session_->set_choking(false);
    for (int i = 0; i < 30; ++i) feed(wire::Request{PieceIndex{1}, 0, 16 * 1024});
    EXPECT_EQ(session_->queued_uploads(), 10u);
    EXPECT_FALSE(io_.closed);
}

TEST_F(PeerSessionTest, RequestsBeingReadCountTowardsTheBound) {
    // The uploader takes requests out of the queue before their data is read: they still count, or a
    // peer could keep the queue full while ever more wait for the disk.
    make(true);
    session_->set_choking(false);
    for (std::uint32_t i = 0; i < 4; ++i) feed(wire::Request{PieceIndex{i}, 0, 16 * 1024});
    std::vector<Block> reading;
    for (int i = 0; i < 4; ++i) reading.push_back(*session_->next_upload());
    for (std::uint32_t i = 0; i < 20; ++i) feed(wire::Request{PieceIndex{i % kPieces}, 16 * 1024, 16 * 1024});
    EXPECT_EQ(session_->queued_uploads(), 6u);  // 4 being read + 6 queued = the bound of 10
    std::vector<std::uint8_t> data(16 * 1024, 7);
    session_->on_block_read(reading[0], data);  // one is sent: room for one more
    feed(wire::Request{PieceIndex{5}, 0, 16 * 1024});
    EXPECT_EQ(session_->queued_uploads(), 7u);
    EXPECT_FALSE(io_.closed);
}

TEST_F(PeerSessionTest, RequestPastThePieceEndIsABan) {
    make(true);
    feed(wire::Request{PieceIndex{1}, kPieceLength - 100, 16 * 1024});
    ASSERT_TRUE(io_.closed);
    EXPECT_TRUE(io_.closed->ban);
}

TEST_F(PeerSessionTest, RequestForAPieceWeLackClosesWithoutBan) {
    make(false);
    feed(wire::Request{PieceIndex{1}, 0, 16 * 1024});
    ASSERT_TRUE(io_.closed);
    EXPECT_FALSE(io_.closed->ban);
    EXPECT_EQ(io_.closed->text, "request for a piece we do not have");
}

TEST_F(PeerSessionTest, BitfieldWithSpareBitsIsABan) {
    make();
    const std::uint8_t valid[] = {0xff, 0x80};
    feed(wire::Bitfield{valid});
    EXPECT_FALSE(io_.closed);
    EXPECT_TRUE(session_->is_seed());
    const std::uint8_t spare[] = {0xff, 0x81};
    feed(wire::Bitfield{spare});
    ASSERT_TRUE(io_.closed);
    EXPECT_TRUE(io_.closed->ban);
}

TEST_F(PeerSessionTest, HaveAllAfterTheExtendedHandshakeIsTheFirstMessage) {
    // libtorrent sends its extended handshake before HAVE_ALL / HAVE_NONE.
    for (const wire::Message first : {wire::Message{wire::HaveAll{}}, wire::Message{wire::HaveNone{}}}) {
        make(false, /*fast=*/true);
        wire::ExtensionHandshake theirs;
        theirs.client = "libtorrent/2.0.8.0";
        const auto payload = wire::encode_extension_handshake(theirs);
        feed(wire::Extended{0, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
        feed(wire::KeepAlive{});
        feed(wire::Port{6881});
        feed(first);
        EXPECT_FALSE(io_.closed) << wire::name_of(first);
        EXPECT_EQ(session_->is_seed(), std::holds_alternative<wire::HaveAll>(first));
    }
}

TEST_F(PeerSessionTest, HaveAllAfterTheFirstMessageCloses) {
    make(false, /*fast=*/true);
    feed(wire::Have{PieceIndex{1}});
    feed(wire::HaveAll{});
    ASSERT_TRUE(io_.closed);
    EXPECT_EQ(io_.closed->text, "have-all after the first message");
}

TEST_F(PeerSessionTest, IdlePeerIsClosedAndQuietLinkGetsKeepAlives) {
    make();
    (void)sent();
    now_ += swarm_->settings().peer.keep_alive_interval + 1s;
    session_->tick(now_);
    EXPECT_EQ(sent(), (std::vector<std::string>{"keep-alive"}));
    now_ += swarm_->settings().peer.peer_idle_timeout;
    session_->tick(now_);
    ASSERT_TRUE(io_.closed);
    EXPECT_EQ(io_.closed->text, "idle timeout");
}

TEST_F(PeerSessionTest, ExtensionMessagesGoToTheirHandler) {
    make();
    std::vector<std::uint8_t> got;
    const auto id =
        swarm_->extensions().add("ut_test", [&](PeerSession&, std::span<const std::uint8_t> payload) {
            got.assign(payload.begin(), payload.end());
        });
    EXPECT_EQ(id, 1u);
    const std::uint8_t payload[] = {1, 2, 3};
    feed(wire::Extended{id, payload});
    EXPECT_EQ(got, (std::vector<std::uint8_t>{1, 2, 3}));
    feed(wire::Extended{9, payload});  // an id we never assigned: skipped
    EXPECT_FALSE(io_.closed);
}

TEST_F(PeerSessionTest, ExtendedHandshakeIsAppliedAndReported) {
    make();
    wire::ExtensionHandshake theirs;
    theirs.client = "other 1.0";
    theirs.request_queue = 3;
    const auto payload = wire::encode_extension_handshake(theirs);
    feed(wire::Extended{0, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
    EXPECT_EQ(io_.extension_handshakes, 1u);
    EXPECT_EQ(session_->client_name(), "other 1.0");
    EXPECT_EQ(session_->extensions().request_queue(), 3u);
    const std::uint8_t junk[] = {'x'};
    feed(wire::Extended{0, junk});
    ASSERT_TRUE(io_.closed);
    EXPECT_EQ(io_.closed->text, "invalid extended handshake");
}

TEST_F(PeerSessionTest, DestroyedWithoutACloseGivesBackWhatItHeld) {
    make();
    download_from_seed();
    ASSERT_GT(session_->requests_in_flight(), 0u);
    EXPECT_EQ(swarm_->picker().availability(PieceIndex{0}), 1u);
    session_.reset();
    EXPECT_TRUE(swarm_->peers().empty());
    EXPECT_EQ(swarm_->request_budget(), swarm_->settings().max_requests_in_flight);
    EXPECT_EQ(swarm_->picker().availability(PieceIndex{0}), 0u);
    EXPECT_TRUE(swarm_->picker().check_invariants());
    EXPECT_TRUE(host_.closed.empty());  // no callbacks from a destructor
}

// ---------------------------------------------------------------------------------------------------
// The fast extension (BEP 6)

TEST_F(PeerSessionTest, FastExtensionMessageWithoutTheFastExtensionCloses) {
    for (const wire::Message m :
         {wire::Message{wire::HaveNone{}}, wire::Message{wire::AllowedFast{PieceIndex{1}}},
          wire::Message{wire::SuggestPiece{PieceIndex{1}}},
          wire::Message{wire::RejectRequest{PieceIndex{1}, 0, 16 * 1024}}}) {
        io_ = FakeIo{};
        make();
        feed(m);
        ASSERT_TRUE(io_.closed) << wire::name_of(m);
        EXPECT_EQ(io_.closed->text, "fast extension message without the fast extension");
        EXPECT_FALSE(io_.closed->ban);
    }
}

TEST_F(PeerSessionTest, HaveNoneOpensTheConversationOnly) {
    make(false, true);
    (void)sent();
    feed(wire::HaveNone{});
    EXPECT_TRUE(session_->pieces().none());
    EXPECT_FALSE(session_->is_interesting());
    EXPECT_TRUE(sent().empty());
    feed(wire::Have{PieceIndex{2}});
    EXPECT_TRUE(session_->is_interesting());
    feed(wire::HaveNone{});
    ASSERT_TRUE(io_.closed);
    EXPECT_EQ(io_.closed->text, "have-none after the first message");
}

TEST_F(PeerSessionTest, StartingPeerGetsTheAllowedFastSetAtItsFirstInterest) {
    allowed_fast_k_ = 3;
    make(/*we_have_all=*/true, /*fast=*/true);
    (void)sent();
    feed(wire::HaveNone{});
    EXPECT_TRUE(sent().empty());
    feed(wire::Interested{});
    (void)sent();
    const auto expected = allowed_fast_set(kPeerAddress, wire::InfoHashBytes{}, kPieces, 3);
    ASSERT_EQ(expected.size(), 3u);
    EXPECT_EQ(allowed_fast_sent_, expected);
    EXPECT_EQ(session_->granted_fast(), expected);
    // Once per connection.
    feed(wire::NotInterested{});
    feed(wire::Interested{});
    (void)sent();
    EXPECT_EQ(allowed_fast_sent_.size(), 3u);
}

TEST_F(PeerSessionTest, AllowedFastSetLeavesOutWhatThePeerHasAndSkipsPeersThatCanTrade) {
    allowed_fast_k_ = 3;
    const auto set = allowed_fast_set(kPeerAddress, wire::InfoHashBytes{}, kPieces, 3);
    make(true, true);
    feed(wire::Have{set[0]});
    feed(wire::Interested{});
    (void)sent();
    EXPECT_EQ(allowed_fast_sent_, (std::vector<PieceIndex>{set[1], set[2]}));

    // As many pieces as the set has: no set.
    allowed_fast_sent_.clear();
    make(true, true);
    for (std::uint32_t i = 0; i < 3; ++i) feed(wire::Have{PieceIndex{i}});
    feed(wire::Interested{});
    (void)sent();
    EXPECT_TRUE(allowed_fast_sent_.empty());
    EXPECT_TRUE(session_->granted_fast().empty());

    // Without the fast extension, or with a set size of 0: none either.
    make(true, false);
    feed(wire::Interested{});
    allowed_fast_k_ = 0;
    make(true, true);
    feed(wire::HaveNone{});
    feed(wire::Interested{});
    (void)sent();
    EXPECT_TRUE(allowed_fast_sent_.empty());
}

class PeerSessionChokedTest : public PeerSessionTest {
  protected:
    // We seed; a starting peer got its allowed fast set of 3 and is choked.
    void SetUp() override {
        allowed_fast_k_ = 3;
        make(true, true);
        feed(wire::HaveNone{});
        feed(wire::Interested{});
        session_->set_choking(true);  // the choke round its interest started may have unchoked it
        (void)sent();
        granted_ = session_->granted_fast();
        ASSERT_EQ(granted_.size(), 3u);
        for (std::uint32_t i = 0; i < kPieces; ++i) {
            if (std::find(granted_.begin(), granted_.end(), PieceIndex{i}) == granted_.end()) {
                other_ = PieceIndex{i};
                break;
            }
        }
    }
    void serve(const Block& b) {
        std::vector<std::uint8_t> data(b.length, 7);
        session_->on_block_read(b, data);
    }
    std::vector<PieceIndex> granted_;
    PieceIndex other_;
};

TEST_F(PeerSessionChokedTest, AllowedFastPiecesAreServedWhileChoked) {
    const auto wakes = io_.upload_wakes;
    feed(wire::Request{granted_[0], 0, 16 * 1024});
    feed(wire::Request{other_, 0, 16 * 1024});
    EXPECT_EQ(sent(), (std::vector<std::string>{"reject-request"}));
    EXPECT_EQ(rejects_, (std::vector<Block>{{other_, 0, 16 * 1024}}));
    EXPECT_EQ(io_.upload_wakes, wakes + 1);
    const auto block = session_->next_upload();
    ASSERT_TRUE(block);
    EXPECT_EQ(*block, (Block{granted_[0], 0, 16 * 1024}));
    serve(*block);
    EXPECT_EQ(sent(), (std::vector<std::string>{"piece"}));
    EXPECT_FALSE(session_->next_upload());
    EXPECT_TRUE(session_->am_choking());
}

TEST_F(PeerSessionChokedTest, ChokeRejectsPendingRequestsButKeepsAllowedFastOnes) {
    session_->set_choking(false);
    (void)sent();
    const Block other0{other_, 0, 16 * 1024};
    const Block other1{other_, 16 * 1024, 16 * 1024};
    const Block fast{granted_[1], 0, 16 * 1024};
    for (const auto& b : {other0, fast, other1}) feed(wire::Request{b.piece, b.begin, b.length});
    const auto reading = session_->next_upload();  // other0, being read when the choke comes
    ASSERT_EQ(reading, other0);
    session_->set_choking(true);
    EXPECT_EQ(sent(), (std::vector<std::string>{"choke", "reject-request", "reject-request"}));
    // Those queued, then the one being read.
    EXPECT_EQ(rejects_, (std::vector<Block>{other1, other0}));
    EXPECT_EQ(session_->queued_uploads(), 1u);
    serve(other0);  // read after the choke: dropped
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(session_->next_upload(), fast);
}

TEST_F(PeerSessionChokedTest, AllowedFastServesWhileChokedAreBounded) {
    // 4 blocks a piece, each served at most kAllowedFastServesPerBlock times while choked.
    const std::uint32_t bound = kAllowedFastServesPerBlock * 4;
    for (std::uint32_t i = 0; i < bound; ++i) {
        feed(wire::Request{granted_[2], (i % 4) * 16 * 1024, 16 * 1024});
        const auto b = session_->next_upload();
        ASSERT_TRUE(b);
        serve(*b);
    }
    (void)sent();
    EXPECT_TRUE(rejects_.empty());
    feed(wire::Request{granted_[2], 0, 16 * 1024});
    (void)sent();
    EXPECT_EQ(rejects_.size(), 1u);
    EXPECT_FALSE(session_->next_upload());
    EXPECT_FALSE(io_.closed);
}

TEST_F(PeerSessionTest, RequestsThePeersAllowedFastPiecesWhileChoked) {
    make(false, true);
    (void)sent();
    feed_bitfield_all();  // a seed that chokes us
    EXPECT_EQ(sent(), (std::vector<std::string>{"interested"}));
    feed(wire::AllowedFast{PieceIndex{5}});
    const auto names = sent();
    EXPECT_EQ(count(names, "request"), 4u);
    for (const auto& b : requests_) EXPECT_EQ(b.piece, PieceIndex{5});
    EXPECT_EQ(session_->requests_in_flight(), 4u);
    // Rejected while it chokes us: the piece is struck off and not asked for again.
    feed(wire::RejectRequest{PieceIndex{5}, 0, 16 * 1024});
    EXPECT_TRUE(session_->allowed_fast().empty());
    EXPECT_EQ(session_->requests_in_flight(), 3u);
    EXPECT_EQ(count(sent(), "request"), 0u);
    // Unchoked: everything else.
    feed(wire::Unchoke{});
    EXPECT_GT(count(sent(), "request"), 4u);
}

TEST_F(PeerSessionTest, AllowedFastPieceIsRequestedOnceThePeerHasIt) {
    make(false, true);
    feed(wire::HaveNone{});
    feed(wire::AllowedFast{PieceIndex{6}});
    feed(wire::AllowedFast{PieceIndex{6}});  // again: kept once
    (void)sent();
    EXPECT_TRUE(requests_.empty());
    EXPECT_EQ(session_->allowed_fast(), (std::vector<PieceIndex>{PieceIndex{6}}));
    feed(wire::Have{PieceIndex{6}});
    const auto names = sent();
    EXPECT_EQ(count(names, "interested"), 1u);
    EXPECT_EQ(count(names, "request"), 4u);
}

TEST_F(PeerSessionTest, SuggestedPieceIsRequestedFirst) {
    make(false, true);
    feed_bitfield_all();
    feed(wire::SuggestPiece{PieceIndex{7}});
    feed(wire::SuggestPiece{PieceIndex{3}});  // newest first
    feed(wire::Unchoke{});
    (void)sent();
    ASSERT_GE(requests_.size(), 8u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(requests_[i].piece, PieceIndex{3});
    for (std::size_t i = 4; i < 8; ++i) EXPECT_EQ(requests_[i].piece, PieceIndex{7});
}

TEST_F(PeerSessionTest, RejectsForRequestsNeverSentAreIgnored) {
    make(false, true);
    download_from_seed();
    (void)sent();
    const auto in_flight = session_->requests_in_flight();
    std::optional<Block> never;
    for (std::uint32_t p = 0; p < kPieces && !never; ++p) {
        const Block b{PieceIndex{p}, 0, 16 * 1024};
        if (std::find(requests_.begin(), requests_.end(), b) == requests_.end()) never = b;
    }
    ASSERT_TRUE(never);
    for (int i = 0; i < 100'000; ++i) feed(wire::RejectRequest{never->piece, never->begin, never->length});
    EXPECT_FALSE(io_.closed);
    EXPECT_EQ(session_->requests_in_flight(), in_flight);
    EXPECT_TRUE(sent().empty());
    EXPECT_TRUE(swarm_->picker().check_invariants());
}

TEST(PeerSessionFast, AllowedFastAndSuggestionsFromThePeerAreBounded) {
    test::FakeHost host;
    test::FakeIo io;
    SwarmSettings s;
    wire::set_fast_extension(s.reserved);
    Swarm swarm(host, test::small_picker(1000, 16 * 1024), s, 1);
    const TimePoint now{std::chrono::hours(1)};
    PeerSession session(swarm, PeerId{1}, io, kPeerAddress, remote_handshake(false, true), now);
    session.start();
    for (std::uint32_t i = 0; i < 1000; ++i) {
        for (const wire::Message m : {wire::Message{wire::AllowedFast{PieceIndex{i}}},
                                      wire::Message{wire::SuggestPiece{PieceIndex{i}}}}) {
            session.on_message(m, wire::encoded_size(m), now);
        }
    }
    EXPECT_FALSE(io.closed);
    EXPECT_EQ(session.allowed_fast().size(), kMaxAllowedFastSet);
    ASSERT_EQ(session.suggested().size(), kMaxSuggestedPieces);
    EXPECT_EQ(session.suggested().front(), PieceIndex{999});
    EXPECT_EQ(session.suggested().back(), PieceIndex{static_cast<std::uint32_t>(1000 - kMaxSuggestedPieces)});
}

TEST(ExtensionRegistry, AssignsIdsInOrderAndListsThemForTheHandshake) {
    ExtensionRegistry registry;
    EXPECT_EQ(registry.add("ut_metadata", [](PeerSession&, std::span<const std::uint8_t>) {}), 1u);
    EXPECT_EQ(registry.add("ut_pex", [](PeerSession&, std::span<const std::uint8_t>) {}), 2u);
    const auto ids = registry.message_ids();
    EXPECT_EQ(ids.at("ut_metadata"), 1u);
    EXPECT_EQ(ids.at("ut_pex"), 2u);
    EXPECT_NE(registry.find(2), nullptr);
    EXPECT_EQ(registry.find(0), nullptr);
    EXPECT_EQ(registry.find(3), nullptr);
}

}  // namespace
}  // namespace bt::swarm
