#include "swarm/metadata_fetch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/sha1.hpp"
#include "wire/ut_metadata.hpp"

namespace bt::swarm {
namespace {

using Kind = MetadataFetch::Outcome::Kind;
using Clock = MetadataFetch::Clock;

// An info dictionary of 2.5 metadata pieces, and its hash.
struct Metadata {
    std::string bytes;
    crypto::Sha1Digest hash{};
    Metadata() {
        bytes = "d4:name";
        const std::string name(40'000, 'n');
        bytes += std::to_string(name.size()) + ":" + name + "e";
        hash = crypto::sha1(std::string_view(bytes));
    }
    std::span<const std::uint8_t> piece(std::uint32_t i) const {
        const auto size = wire::metadata_piece_size(bytes.size(), i);
        return {
            reinterpret_cast<const std::uint8_t*>(bytes.data()) + std::size_t{i} * wire::kMetadataPieceSize,
            size};
    }
};

TEST(MetadataFetch, SeveralPeersShareThePiecesAndTheWholeIsChecked) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    ASSERT_FALSE(fetch.add_peer(1, m.bytes.size()));
    ASSERT_FALSE(fetch.add_peer(2, m.bytes.size()));
    EXPECT_EQ(fetch.usable_peers(), 2u);
    const auto now = Clock::now();
    const auto first = fetch.requests_for(1, now);
    const auto second = fetch.requests_for(2, now);
    EXPECT_EQ(first, (std::vector<std::uint32_t>{0, 1, 2}));
    EXPECT_TRUE(second.empty()) << "every piece is asked already";
    EXPECT_EQ(fetch.piece_count(), 3u);
    EXPECT_EQ(fetch.on_data(1, 0, m.bytes.size(), m.piece(0)).kind, Kind::accepted);
    EXPECT_EQ(fetch.on_data(1, 2, m.bytes.size(), m.piece(2)).kind, Kind::accepted);
    auto done = fetch.on_data(1, 1, m.bytes.size(), m.piece(1));
    ASSERT_EQ(done.kind, Kind::complete) << done.reason;
    EXPECT_EQ(done.metadata, m.bytes);
}

TEST(MetadataFetch, ASizeOfZeroOrAboveTheBoundIsRefused) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    EXPECT_TRUE(fetch.add_peer(1, 0));
    auto huge = fetch.add_peer(2, std::uint64_t{1} << 31);
    ASSERT_TRUE(huge);
    EXPECT_NE(huge->find("2147483648"), std::string::npos) << *huge;
    EXPECT_EQ(fetch.usable_peers(), 0u);
    EXPECT_TRUE(fetch.requests_for(2, Clock::now()).empty());
}

TEST(MetadataFetch, WrongSizesDropThePeerAndItsPiecesGoToAnother) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());
    fetch.add_peer(2, m.bytes.size());
    const auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now).size(), 3u);
    auto short_piece = fetch.on_data(1, 0, m.bytes.size(), m.piece(0).first(100));
    EXPECT_EQ(short_piece.kind, Kind::bad_peer);
    EXPECT_EQ(short_piece.drop, (std::vector<MetadataFetch::PeerKey>{1}));
    EXPECT_EQ(fetch.requests_for(2, now), (std::vector<std::uint32_t>{0, 1, 2}));
    EXPECT_EQ(fetch.on_data(2, 0, m.bytes.size() + 1, m.piece(0)).kind, Kind::bad_peer) << "total_size";
    EXPECT_EQ(fetch.usable_peers(), 0u);
}

TEST(MetadataFetch, ARequestNobodyAnswersGoesToAnotherPeerAndTheLateAnswerIsIgnored) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());
    fetch.add_peer(2, m.bytes.size());
    const auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now).size(), 3u);
    EXPECT_TRUE(fetch.requests_for(2, now + std::chrono::seconds(1)).empty());
    EXPECT_EQ(fetch.requests_for(2, now + MetadataFetch::kRequestTimeout).size(), 3u);
    EXPECT_EQ(fetch.on_data(1, 0, m.bytes.size(), m.piece(0)).kind, Kind::accepted);
    EXPECT_EQ(fetch.pieces_received(), 0u) << "the late answer is not taken";
    EXPECT_EQ(fetch.usable_peers(), 2u) << "nor held against the peer";
}

