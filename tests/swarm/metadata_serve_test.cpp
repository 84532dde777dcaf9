// Serving the metadata (BEP 9, ut_metadata) from a swarm: our extended handshake offers it, requests are
// answered with the right bytes or rejected, and a flood of requests stays bounded.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "swarm/peer_session.hpp"
#include "swarm/session_fakes.hpp"
#include "swarm/swarm.hpp"
#include "swarm/swarm_harness.hpp"
#include "wire/extension.hpp"
#include "wire/message_reader.hpp"
#include "wire/ut_metadata.hpp"

namespace bt::swarm {
namespace {

using namespace std::chrono_literals;
using TimePoint = PeerSession::TimePoint;

constexpr std::uint32_t kPieces = 9;
constexpr std::uint32_t kPieceLength = 64 * 1024;
// Two full metadata pieces and a short last one.
constexpr std::size_t kMetadataSize = 2 * wire::kMetadataPieceSize + 7'232;
constexpr std::uint8_t kTheirId = 3;  // the id the peer gives ut_metadata in its handshake

std::vector<std::uint8_t> metadata_bytes() {
    std::vector<std::uint8_t> bytes(kMetadataSize);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
    return bytes;
}

std::span<const std::uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// An extended message we sent, its payload copied out of the reader.
struct SentExtended {
    std::uint8_t id = 0;
    std::vector<std::uint8_t> payload;
};

class MetadataServeTest : public ::testing::Test {
  protected:
    // `serve`: the swarm has the metadata to serve. `their_ut_metadata`: the peer's extended handshake
    // enables ut_metadata (with kTheirId).
    void make(bool serve = true, bool their_ut_metadata = true) {
        session_.reset();  // a session must not outlive its swarm
        SwarmSettings s;
        wire::set_extension_protocol(s.reserved);
        s.client_name = "test";
        s.peer.max_incoming_requests = 10;  // a flood bucket of kRequestFloodBurst * 10 tokens
        swarm_ = std::make_unique<Swarm>(host_, test::small_picker(kPieces, kPieceLength), s, 1);
        for (std::uint32_t i = 0; i < kPieces; ++i) swarm_->picker().on_piece_verified(PieceIndex{i});
        if (serve) swarm_->serve_metadata(metadata_);
        session_ = std::make_unique<PeerSession>(*swarm_, PeerId{1}, io_, Endpoint::v4({127, 0, 0, 2}, 6881),
                                                 test::remote_handshake(true, false), now_);
        session_->start();
        wire::ExtensionHandshake theirs;
        if (their_ut_metadata) theirs.messages.emplace(wire::kMetadataExtensionName, kTheirId);
        const auto payload = wire::encode_extension_handshake(theirs);
        feed(wire::Extended{0, as_bytes(payload)});
    }
    void feed(const wire::Message& m) { session_->on_message(m, wire::encoded_size(m), now_); }
    void request(std::uint32_t piece) {
        const auto payload = wire::encode_metadata_request(piece);
        feed(wire::Extended{our_id(), as_bytes(payload)});
    }
    std::uint8_t our_id() const {
        return swarm_->extensions().message_ids().at(wire::kMetadataExtensionName);
    }
    // The extended messages the session queued since the last call, in order (the rest skipped).
    std::vector<SentExtended> sent() {
        std::vector<std::uint8_t> bytes;
        session_->take_output(bytes);
        wire::MessageReader reader(kPieces);
        reader.feed(bytes);
        std::vector<SentExtended> out;
        for (;;) {
            auto item = reader.next();
            EXPECT_TRUE(item);
            if (!item || std::holds_alternative<wire::NeedMore>(*item)) break;
            const auto* m = std::get_if<wire::Message>(&*item);
            const auto* e = m != nullptr ? std::get_if<wire::Extended>(m) : nullptr;
            if (e != nullptr) out.push_back({e->id, {e->payload.begin(), e->payload.end()}});
        }
        return out;
    }
    // The ut_metadata messages among them, decoded (their payloads kept in `kept_`).
    std::vector<wire::MetadataMessage> sent_metadata() {
        std::vector<wire::MetadataMessage> out;
        for (auto& e : sent()) {
            if (e.id == 0) continue;
            EXPECT_EQ(e.id, kTheirId);
            kept_.push_back(std::move(e.payload));
            auto m = wire::decode_metadata_message(kept_.back());
            EXPECT_TRUE(m) << (m ? "" : m.error());
            if (m) out.push_back(*m);
        }
        return out;
    }
    std::span<const std::uint8_t> piece_bytes(std::uint32_t piece) const {
        return std::span<const std::uint8_t>(metadata_).subspan(
            std::size_t{piece} * wire::kMetadataPieceSize, wire::metadata_piece_size(kMetadataSize, piece));
    }

