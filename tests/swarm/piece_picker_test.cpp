#include "swarm/piece_picker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bt::swarm {
namespace {

constexpr std::uint32_t kBlock = kDefaultBlockSize;

// A tiny DSL: one character per piece.
//   availability: '0'..'9' = how many peers have the piece (counted through on_peer_have)
//   have:         'x' = already verified, anything else = missing ("" = nothing)
//   wanted:       '0' = not wanted, anything else = wanted ("" = everything)
// Every piece has `blocks` blocks of 16 KiB, so the last piece is full-sized too.
struct Spec {
    std::string_view availability;
    std::string_view have = "";
    std::string_view wanted = "";
    std::uint32_t blocks = 1;
    std::uint32_t random_first = 0;
    std::uint32_t max_requesters = 2;
    std::uint64_t seed = 1;
};

PiecePicker make_picker(const Spec& spec) {
    const auto n = static_cast<std::uint32_t>(spec.availability.size());
    PickerConfig config;
    config.num_pieces = n;
    config.piece_length = spec.blocks * kBlock;
    config.total_size = std::uint64_t{n} * config.piece_length;
    config.random_first_pieces = spec.random_first;
    config.end_game_max_requesters = spec.max_requesters;
    config.seed = spec.seed;
    auto picker = PiecePicker::create(config);
    EXPECT_TRUE(picker) << picker.error().message();
    for (std::uint32_t p = 0; p < n; ++p) {
        for (char c = '0'; c < spec.availability[p]; ++c) EXPECT_TRUE(picker->on_peer_have(PieceIndex{p}));
        if (p < spec.have.size() && spec.have[p] == 'x') picker->on_piece_verified(PieceIndex{p});
        if (p < spec.wanted.size() && spec.wanted[p] == '0') picker->set_piece_wanted(PieceIndex{p}, false);
    }
    EXPECT_TRUE(picker->check_invariants());
    return std::move(*picker);
}

// '1' or 'x' = the peer has the piece.
Bitfield bits(std::string_view s) {
    Bitfield f(static_cast<std::uint32_t>(s.size()));
    for (std::uint32_t i = 0; i < s.size(); ++i) {
        if (s[i] == '1' || s[i] == 'x') f.set(PieceIndex{i});
    }
    return f;
}

Block block(std::uint32_t piece, std::uint32_t index, std::uint32_t length = kBlock) {
    return Block{PieceIndex{piece}, index * kBlock, length};
}

// "p0b1 p2b0": piece and block index of each picked block, in order.
std::string describe(const std::vector<Block>& blocks) {
    std::string out;
    for (const Block& b : blocks) {
        if (!out.empty()) out += ' ';
        out += 'p' + std::to_string(b.piece.value) + 'b' + std::to_string(b.begin / kBlock);
    }
    return out;
}

std::vector<PeerId> sorted(std::vector<PeerId> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
}

const PeerId kA{1};
const PeerId kB{2};
const PeerId kC{3};

// ---------------------------------------------------------------------------------------------------
// Geometry

TEST(PiecePicker, CreateRejectsInconsistentGeometry) {
    struct Case {
        const char* name;
        PickerConfig config;
        PickerErrc expected;
    };
    const auto config = [](std::uint32_t n, std::uint32_t len, std::uint64_t total) {
        PickerConfig c;
        c.num_pieces = n;
        c.piece_length = len;
        c.total_size = total;
        return c;
    };
    PickerConfig zero_block = config(1, kBlock, kBlock);
    zero_block.block_size = 0;
    PickerConfig tiny_block = config(1, 1u << 30, 1u << 30);
    tiny_block.block_size = 1024;  // 2^20 blocks per piece
    PickerConfig no_requesters = config(1, kBlock, kBlock);
    no_requesters.end_game_max_requesters = 0;
    PickerConfig many_requesters = config(1, kBlock, kBlock);
    many_requesters.end_game_max_requesters = kMaxRequestersPerBlock + 1;
    const Case cases[] = {
        {"no pieces", config(0, kBlock, 0), PickerErrc::invalid_geometry},
        {"zero piece length", config(1, 0, 10), PickerErrc::invalid_geometry},
        {"empty torrent", config(1, kBlock, 0), PickerErrc::invalid_geometry},
        {"too few pieces for the size", config(2, kBlock, 2 * kBlock + 1), PickerErrc::invalid_geometry},
        {"too many pieces for the size", config(3, kBlock, 2 * kBlock), PickerErrc::invalid_geometry},
        {"zero block size", zero_block, PickerErrc::invalid_geometry},
        {"too many blocks per piece", tiny_block, PickerErrc::invalid_geometry},
        {"no requesters", no_requesters, PickerErrc::invalid_config},
        {"too many requesters", many_requesters, PickerErrc::invalid_config},
    };
    for (const Case& c : cases) {
        auto picker = PiecePicker::create(c.config);
        ASSERT_FALSE(picker) << c.name;
        EXPECT_EQ(picker.error(), make_error_code(c.expected)) << c.name;
    }
    EXPECT_TRUE(PiecePicker::create(config(2, kBlock, kBlock + 1)));
}

TEST(PiecePicker, BlockLengthsFollowPieceLengthAndTotalSize) {
    struct Case {
        std::uint32_t piece_length;
        std::uint64_t total;
        std::uint32_t block_size;
        std::uint32_t piece;
        std::vector<std::uint32_t> lengths;
    };
    const Case cases[] = {
        {40 * 1024, 100 * 1024, kBlock, 0, {kBlock, kBlock, 8 * 1024}},  // piece not a multiple of a block
        {40 * 1024, 100 * 1024, kBlock, 2, {kBlock, 4 * 1024}},          // last piece: 20 KiB
        {32 * 1024, 64 * 1024 + 1, kBlock, 2, {1}},                      // last piece: one byte
        {32 * 1024, 64 * 1024, kBlock, 1, {kBlock, kBlock}},             // exact fit
        {10, 25, 4, 2, {4, 1}},                                          // odd block size
        {8 * 1024, 8 * 1024, kBlock, 0, {8 * 1024}},                     // piece smaller than a block
    };
    for (const Case& c : cases) {
        PickerConfig config;
        config.piece_length = c.piece_length;
        config.total_size = c.total;
        config.block_size = c.block_size;
        config.num_pieces = static_cast<std::uint32_t>((c.total + c.piece_length - 1) / c.piece_length);
        auto picker = PiecePicker::create(config);
        ASSERT_TRUE(picker);
        const PieceIndex piece{c.piece};
        ASSERT_EQ(picker->blocks_in_piece(piece), c.lengths.size());
        for (std::uint32_t i = 0; i < c.lengths.size(); ++i)
            EXPECT_EQ(picker->block_length(piece, i), c.lengths[i]);
        EXPECT_EQ(picker->block_length(piece, static_cast<std::uint32_t>(c.lengths.size())), 0u);

        // pick() hands out exactly these blocks for that piece.
        Bitfield only(config.num_pieces);
        only.set(piece);
        const auto picked = picker->pick(kA, only, 100);
        ASSERT_EQ(picked.size(), c.lengths.size());
        for (std::uint32_t i = 0; i < picked.size(); ++i) {
            EXPECT_EQ(picked[i], (Block{piece, i * c.block_size, c.lengths[i]}));
        }
    }
}

TEST(PiecePicker, LastPieceBlockWithFullLengthIsInvalid) {
    PickerConfig config;
    config.num_pieces = 3;
    config.piece_length = 40 * 1024;
    config.total_size = 100 * 1024;
    auto picker = PiecePicker::create(config);
    ASSERT_TRUE(picker);
    ASSERT_EQ(describe(picker->pick(kA, bits("001"), 10)), "p2b0 p2b1");
    EXPECT_EQ(picker->on_block_received(kA, block(2, 1, kBlock)).status, BlockStatus::invalid);
    EXPECT_EQ(picker->on_block_received(kA, block(2, 1, 4 * 1024)).status, BlockStatus::accepted);
}

// ---------------------------------------------------------------------------------------------------
// Which piece comes first

TEST(PiecePicker, PicksRarestPieceFirst) {
    struct Case {
        std::string_view availability;
        std::string_view have;
        std::string_view peer_has;
        std::string_view allowed;  // pieces the first pick may be ('0'..'9'): several on a tie
    };
    // clang-format off
    const Case cases[] = {
        {"3213", "",    "1111", "2"},
        {"3213", "",    "1101", "1"},   // the rarest piece the peer has
        {"2341", "",    "1110", "0"},   // the rarest overall (3) is not on offer
        {"1422", "x",   "1111", "23"},  // piece 0 is rarer but already ours; 2 and 3 tie
        {"9919", "",    "1111", "2"},
        {"5555", "xxx", "1111", "3"},   // one piece left
        {"0000", "",    "0010", "2"},   // availability not counted yet: still picked
    };
    // clang-format on
    for (const Case& c : cases) {
        auto picker = make_picker({.availability = c.availability, .have = c.have});
        const auto picked = picker.pick(kA, bits(c.peer_has), 1);
        ASSERT_EQ(picked.size(), 1u) << c.availability;
        EXPECT_NE(c.allowed.find(static_cast<char>('0' + picked[0].piece.value)), std::string_view::npos)
            << c.availability << " / " << c.peer_has << " picked " << describe(picked);
    }
}

TEST(PiecePicker, RarestFirstFollowsAvailabilityChanges) {
    auto picker = make_picker({.availability = "3333"});
    ASSERT_TRUE(picker.remove_peer_bitfield(bits("1110")));
    ASSERT_TRUE(picker.remove_peer_bitfield(bits("0110")));
    ASSERT_TRUE(picker.remove_peer_bitfield(bits("0010")));
    EXPECT_TRUE(picker.check_invariants());
    const std::uint32_t expected[] = {2, 1, 0, 3};
    for (std::uint32_t p = 0; p < 4; ++p) EXPECT_EQ(picker.availability(PieceIndex{p}), expected[p]);
    EXPECT_EQ(describe(picker.pick(kA, bits("1101"), 1)), "p1b0");
    EXPECT_EQ(describe(picker.pick(kB, bits("1101"), 1)), "p0b0");

    ASSERT_TRUE(picker.on_peer_have(PieceIndex{2}));
    ASSERT_TRUE(picker.on_peer_have(PieceIndex{2}));
    ASSERT_TRUE(picker.on_peer_have(PieceIndex{2}));
    ASSERT_TRUE(picker.on_peer_have(PieceIndex{2}));  // piece 2 now the most common (4)
    EXPECT_EQ(describe(picker.pick(kC, bits("1111"), 1)), "p3b0");
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, TieBreakAmongEquallyRarePiecesIsRandomAndReproducible) {
    std::set<std::uint32_t> first_picks;
    for (std::uint64_t seed = 1; seed <= 32; ++seed) {
        auto one = make_picker({.availability = "22221", .seed = seed});
        auto two = make_picker({.availability = "22221", .seed = seed});
        const auto a = one.pick(kA, bits("11110"), 1);
        const auto b = two.pick(kA, bits("11110"), 1);
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a, b) << "same seed, same pick";
        first_picks.insert(a[0].piece.value);
    }
    EXPECT_GE(first_picks.size(), 3u);
    EXPECT_EQ(first_picks.count(4), 0u);
}

