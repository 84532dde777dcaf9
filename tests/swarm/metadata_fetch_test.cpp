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

// An info dictionary of 2.5 metadata pieces (by default), and its hash.
struct Metadata {
    std::string bytes;
    crypto::Sha1Digest hash{};
    explicit Metadata(std::size_t name_size = 40'000) {
        bytes = "d4:name";
        const std::string name(name_size, 'n');
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

TEST(MetadataFetch, ASilentPeerIsNotAskedAgainItsPiecesGoToAnotherAndItsLateAnswerIsIgnored) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());
    fetch.add_peer(2, m.bytes.size());
    const auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now).size(), 3u);
    EXPECT_TRUE(fetch.requests_for(2, now + std::chrono::seconds(1)).empty());
    EXPECT_EQ(fetch.requests_for(2, now + MetadataFetch::kRequestTimeout).size(), 3u);
    EXPECT_FALSE(fetch.offers(1));
    EXPECT_TRUE(fetch.requests_for(1, now + MetadataFetch::kRequestTimeout).empty());
    EXPECT_EQ(fetch.on_data(1, 0, m.bytes.size(), m.piece(0)).kind, Kind::accepted);
    EXPECT_EQ(fetch.pieces_received(), 0u) << "the late answer is not taken";
    EXPECT_EQ(fetch.usable_peers(), 1u);
}

TEST(MetadataFetch, ASizeFromAPeerThatCannotBeAskedAnyMoreGivesWayToTheOthers) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, 1000);  // a liar, first
    fetch.add_peer(2, m.bytes.size());
    const auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now).size(), 1u);
    EXPECT_EQ(fetch.size(), 1000u);
    EXPECT_TRUE(fetch.requests_for(2, now).empty()) << "another size waits while the first can be asked";
    fetch.on_reject(1, 0);
    EXPECT_EQ(fetch.requests_for(2, now).size(), 3u);
    EXPECT_EQ(fetch.size(), m.bytes.size());
    // The same when the liar goes silent instead.
    MetadataFetch silent(m.hash, 1 << 20);
    silent.add_peer(1, 1000);
    silent.add_peer(2, m.bytes.size());
    ASSERT_EQ(silent.requests_for(1, now).size(), 1u);
    EXPECT_TRUE(silent.requests_for(2, now + std::chrono::seconds(1)).empty());
    EXPECT_EQ(silent.requests_for(2, now + MetadataFetch::kRequestTimeout).size(), 3u);
}

TEST(MetadataFetch, AHandshakeWithoutASizeKeepsTheOneGivenBefore) {
    const Metadata m;
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());
    fetch.add_peer(1, std::nullopt);  // BEP 10: a later handshake carries only changes
    EXPECT_TRUE(fetch.offers(1));
    EXPECT_EQ(fetch.requests_for(1, Clock::now()).size(), 3u);
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
    const Metadata m(70'000);  // 5 metadata pieces: 4 asked of the first peer, 1 of the second
    std::string wrong = m.bytes;
    wrong[4 * 16384 + 5] ^= 1;  // piece 4 is corrupt
    const auto piece_of = [](const std::string& s, std::uint32_t i) {
        return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()) + i * 16384,
                                             wire::metadata_piece_size(s.size(), i));
    };
    MetadataFetch fetch(m.hash, 1 << 20);
    fetch.add_peer(1, m.bytes.size());  // honest
    fetch.add_peer(2, m.bytes.size());  // liar
    const auto now = Clock::now();
    ASSERT_EQ(fetch.requests_for(1, now), (std::vector<std::uint32_t>{0, 1, 2, 3}));
    ASSERT_EQ(fetch.requests_for(2, now), (std::vector<std::uint32_t>{4}));
    for (std::uint32_t i = 0; i < 4; ++i) fetch.on_data(1, i, m.bytes.size(), m.piece(i));
    auto failed = fetch.on_data(2, 4, m.bytes.size(), piece_of(wrong, 4));
    EXPECT_EQ(failed.kind, Kind::hash_failed);
    EXPECT_TRUE(failed.drop.empty()) << "two contributors: nobody is known guilty";
    // Next attempt: one source. The liar asks first and gets every piece, and is found out.
    ASSERT_EQ(fetch.requests_for(2, now).size(), 4u);
    EXPECT_TRUE(fetch.requests_for(1, now).empty());
    for (std::uint32_t i = 0; i < 4; ++i) fetch.on_data(2, i, wrong.size(), piece_of(wrong, i));
    ASSERT_EQ(fetch.requests_for(2, now), (std::vector<std::uint32_t>{4}));
    auto caught = fetch.on_data(2, 4, wrong.size(), piece_of(wrong, 4));
    EXPECT_EQ(caught.kind, Kind::hash_failed);
    EXPECT_EQ(caught.drop, (std::vector<MetadataFetch::PeerKey>{2}));
    ASSERT_EQ(fetch.requests_for(1, now).size(), 4u);
    for (std::uint32_t i = 0; i < 4; ++i) fetch.on_data(1, i, m.bytes.size(), m.piece(i));
    ASSERT_EQ(fetch.requests_for(1, now), (std::vector<std::uint32_t>{4}));
    EXPECT_EQ(fetch.on_data(1, 4, m.bytes.size(), m.piece(4)).kind, Kind::complete);
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