    std::vector<std::uint8_t> metadata_ = metadata_bytes();
    test::FakeHost host_;
    test::FakeIo io_;
    TimePoint now_{std::chrono::hours(1)};
    std::unique_ptr<Swarm> swarm_;
    std::unique_ptr<PeerSession> session_;
    std::deque<std::vector<std::uint8_t>> kept_;
};

TEST_F(MetadataServeTest, OurHandshakeCarriesMetadataSizeAndUtMetadataId) {
    make();
    const auto messages = sent();
    ASSERT_EQ(messages.size(), 1u);
    ASSERT_EQ(messages[0].id, wire::kExtendedHandshakeId);
    auto ours = wire::decode_extension_handshake(messages[0].payload);
    ASSERT_TRUE(ours);
    EXPECT_EQ(ours->metadata_size, kMetadataSize);
    ASSERT_TRUE(ours->messages.contains(wire::kMetadataExtensionName));
    EXPECT_EQ(ours->messages.at(wire::kMetadataExtensionName), our_id());
    EXPECT_NE(our_id(), 0u);
}

TEST_F(MetadataServeTest, WithoutMetadataToServeTheHandshakeOffersNone) {
    make(/*serve=*/false);
    const auto messages = sent();
    ASSERT_EQ(messages.size(), 1u);
    auto ours = wire::decode_extension_handshake(messages[0].payload);
    ASSERT_TRUE(ours);
    EXPECT_FALSE(ours->metadata_size);
    EXPECT_FALSE(ours->messages.contains(wire::kMetadataExtensionName));
}

TEST_F(MetadataServeTest, RequestIsAnsweredWithThePieceAndTotalSize) {
    make();
    (void)sent();
    for (std::uint32_t piece : {1u, 0u}) {
        request(piece);
        const auto answers = sent_metadata();
        ASSERT_EQ(answers.size(), 1u);
        EXPECT_EQ(answers[0].type, wire::MetadataMessageType::data);
        EXPECT_EQ(answers[0].piece, piece);
        EXPECT_EQ(answers[0].total_size, kMetadataSize);
        ASSERT_EQ(answers[0].data.size(), wire::kMetadataPieceSize);
        EXPECT_TRUE(std::ranges::equal(answers[0].data, piece_bytes(piece)));
    }
    EXPECT_FALSE(io_.closed);
}

TEST_F(MetadataServeTest, LastPieceIsShorter) {
    make();
    (void)sent();
    request(2);
    const auto answers = sent_metadata();
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].piece, 2u);
    EXPECT_EQ(answers[0].total_size, kMetadataSize);
    ASSERT_EQ(answers[0].data.size(), 7'232u);
    EXPECT_TRUE(std::ranges::equal(answers[0].data, piece_bytes(2)));
}

TEST_F(MetadataServeTest, PieceOutOfRangeIsRejected) {
    make();
    (void)sent();
    for (std::uint32_t piece : {3u, 1'000'000u}) {
        request(piece);
        const auto answers = sent_metadata();
        ASSERT_EQ(answers.size(), 1u);
        EXPECT_EQ(answers[0].type, wire::MetadataMessageType::reject);
        EXPECT_EQ(answers[0].piece, piece);
    }
    EXPECT_FALSE(io_.closed);
}

// A peer that asks without reading what we send: the answers in the outbox stay under kMetadataSendBuffer
// plus one piece, at most kMaxQueuedMetadataRequests wait, the rest are rejected, and a flood of rejected
// requests closes the peer as a REQUEST flood does (not a ban).
TEST_F(MetadataServeTest, RequestFloodIsBounded) {
    make();
    (void)sent();
    const std::size_t piece_message = wire::kMetadataPieceSize + 100;  // a data message, framed
    std::size_t requests = 0;
    while (!io_.closed && requests < 10'000) {
        request(static_cast<std::uint32_t>(requests % 2));  // full pieces
        ++requests;
        ASSERT_LE(session_->queued_metadata_requests(), kMaxQueuedMetadataRequests);
        // Rejects are ~40 bytes each, and their number is bounded by the flood bucket.
        ASSERT_LE(session_->output_size(),
                  kMetadataSendBuffer + piece_message + kRequestFloodBurst * 10 * 64);
    }
    ASSERT_TRUE(io_.closed);
    EXPECT_FALSE(io_.closed->ban);
    EXPECT_EQ(io_.closed->text, "request flood");
    // Answered at once until the outbox held kMetadataSendBuffer (4 pieces and their headers), then
    // kMaxQueuedMetadataRequests queued, then the flood bucket's tokens spent on rejects, then closed.
    const std::size_t answered = 4;
    EXPECT_EQ(requests, answered + kMaxQueuedMetadataRequests + kRequestFloodBurst * 10 + 1);
}

TEST_F(MetadataServeTest, WaitingRequestsAreAnsweredWhenTheOutboxIsTaken) {
    make();
    (void)sent();
    for (std::uint32_t i = 0; i < 12; ++i) request(i % 3);
    EXPECT_GT(session_->queued_metadata_requests(), 0u);
    std::size_t data = 0;
    std::size_t rejects = 0;
    for (int round = 0; round < 10 && (data + rejects) < 12; ++round) {
        for (const auto& m : sent_metadata()) {
            if (m.type == wire::MetadataMessageType::data) {
                EXPECT_TRUE(std::ranges::equal(m.data, piece_bytes(m.piece)));
                ++data;
            } else {
                ++rejects;
            }
        }
    }
    EXPECT_EQ(data, 12u);  // some answered at once, at most kMaxQueuedMetadataRequests queued: none rejected
    EXPECT_EQ(rejects, 0u);
    EXPECT_EQ(session_->queued_metadata_requests(), 0u);
    EXPECT_FALSE(io_.closed);
}

TEST_F(MetadataServeTest, RequestFromAPeerWithoutUtMetadataGetsNothing) {
    make(/*serve=*/true, /*their_ut_metadata=*/false);
    (void)sent();
    request(0);
    EXPECT_TRUE(sent().empty());
    EXPECT_FALSE(io_.closed);
}

TEST_F(MetadataServeTest, DataRejectAndUnknownTypesAreIgnored) {
    make();
    (void)sent();
    const std::vector<std::uint8_t> piece(100, 1);
    for (const auto& payload : {wire::encode_metadata_data(0, kMetadataSize, piece),
                                wire::encode_metadata_reject(0), std::string("d8:msg_typei7e5:piecei0ee")})
        feed(wire::Extended{our_id(), as_bytes(payload)});
    EXPECT_TRUE(sent().empty());
    EXPECT_FALSE(io_.closed);
}

TEST_F(MetadataServeTest, MalformedMessageClosesWithoutBan) {
    for (const std::string payload : {"", "i3e", "d5:piecei0ee", "d8:msg_typei0e5:piecei-1ee", "d8:msg_"}) {
        make();
        io_.closed.reset();
        feed(wire::Extended{our_id(), as_bytes(payload)});
        ASSERT_TRUE(io_.closed) << payload;
        EXPECT_FALSE(io_.closed->ban);
        EXPECT_TRUE(io_.closed->text.starts_with("invalid ut_metadata message")) << io_.closed->text;
    }
}

// Over the in-memory links of the swarm harness, through real frame readers: the peer learns our
// metadata_size and ut_metadata id from the handshake, and our answer (16 KiB and its dictionary) passes
// the reader's bound on extended messages.
TEST(MetadataServeScenario, PeerLearnsMetadataSizeAndGetsAnAnswer) {
    test::Harness h(test::TorrentData::generate(8, 32 * 1024, 10'000, 5));
    const auto metadata = metadata_bytes();
    // Two peers without pieces: nothing else crosses the link, which stays open.
    auto& a = h.add_node("a", {});
    auto& b = h.add_node("b", {});
    a.swarm().serve_metadata(metadata);
    b.swarm().serve_metadata(metadata);  // so b's handshake gives a an id for its answers
    auto& link = h.connect(a, b, 64 * 1024);
    h.run_for(1s);
    const auto& learned = link.session_at(b).extensions();
    EXPECT_EQ(learned.metadata_size(), kMetadataSize);
    EXPECT_EQ(learned.message_id(wire::kMetadataExtensionName),
              a.swarm().extensions().message_ids().at(wire::kMetadataExtensionName));
    // b has no way to ask (fetching is not the swarm's): its request is handed to a's session directly.
    const auto extended_before = link.side_of(b).received["extended"];
    link.session_at(a).on_metadata_message(as_bytes(wire::encode_metadata_request(2)));
    h.run_for(2s);
    EXPECT_EQ(link.side_of(b).received["extended"], extended_before + 1);
    EXPECT_TRUE(link.is_open());
}

}  // namespace
}  // namespace bt::swarm