TEST(PiecePicker, EquallyRarePiecesAreTakenInRunsFromARandomStart) {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        auto picker = make_picker({.availability = "2222222222", .seed = seed});
        const auto first = picker.pick(kA, bits("1111111111"), 1);
        ASSERT_EQ(first.size(), 1u);
        std::uint32_t expected = first[0].piece.value;
        // Each new piece follows the last one started (whoever asked), up to the end of the torrent.
        for (const PeerId peer : {kB, kC, kA}) {
            if (++expected == 10) break;
            const auto next = picker.pick(peer, bits("1111111111"), 1);
            ASSERT_EQ(next.size(), 1u);
            EXPECT_EQ(next[0].piece.value, expected) << "seed " << seed;
        }
    }
}

TEST(PiecePicker, ARunStopsWhereTheNextPieceIsMoreCommon) {
    // Piece 1 follows piece 0, but piece 4 is rarer: rarest first wins over the run.
    auto picker = make_picker({.availability = "12221"});
    EXPECT_EQ(describe(picker.pick(kA, bits("10000"), 1)), "p0b0");
    EXPECT_EQ(describe(picker.pick(kA, bits("11111"), 1)), "p4b0");
    // And a run skips nothing the peer lacks: piece 1 is not offered by this peer.
    auto other = make_picker({.availability = "2222"});
    EXPECT_EQ(describe(other.pick(kA, bits("1000"), 1)), "p0b0");
    const auto next = other.pick(kA, bits("1011"), 1);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_NE(next[0].piece.value, 1u);
}