TEST(MetadataFetch, AHashFailureWithOneContributorDropsItThenAnotherPeerSucceeds) {
    const Metadata m;
    std::string wrong = m.bytes;
    wrong[20] ^= 1;
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());
    const auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now).size(), 3u);
    const auto piece_of = [&](const std::string& s, std::uint32_t i) {
        return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()) + i * 16384,
                                             wire::metadata_piece_size(s.size(), i));
    };
    fetch.on_data(1, 0, wrong.size(), piece_of(wrong, 0));
    fetch.on_data(1, 1, wrong.size(), piece_of(wrong, 1));
    auto failed = fetch.on_data(1, 2, wrong.size(), piece_of(wrong, 2));
    EXPECT_EQ(failed.kind, Kind::hash_failed);
    EXPECT_EQ(failed.drop, (std::vector<MetadataFetch::PeerKey>{1}));
    fetch.add_peer(2, m.bytes.size());
    ASSERT_EQ(fetch.requests_for(2, now).size(), 3u);
    fetch.on_data(2, 0, m.bytes.size(), m.piece(0));
    fetch.on_data(2, 1, m.bytes.size(), m.piece(1));
    EXPECT_EQ(fetch.on_data(2, 2, m.bytes.size(), m.piece(2)).kind, Kind::complete);
}

TEST(MetadataFetch, AfterAMixedFailureOnePeerGivesEveryPieceSoTheCulpritIsFound) {
    const Metadata m;
    std::string wrong = m.bytes;
    wrong[16384 + 5] ^= 1;  // piece 1 is corrupt
    const auto piece_of = [](const std::string& s, std::uint32_t i) {
        return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()) + i * 16384,
                                             wire::metadata_piece_size(s.size(), i));
    };
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());  // honest
    fetch.add_peer(2, m.bytes.size());  // liar
    auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now).size(), 3u);
    // Peer 1 answers piece 0 and 2; piece 1 times out and goes to the liar.
    fetch.on_data(1, 0, m.bytes.size(), m.piece(0));
    fetch.on_data(1, 2, m.bytes.size(), m.piece(2));
    now += MetadataFetch::kRequestTimeout;
    ASSERT_EQ(fetch.requests_for(2, now), (std::vector<std::uint32_t>{1}));
    auto failed = fetch.on_data(2, 1, m.bytes.size(), piece_of(wrong, 1));
    EXPECT_EQ(failed.kind, Kind::hash_failed);
    EXPECT_TRUE(failed.drop.empty()) << "two contributors: nobody is known guilty";
    // Next attempt: one source. The liar asks first and gets every piece, and is found out.
    ASSERT_EQ(fetch.requests_for(2, now).size(), 3u);
    EXPECT_TRUE(fetch.requests_for(1, now).empty());
    for (std::uint32_t i = 0; i < 2; ++i) fetch.on_data(2, i, wrong.size(), piece_of(wrong, i));
    auto caught = fetch.on_data(2, 2, wrong.size(), piece_of(wrong, 2));
    EXPECT_EQ(caught.kind, Kind::hash_failed);
    EXPECT_EQ(caught.drop, (std::vector<MetadataFetch::PeerKey>{2}));
    ASSERT_EQ(fetch.requests_for(1, now).size(), 3u);
    for (std::uint32_t i = 0; i < 2; ++i) fetch.on_data(1, i, m.bytes.size(), m.piece(i));
    EXPECT_EQ(fetch.on_data(1, 2, m.bytes.size(), m.piece(2)).kind, Kind::complete);
}

TEST(MetadataFetch, APeerThatRejectsIsNotAskedAgainAndItsRequestsGoBack) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());
    fetch.add_peer(2, m.bytes.size());
    const auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now).size(), 3u);
    fetch.on_reject(1, 0);
    EXPECT_TRUE(fetch.requests_for(1, now).empty());
    EXPECT_EQ(fetch.requests_for(2, now).size(), 3u);
    EXPECT_EQ(fetch.usable_peers(), 1u);
}

TEST(MetadataFetch, APeerThatLeavesGivesItsRequestsBack) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());
    fetch.add_peer(2, std::nullopt);  // no metadata_size: not asked
    const auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now).size(), 3u);
    EXPECT_TRUE(fetch.requests_for(2, now).empty());
    fetch.remove_peer(1);
    fetch.add_peer(2, m.bytes.size());  // its next extended handshake gives one
    EXPECT_EQ(fetch.requests_for(2, now).size(), 3u);
}

}  // namespace
}  // namespace bt::swarm