TEST(PiecePicker, FirstPiecesArePickedAtRandomThenRarestFirst) {
    // Piece 0 is by far the rarest; random-first should mostly ignore that.
    std::set<std::uint32_t> random_picks;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        auto picker = make_picker({.availability = "1999999999", .random_first = 4, .seed = seed});
        const auto picked = picker.pick(kA, bits("1111111111"), 1);
        ASSERT_EQ(picked.size(), 1u);
        random_picks.insert(picked[0].piece.value);
    }
    EXPECT_GE(random_picks.size(), 4u);

    // With 3 pieces we are still in the random phase; with 4 rarest-first takes over.
    std::set<std::uint32_t> three_have;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        auto three =
            make_picker({.availability = "1999999999", .have = ".xxx", .random_first = 4, .seed = seed});
        three_have.insert(three.pick(kA, bits("1111111111"), 1).at(0).piece.value);
        auto four =
            make_picker({.availability = "1999999999", .have = ".xxxx", .random_first = 4, .seed = seed});
        EXPECT_EQ(describe(four.pick(kA, bits("1111111111"), 1)), "p0b0") << seed;
    }
    EXPECT_GE(three_have.size(), 2u);
}

TEST(PiecePicker, RandomFirstPieceOnlyAmongPiecesThePeerHas) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        auto picker = make_picker({.availability = "1111111111", .random_first = 4, .seed = seed});
        const auto picked = picker.pick(kA, bits("0000100000"), 5);
        EXPECT_EQ(describe(picked), "p4b0");
    }
}

// ---------------------------------------------------------------------------------------------------
// Partial pieces

TEST(PiecePicker, ContinuesItsOwnPartialPieceBeforeARarerNewPiece) {
    auto picker = make_picker({.availability = "22", .blocks = 4});
    const auto first = picker.pick(kA, bits("11"), 2);
    ASSERT_EQ(first.size(), 2u);
    const std::uint32_t started = first[0].piece.value;
    const std::uint32_t other = 1 - started;
    // The started piece becomes the common one; the other is now rarer.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(picker.on_peer_have(PieceIndex{started}));
    const auto next = picker.pick(kA, bits("11"), 3);
    const std::string s = std::to_string(started);
    EXPECT_EQ(describe(next), "p" + s + "b2 p" + s + "b3 p" + std::to_string(other) + "b0");
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, PrefersAnAbandonedPartialPieceToANewOne) {
    auto picker = make_picker({.availability = "21", .blocks = 4});
    ASSERT_EQ(describe(picker.pick(kA, bits("10"), 2)), "p0b0 p0b1");
    ASSERT_EQ(picker.on_block_received(kA, block(0, 0)).status, BlockStatus::accepted);
    EXPECT_EQ(picker.on_peer_gone(kA), 1u);
    // Piece 1 is rarer, but piece 0 is already partly downloaded and nobody works on it.
    EXPECT_EQ(describe(picker.pick(kB, bits("11"), 3)), "p0b1 p0b2 p0b3");
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, StartsANewPieceBeforeJoiningAnotherPeersPiece) {
    auto picker = make_picker({.availability = "12", .blocks = 4});
    ASSERT_EQ(describe(picker.pick(kA, bits("11"), 2)), "p0b0 p0b1");
    // B gets a piece of its own ...
    EXPECT_EQ(describe(picker.pick(kB, bits("11"), 2)), "p1b0 p1b1");
    // ... and joins A's piece only when nothing new is left.
    EXPECT_EQ(describe(picker.pick(kB, bits("11"), 4)), "p1b2 p1b3 p0b2 p0b3");
    EXPECT_TRUE(picker.is_end_game());
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, PreferredPiecesComeBeforeRarerNewPieces) {
    // Piece 0 is the rarest; the caller prefers 3, then 2 (a peer's SUGGEST_PIECEs, newest first).
    auto picker = make_picker({.availability = "1222", .blocks = 2});
    const std::vector<PieceIndex> preferred{PieceIndex{3}, PieceIndex{2}};
    EXPECT_EQ(describe(picker.pick(kA, bits("1111"), 3, preferred)), "p3b0 p3b1 p2b0");
    // Its own partial piece first, then the next preferred one it lacks.
    EXPECT_EQ(describe(picker.pick(kA, bits("1111"), 2, preferred)), "p2b1 p0b0");
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, PreferredPiecesTheyLackOrWeHaveAreSkipped) {
    auto picker = make_picker({.availability = "1222", .have = "..x.", .wanted = "1110", .blocks = 1});
    // 3 is not wanted, 2 is ours, 1 the peer lacks, 99 does not exist: rarest first as before.
    const std::vector<PieceIndex> preferred{PieceIndex{3}, PieceIndex{2}, PieceIndex{1}, PieceIndex{99}};
    EXPECT_EQ(describe(picker.pick(kA, bits("1011"), 1, preferred)), "p0b0");
    // A preferred piece another peer is working on: its free blocks.
    auto other = make_picker({.availability = "122", .blocks = 4});
    ASSERT_EQ(describe(other.pick(kB, bits("011"), 1, std::vector<PieceIndex>{PieceIndex{2}})), "p2b0");
    EXPECT_EQ(describe(other.pick(kA, bits("111"), 2, std::vector<PieceIndex>{PieceIndex{2}})), "p2b1 p2b2");
    EXPECT_TRUE(picker.check_invariants());
    EXPECT_TRUE(other.check_invariants());
}

TEST(PiecePicker, SequentialOrderTakesTheLowestMissingPieceWhateverItsRarity) {
    auto picker = make_picker(
        {.availability = "31121", .have = ".x...", .wanted = "11011", .blocks = 2, .random_first = 4});
    picker.set_sequential(true);
    // 1 is ours and 2 unwanted: 0, then 3, though 1's neighbours are rarer and random-first would apply.
    EXPECT_EQ(describe(picker.pick(kA, bits("11111"), 3)), "p0b0 p0b1 p3b0");
    // Another peer starts the next piece rather than join A's 3 (as in rarest-first order).
    EXPECT_EQ(describe(picker.pick(kB, bits("10011"), 2)), "p4b0 p4b1");
    // A peer without the lowest pieces gets the lowest it has.
    auto other = make_picker({.availability = "1111", .blocks = 1});
    other.set_sequential(true);
    EXPECT_EQ(describe(other.pick(kC, bits("0011"), 1)), "p2b0");
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, SequentialOrderMovesOnAsPiecesAreVerified) {
    auto picker = make_picker({.availability = "2222", .blocks = 1});
    picker.set_sequential(true);
    std::string order;
    for (int round = 0; round < 4; ++round) {
        const auto blocks = picker.pick(kA, bits("1111"), 1);
        ASSERT_EQ(blocks.size(), 1u);
        order += describe(blocks) + ' ';
        ASSERT_EQ(picker.on_block_received(kA, blocks[0]).status, BlockStatus::accepted);
        picker.on_piece_verified(blocks[0].piece);
    }
    EXPECT_EQ(order, "p0b0 p1b0 p2b0 p3b0 ");
    EXPECT_TRUE(picker.is_finished());
    EXPECT_EQ(picker.downloaded_ahead(), 0u);
}

TEST(PiecePicker, CountsPiecesVerifiedAheadOfThoseInFlight) {
    auto picker = make_picker({.availability = "11111", .blocks = 1});
    const auto fetch = [&](std::uint32_t piece) {
        const std::vector<PieceIndex> preferred{PieceIndex{piece}};
        const auto blocks = picker.pick(kA, bits("11111"), 1, preferred);
        ASSERT_EQ(describe(blocks), "p" + std::to_string(piece) + "b0");
        picker.on_block_received(kA, blocks[0]);
        picker.on_piece_verified(blocks[0].piece);
    };
    fetch(0);
    fetch(1);  // in order
    EXPECT_EQ(picker.downloaded_ahead(), 0u);
    fetch(3);  // 2 missing and not in flight
    EXPECT_EQ(picker.downloaded_ahead(), 1u);
    picker.on_piece_verified(PieceIndex{4});  // found on disk: not counted
    EXPECT_EQ(picker.downloaded_ahead(), 1u);
}

TEST(PiecePicker, PriorityPiecesComeBeforeOtherNewPieces) {
    // Each file's first and last pieces, for a preview: 0 and 5, then rarest first (2).
    auto picker = make_picker({.availability = "331333", .blocks = 1});
    picker.set_priority_pieces({PieceIndex{0}, PieceIndex{5}, PieceIndex{9}});
    EXPECT_EQ(describe(picker.pick(kA, bits("111111"), 3)), "p0b0 p5b0 p2b0");
    // With sequential order too: priority first, then ascending.
    auto sequential = make_picker({.availability = "111111", .blocks = 1});
    sequential.set_sequential(true);
    sequential.set_priority_pieces({PieceIndex{5}});
    EXPECT_EQ(describe(sequential.pick(kA, bits("111111"), 3)), "p5b0 p0b0 p1b0");
    EXPECT_TRUE(picker.check_invariants());
}

// ---------------------------------------------------------------------------------------------------
// One requester per block, end-game

TEST(PiecePicker, NeverHandsOutABlockTwiceOutsideEndGame) {
    // Random swarm: peers pick, blocks arrive, are rejected or time out, peers leave and come back,
    // some pieces fail their hash check. A model of the outstanding requests checks every answer.
    constexpr std::uint32_t kPieces = 40;
    constexpr std::uint32_t kPeers = 6;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        std::mt19937_64 rng(seed * 7919);
        PickerConfig config;
        config.num_pieces = kPieces;
        config.piece_length = 3 * kBlock;
        config.total_size =
            std::uint64_t{kPieces - 1} * config.piece_length + kBlock + 100;  // short last piece
        config.seed = seed;
        config.end_game_max_requesters = 3;
        auto created = PiecePicker::create(config);
        ASSERT_TRUE(created);
        PiecePicker& picker = *created;

        std::vector<Bitfield> has;
        for (std::uint32_t p = 0; p < kPeers; ++p) {
            Bitfield f(kPieces);
            for (std::uint32_t i = 0; i < kPieces; ++i) {
                if (rng() % 3 != 0 || p == 0)
                    f.set(PieceIndex{i});  // peer 0 is a seed: the download can finish
            }
            ASSERT_TRUE(picker.add_peer_bitfield(f));
            has.push_back(f);
        }

        using Key = std::pair<std::uint32_t, std::uint32_t>;  // piece, begin
        std::map<Key, std::set<std::uint32_t>> outstanding;   // model: block -> peers
        std::vector<std::vector<Block>> queue(kPeers);        // what each peer still owes us
        int steps = 0;
        while (!picker.is_finished() && steps++ < 20000) {
            const auto p = static_cast<std::uint32_t>(rng() % kPeers);
            const PeerId peer{p};
            const auto action = rng() % 10;
            if (action < 4) {
                const bool end_game = picker.is_end_game();
                for (const Block& b : picker.pick(peer, has[p], static_cast<std::uint32_t>(rng() % 6 + 1))) {
                    ASSERT_TRUE(has[p].test(b.piece));
                    auto& who = outstanding[{b.piece.value, b.begin}];
                    if (!end_game) {
                        ASSERT_TRUE(who.empty()) << "block handed out twice outside end-game";
                    }
                    ASSERT_EQ(who.count(p), 0u) << "same block twice to one peer";
                    ASSERT_LT(who.size(), config.end_game_max_requesters);
                    who.insert(p);
                    queue[p].push_back(b);
                }
            } else if (action < 8 && !queue[p].empty()) {
                const Block b = queue[p].front();
                queue[p].erase(queue[p].begin());
                auto& who = outstanding[{b.piece.value, b.begin}];
                if (action == 7) {  // rejected or timed out
                    const bool returned = rng() % 2 ? picker.on_request_rejected(peer, b)
                                                    : picker.on_request_timed_out(peer, b);
                    ASSERT_EQ(returned, who.count(p) == 1);
                    who.erase(p);
                    continue;
                }
                const auto got = picker.on_block_received(peer, b);
                if (who.count(p) == 0) {
                    ASSERT_FALSE(got.status == BlockStatus::accepted);
                    continue;
                }
                ASSERT_EQ(got.status, BlockStatus::accepted);
                std::set<std::uint32_t> expected_cancel = who;
                expected_cancel.erase(p);
                std::set<std::uint32_t> cancel;
                for (PeerId c : got.cancel) cancel.insert(c.value);
                ASSERT_EQ(cancel, expected_cancel);
                who.clear();
                if (got.piece_complete) {
                    if (rng() % 5 == 0) {
                        ASSERT_FALSE(picker.on_piece_failed(b.piece).empty());
                    } else {
                        picker.on_piece_verified(b.piece);
                    }
                }
            } else if (action == 8 && rng() % 4 == 0) {
                std::size_t mine = 0;
                for (auto& [key, who] : outstanding) mine += who.erase(p);
                ASSERT_EQ(picker.on_peer_gone(peer), mine);
                queue[p].clear();
            }
            ASSERT_TRUE(picker.check_invariants()) << "seed " << seed << " step " << steps;
        }
        EXPECT_TRUE(picker.is_finished()) << "seed " << seed;
        EXPECT_TRUE(picker.have().all());
    }
}

TEST(PiecePicker, EndGameDuplicatesRequestsAndNamesPeersToCancel) {
    auto picker = make_picker({.availability = "3", .blocks = 2, .max_requesters = 2});
    ASSERT_EQ(describe(picker.pick(kA, bits("1"), 5)), "p0b0 p0b1");
    EXPECT_TRUE(picker.is_end_game());
    EXPECT_EQ(describe(picker.pick(kA, bits("1"), 5)), "") << "never twice to the same peer";
    EXPECT_EQ(describe(picker.pick(kB, bits("1"), 5)), "p0b0 p0b1");
    EXPECT_EQ(describe(picker.pick(kC, bits("1"), 5)), "") << "at most 2 requesters per block";

    auto got = picker.on_block_received(kA, block(0, 0));
    EXPECT_EQ(got.status, BlockStatus::accepted);
    EXPECT_EQ(got.cancel, std::vector<PeerId>{kB});
    EXPECT_FALSE(got.piece_complete);
    got = picker.on_block_received(kB, block(0, 0));  // B's copy crossed our CANCEL
    EXPECT_EQ(got.status, BlockStatus::duplicate);
    EXPECT_TRUE(got.expected());

    got = picker.on_block_received(kB, block(0, 1));
    EXPECT_EQ(got.status, BlockStatus::accepted);
    EXPECT_EQ(got.cancel, std::vector<PeerId>{kA});
    EXPECT_TRUE(got.piece_complete);
    EXPECT_EQ(picker.on_block_received(kC, block(0, 1)).status, BlockStatus::unexpected);

    picker.on_piece_verified(PieceIndex{0});
    EXPECT_TRUE(picker.is_finished());
    EXPECT_FALSE(picker.is_end_game());
    EXPECT_EQ(picker.on_block_received(kA, block(0, 1)).status, BlockStatus::already_have);
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, EndGameStartsOnlyWhenEveryMissingBlockIsRequested) {
    auto picker = make_picker({.availability = "12", .blocks = 1});
    EXPECT_EQ(describe(picker.pick(kA, bits("11"), 1)), "p0b0");
    EXPECT_FALSE(picker.is_end_game());
    EXPECT_EQ(describe(picker.pick(kB, bits("11"), 2)), "p1b0") << "free block first, no duplicate yet";
    EXPECT_TRUE(picker.is_end_game());
    EXPECT_EQ(describe(picker.pick(kC, bits("11"), 2)), "p0b0 p1b0");
    // A rejected request ends end-game: the block is free again (C still has it outstanding, though).
    EXPECT_TRUE(picker.on_request_rejected(kA, block(0, 0)));
    EXPECT_TRUE(picker.on_request_rejected(kC, block(0, 0)));
    EXPECT_FALSE(picker.is_end_game());
    EXPECT_EQ(describe(picker.pick(kB, bits("11"), 2)), "p0b0");
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, EndGameWithOneRequesterPerBlockHandsOutNothing) {
    auto picker = make_picker({.availability = "1", .blocks = 2, .max_requesters = 1});
    ASSERT_EQ(picker.pick(kA, bits("1"), 5).size(), 2u);
    EXPECT_TRUE(picker.is_end_game());
    EXPECT_TRUE(picker.pick(kB, bits("1"), 5).empty());
}

// ---------------------------------------------------------------------------------------------------
// Hash failures, departures, returned requests

TEST(PiecePicker, FailedPieceNamesItsContributorsAndOffersItsBlocksAgain) {
    auto picker = make_picker({.availability = "3", .blocks = 3});
    ASSERT_EQ(describe(picker.pick(kA, bits("1"), 2)), "p0b0 p0b1");
    ASSERT_EQ(describe(picker.pick(kB, bits("1"), 1)), "p0b2");
    EXPECT_FALSE(picker.on_block_received(kA, block(0, 0)).piece_complete);
    EXPECT_FALSE(picker.on_block_received(kB, block(0, 2)).piece_complete);
    EXPECT_TRUE(picker.on_block_received(kA, block(0, 1)).piece_complete);

    EXPECT_EQ(sorted(picker.on_piece_failed(PieceIndex{0})), (std::vector<PeerId>{kA, kB}));
    EXPECT_FALSE(picker.has_piece(PieceIndex{0}));
    EXPECT_FALSE(picker.is_end_game());
    EXPECT_EQ(describe(picker.pick(kC, bits("1"), 5)), "p0b0 p0b1 p0b2");
    EXPECT_EQ(picker.on_block_received(kA, block(0, 0)).status, BlockStatus::unexpected);
    EXPECT_TRUE(picker.on_piece_failed(PieceIndex{0}).empty()) << "nothing received since";
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, HoldsBlocksFromAPeerUntilTheirPieceIsVerifiedOrFailed) {
    auto picker = make_picker({.availability = "23", .blocks = 2});  // piece 0 is the rarest
    EXPECT_FALSE(picker.holds_blocks_from(kA));
    ASSERT_EQ(describe(picker.pick(kA, bits("11"), 3)), "p0b0 p0b1 p1b0");
    ASSERT_EQ(describe(picker.pick(kB, bits("11"), 1)), "p1b1");
    EXPECT_FALSE(picker.holds_blocks_from(kA)) << "requested is not received";
    ASSERT_EQ(picker.on_block_received(kA, block(0, 0)).status, BlockStatus::accepted);
    ASSERT_EQ(picker.on_block_received(kA, block(1, 0)).status, BlockStatus::accepted);
    ASSERT_EQ(picker.on_block_received(kB, block(1, 1)).status, BlockStatus::accepted);
    EXPECT_TRUE(picker.holds_blocks_from(kA));
    EXPECT_TRUE(picker.holds_blocks_from(kB));
    EXPECT_TRUE(picker.check_invariants());

    // A peer that leaves keeps its received blocks in the picker (a bad piece still blames it).
    picker.on_peer_gone(kA);
    EXPECT_TRUE(picker.holds_blocks_from(kA));
    // Piece 1 fails: B's only block goes back; A still has a block in piece 0.
    EXPECT_EQ(sorted(picker.on_piece_failed(PieceIndex{1})), (std::vector<PeerId>{kA, kB}));
    EXPECT_FALSE(picker.holds_blocks_from(kB));
    EXPECT_TRUE(picker.holds_blocks_from(kA));
    EXPECT_TRUE(picker.check_invariants());
    // Piece 0 completes through C and is verified: nothing of A is left.
    ASSERT_EQ(describe(picker.pick(kC, bits("11"), 1)), "p0b1");
    ASSERT_TRUE(picker.on_block_received(kC, block(0, 1)).piece_complete);
    picker.on_piece_verified(PieceIndex{0});
    EXPECT_FALSE(picker.holds_blocks_from(kA));
    EXPECT_FALSE(picker.holds_blocks_from(kC));
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, GonePeerGivesBackItsOutstandingBlocks) {
    auto picker = make_picker({.availability = "2", .blocks = 4});
    ASSERT_EQ(describe(picker.pick(kA, bits("1"), 3)), "p0b0 p0b1 p0b2");
    ASSERT_EQ(picker.on_block_received(kA, block(0, 1)).status, BlockStatus::accepted);
    EXPECT_EQ(picker.on_peer_gone(kA), 2u);
    EXPECT_EQ(picker.on_peer_gone(kA), 0u);
    EXPECT_EQ(describe(picker.pick(kB, bits("1"), 5)), "p0b0 p0b2 p0b3");
    EXPECT_EQ(picker.on_block_received(kA, block(0, 0)).status, BlockStatus::unexpected);
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, GonePeerWithNothingReceivedLeavesNoPartialPiece) {
    auto picker = make_picker({.availability = "11", .blocks = 2});
    ASSERT_EQ(picker.pick(kA, bits("11"), 1).size(), 1u);
    EXPECT_EQ(picker.num_partial_pieces(), 1u);
    EXPECT_EQ(picker.on_peer_gone(kA), 1u);
    EXPECT_EQ(picker.num_partial_pieces(), 0u);
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, RejectedOrTimedOutRequestGoesBackToThePool) {
    for (const bool timed_out : {false, true}) {
        auto picker = make_picker({.availability = "1", .blocks = 2});
        ASSERT_EQ(describe(picker.pick(kA, bits("1"), 1)), "p0b0");
        const auto give_back = [&](PeerId peer, const Block& b) {
            return timed_out ? picker.on_request_timed_out(peer, b) : picker.on_request_rejected(peer, b);
        };
        EXPECT_FALSE(give_back(kB, block(0, 0))) << "B never asked";
        EXPECT_FALSE(give_back(kA, block(0, 1))) << "A never asked for block 1";
        EXPECT_FALSE(give_back(kA, block(0, 0, 5))) << "not a block of the piece";
        EXPECT_TRUE(give_back(kA, block(0, 0)));
        EXPECT_FALSE(give_back(kA, block(0, 0))) << "already given back";
        EXPECT_EQ(describe(picker.pick(kB, bits("1"), 2)), "p0b0 p0b1");
        ASSERT_EQ(picker.on_block_received(kB, block(0, 0)).status, BlockStatus::accepted);
        EXPECT_FALSE(give_back(kB, block(0, 0))) << "already received";
        EXPECT_TRUE(picker.check_invariants());
    }
}

// ---------------------------------------------------------------------------------------------------
// Wanted pieces, statuses, availability

TEST(PiecePicker, UnwantedPiecesAreNeverPicked) {
    auto picker = make_picker({.availability = "1111", .wanted = "0101", .blocks = 2});
    const auto picked = picker.pick(kA, bits("1111"), 100);
    EXPECT_EQ(picked.size(), 4u);
    for (const Block& b : picked) EXPECT_TRUE(b.piece.value == 1 || b.piece.value == 3) << describe(picked);
    EXPECT_TRUE(picker.is_end_game());
    EXPECT_TRUE(picker.pick(kB, bits("1010"), 100).empty())
        << "no end-game duplicates of unwanted pieces either";

    for (const Block& b : picked) ASSERT_EQ(picker.on_block_received(kA, b).status, BlockStatus::accepted);
    picker.on_piece_verified(PieceIndex{1});
    picker.on_piece_verified(PieceIndex{3});
    EXPECT_TRUE(picker.is_finished());
    EXPECT_TRUE(picker.pick(kA, bits("1111"), 100).empty());

    picker.set_piece_wanted(PieceIndex{0}, true);
    EXPECT_FALSE(picker.is_finished());
    EXPECT_EQ(describe(picker.pick(kA, bits("1111"), 100)), "p0b0 p0b1");
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, UnwantingAPartialPieceStopsPickingIt) {
    auto picker = make_picker({.availability = "12", .blocks = 2});
    ASSERT_EQ(describe(picker.pick(kA, bits("11"), 1)), "p0b0");
    picker.set_piece_wanted(PieceIndex{0}, false);
    EXPECT_TRUE(picker.check_invariants());
    EXPECT_EQ(describe(picker.pick(kA, bits("11"), 5)), "p1b0 p1b1");
    // The outstanding block still arrives normally.
    EXPECT_EQ(picker.on_block_received(kA, block(0, 0)).status, BlockStatus::accepted);
    picker.set_piece_wanted(PieceIndex{0}, true);
    EXPECT_EQ(describe(picker.pick(kB, bits("11"), 5)), "p0b1");
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, HigherPriorityPiecesStartFirstThenTheNextLevel) {
    // Rarest first would take piece 0 (rarest); priorities put 3 (high) first, then 1 and 2 (normal), 0 (low)
    // last; 4 is not wanted at all.
    auto picker = make_picker({.availability = "14444"});
    picker.set_piece_priority(PieceIndex{0}, 1);
    picker.set_piece_priority(PieceIndex{3}, 3);
    picker.set_piece_priority(PieceIndex{4}, PiecePicker::kNotWanted);
    EXPECT_TRUE(picker.check_invariants());
    EXPECT_EQ(picker.wanted_bytes(), 4u * kBlock);
    EXPECT_EQ(picker.wanted_bytes_missing(), 4u * kBlock);
    EXPECT_EQ(describe(picker.pick(kA, bits("11111"), 1)), "p3b0");
    const auto next = describe(picker.pick(kA, bits("11111"), 2));
    EXPECT_TRUE(next == "p1b0 p2b0" || next == "p2b0 p1b0") << next;
    EXPECT_EQ(describe(picker.pick(kA, bits("11111"), 5)), "p0b0");
    // A peer without the high piece still gets the normal ones at once.
    auto other = make_picker({.availability = "1111"});
    other.set_piece_priority(PieceIndex{0}, 3);
    EXPECT_EQ(describe(other.pick(kA, bits("0001"), 5)), "p3b0");
    EXPECT_TRUE(other.check_invariants());
}

TEST(PiecePicker, SequentialOrderHoldsWithinEachPriority) {
    auto picker = make_picker({.availability = "1111"});
    picker.set_sequential(true);
    picker.set_piece_priority(PieceIndex{2}, 3);
    EXPECT_EQ(describe(picker.pick(kA, bits("1111"), 4)), "p2b0 p0b0 p1b0 p3b0");
}

TEST(PiecePicker, WantedBytesFollowVerifiedPiecesAndPriorities) {
    auto picker = make_picker({.availability = "111", .blocks = 2});
    picker.on_piece_verified(PieceIndex{0});
    EXPECT_EQ(picker.wanted_bytes_missing(), 4u * kBlock);
    picker.set_piece_wanted(PieceIndex{2}, false);
    EXPECT_EQ(picker.wanted_bytes(), 4u * kBlock);
    EXPECT_EQ(picker.wanted_bytes_missing(), 2u * kBlock);
    picker.set_piece_priority(PieceIndex{0}, PiecePicker::kNotWanted);  // had: no longer counted
    EXPECT_EQ(picker.wanted_bytes(), 2u * kBlock);
    EXPECT_EQ(picker.num_wanted_missing(), 1u);
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, ReportsHowEachReceivedBlockFits) {
    auto picker = make_picker({.availability = "22", .have = ".x", .blocks = 2});
    ASSERT_EQ(describe(picker.pick(kA, bits("11"), 1)), "p0b0");
    struct Case {
        const char* name;
        PeerId peer;
        Block block;
        BlockStatus expected;
    };
    const Case cases[] = {
        {"piece out of range", kA, block(2, 0), BlockStatus::invalid},
        {"offset inside a block", kA, Block{PieceIndex{0}, 100, kBlock}, BlockStatus::invalid},
        {"offset past the piece", kA, block(0, 2), BlockStatus::invalid},
        {"short length", kA, block(0, 0, kBlock - 1), BlockStatus::invalid},
        {"piece we have", kA, block(1, 0), BlockStatus::already_have},
        {"block nobody requested", kA, block(0, 1), BlockStatus::unexpected},
        {"requested from someone else", kB, block(0, 0), BlockStatus::unexpected},
        {"requested from this peer", kA, block(0, 0), BlockStatus::accepted},
        {"already received", kA, block(0, 0), BlockStatus::duplicate},
        {"already received, never asked", kB, block(0, 0), BlockStatus::unexpected},
    };
    for (const Case& c : cases) {
        const auto got = picker.on_block_received(c.peer, c.block);
        EXPECT_EQ(got.status, c.expected) << c.name;
        EXPECT_TRUE(got.cancel.empty()) << c.name;
        EXPECT_FALSE(got.piece_complete) << c.name;
    }
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, CountsBitfieldsHavesAndSeeds) {
    auto picker = make_picker({.availability = "0000000000"});
    ASSERT_TRUE(picker.add_peer_bitfield(bits("1100000001")));
    ASSERT_TRUE(picker.add_peer_bitfield(bits("1000000001")));
    ASSERT_TRUE(picker.on_peer_have(PieceIndex{5}));
    picker.add_peer_have_all();
    const std::uint32_t expected[] = {3, 2, 1, 1, 1, 2, 1, 1, 1, 3};
    for (std::uint32_t p = 0; p < 10; ++p) EXPECT_EQ(picker.availability(PieceIndex{p}), expected[p]) << p;
    EXPECT_TRUE(picker.check_invariants());

    EXPECT_EQ(picker.add_peer_bitfield(bits("111")).error(),
              make_error_code(PickerErrc::bitfield_size_mismatch));
    EXPECT_EQ(picker.remove_peer_bitfield(Bitfield(11)).error(),
              make_error_code(PickerErrc::bitfield_size_mismatch));
    EXPECT_EQ(picker.on_peer_have(PieceIndex{10}).error(), make_error_code(PickerErrc::piece_out_of_range));
    EXPECT_TRUE(picker.pick(kA, bits("111"), 5).empty()) << "wrong-sized bitfield";

    picker.remove_peer_have_all();
    picker.remove_peer_have_all();  // one too many: stays at zero
    ASSERT_TRUE(picker.remove_peer_bitfield(bits("1100000001")));
    ASSERT_TRUE(picker.remove_peer_bitfield(bits("1100000001")));  // more than added: clamps at zero
    const std::uint32_t after[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    for (std::uint32_t p = 0; p < 10; ++p) EXPECT_EQ(picker.availability(PieceIndex{p}), after[p]) << p;
    EXPECT_EQ(picker.availability(PieceIndex{10}), 0u);
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, SeedsMakeEveryPieceAvailableWithoutReordering) {
    auto picker = make_picker({.availability = "3013"});
    picker.add_peer_have_all();
    // Piece 1 is now available (from the seed only) and is the rarest.
    EXPECT_EQ(describe(picker.pick(kA, bits("1111"), 1)), "p1b0");
    EXPECT_EQ(describe(picker.pick(kA, bits("1111"), 1)), "p2b0");
}

TEST(PiecePicker, VerifyingAPieceFromDiskDropsItsDownload) {
    auto picker = make_picker({.availability = "11", .blocks = 2});
    ASSERT_EQ(describe(picker.pick(kA, bits("10"), 1)), "p0b0");
    picker.on_piece_verified(PieceIndex{0});  // e.g. found complete by a resume check
    picker.on_piece_verified(PieceIndex{0});  // twice is harmless
    EXPECT_EQ(picker.num_have(), 1u);
    EXPECT_EQ(picker.num_partial_pieces(), 0u);
    EXPECT_EQ(picker.on_block_received(kA, block(0, 0)).status, BlockStatus::already_have);
    EXPECT_FALSE(picker.on_request_timed_out(kA, block(0, 0)));
    EXPECT_TRUE(picker.on_piece_failed(PieceIndex{0}).empty());
    EXPECT_TRUE(picker.check_invariants());
}

TEST(PiecePicker, DownloadsAWholeTorrentFromSeveralPeers) {
    auto picker = make_picker({.availability = "1232123212", .blocks = 3, .random_first = 4, .seed = 9});
    const Bitfield has[] = {bits("1110001110"), bits("0111111100"), bits("1000000011")};
    int rounds = 0;
    while (!picker.is_finished() && rounds++ < 100) {
        for (std::uint32_t p = 0; p < 3; ++p) {
            for (const Block& b : picker.pick(PeerId{p}, has[p], 4)) {
                const auto got = picker.on_block_received(PeerId{p}, b);
                ASSERT_EQ(got.status, BlockStatus::accepted);
                if (got.piece_complete) picker.on_piece_verified(b.piece);
            }
        }
        ASSERT_TRUE(picker.check_invariants());
    }
    EXPECT_TRUE(picker.have().all());
    EXPECT_EQ(picker.num_partial_pieces(), 0u);
}

}  // namespace
}  // namespace bt::swarm
