// Whole transfers between real sessions over loopback (session_fixture.hpp): a seeder with the files and
// leechers with empty folders, each torrent going through its check, the handshakes (MSE by default), the
// picker and the disk, and ending with the same bytes on both sides.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "session/session_fixture.hpp"

namespace bt::session::test {
namespace {

constexpr std::int64_t kPiece = 32 * 1024;

// Files straddling pieces, a file smaller than a block, an empty file, nested folders, a short last piece.
const std::vector<FileSpec> kMultiFile = {
    {"a.bin", 300 * 1024 + 1},   {"sub/b.bin", 1024 * 1024}, {"sub/deeper/c.bin", 17},
    {"sub/deeper/empty.bin", 0}, {"d.bin", 200'000},
};

using State = TorrentState;

using SessionTransfer = SessionFixture;

TEST_F(SessionTransfer, LeecherDownloadsAMultiFileTorrentFromASeeder) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kMultiFile, kPiece, 1);
    ASSERT_GT(metainfo.num_pieces(), 40u);
    auto& seed = start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();

    ASSERT_TRUE(run_until_seeding({&leech}));
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", leecher.path() + "/content"));
    const auto status = leech.status();
    EXPECT_EQ(status.pieces_have, metainfo.num_pieces());
    EXPECT_EQ(status.bytes_have, metainfo.total_size);
    EXPECT_EQ(status.stats.pieces_verified, metainfo.num_pieces());
    EXPECT_EQ(status.stats.hash_failures, 0u);
    EXPECT_GE(status.stats.payload_downloaded, static_cast<std::uint64_t>(metainfo.total_size));
    EXPECT_EQ(status.stats.peers_connected_out, 1u);
    const auto seed_status = seed.status();
    EXPECT_EQ(seed_status.stats.pieces_from_disk, metainfo.num_pieces());
    EXPECT_GE(seed_status.stats.payload_uploaded, static_cast<std::uint64_t>(metainfo.total_size));
    EXPECT_EQ(seed_status.stats.peers_connected_in, 1u);
}

TEST_F(SessionTransfer, LeecherDownloadsASingleFileTorrent) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "one.bin", {{"", 700'001}}, 16 * 1024, 2);
    ASSERT_FALSE(metainfo.multi_file);
    start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();

    ASSERT_TRUE(run_until_seeding({&leech}));
    // The leecher's folder holds the file and nothing else: the resume record is in the session's own folder.
    std::vector<std::string> entries;
    for (const auto& entry : std::filesystem::directory_iterator(leecher.path()))
        entries.push_back(entry.path().filename().string());
    EXPECT_EQ(entries, std::vector<std::string>{"one.bin"});
    const auto seeder_file = read_all(seeder.path() + "/one.bin");
    EXPECT_EQ(seeder_file.size(), 700'001u);
    EXPECT_EQ(read_all(leecher.path() + "/one.bin"), seeder_file);
    ASSERT_TRUE(
        stop_all());  // the record is saved in the background at completion, and at the latest at stop
    EXPECT_FALSE(std::filesystem::is_empty(leecher.records.path()));
}

TEST_F(SessionTransfer, TwoLeechersAndOneSeederAllComplete) {
    auto& seeder = add_node("seeder");
    auto& first = add_node("leecher 1");
    auto& second = add_node("leecher 2");
    const auto metainfo = make_torrent(seeder.path(), "content",
                                       {{"x/big.bin", 2 * 1024 * 1024}, {"y.bin", 123'457}}, 16 * 1024, 3);
    start_seeding(seeder, metainfo);
    auto& one = add_torrent(first, metainfo);
    auto& two = add_torrent(second, metainfo);
    one.add_peers({seeder.endpoint()}, true);
    two.add_peers({seeder.endpoint()}, true);
    one.start();
    two.start();
    // Once both check, the second knows the first as well: a leecher still checking would turn it away.
    ASSERT_TRUE(run_until(
        [&] { return one.status().state != State::checking && two.status().state != State::checking; },
        "both leechers checked"));
    two.add_peers({first.endpoint()}, true);

    ASSERT_TRUE(run_until_seeding({&one, &two}));
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", first.path() + "/content"));
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", second.path() + "/content"));
    for (const auto* torrent : {&one, &two}) {
        const auto status = torrent->status();
        EXPECT_EQ(status.pieces_have, metainfo.num_pieces());
        EXPECT_EQ(status.stats.hash_failures, 0u);
    }
}

TEST_F(SessionTransfer, StatesGoFromStoppedThroughCheckingDownloadingSeedingToStopped) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kMultiFile, kPiece, 4);
    auto& seed = start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(run_until_seeding({&leech}));

    // Added stopped; start() checks first.
    EXPECT_EQ(states(seed), (std::vector{State::stopped, State::checking, State::seeding}))
        << describe(states(seed));
    EXPECT_EQ(states(leech),
              (std::vector{State::stopped, State::checking, State::downloading, State::seeding}))
        << describe(states(leech));
    ASSERT_TRUE(stop_all());
    EXPECT_EQ(states(seed), (std::vector{State::stopped, State::checking, State::seeding, State::stopped}))
        << describe(states(seed));
    EXPECT_EQ(states(leech), (std::vector{State::stopped, State::checking, State::downloading, State::seeding,
                                          State::stopped}))
        << describe(states(leech));
}

// The rates are the average of the last three one-second ticks: a transfer shows in them, and three ticks
// after its last byte they are 0 again (the exponential average they replace took most of a minute).
TEST_F(SessionTransfer, RatesFallToZeroThreeTicksAfterTheLastByte) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "one.bin", {{"", 1024 * 1024}}, 16 * 1024, 5);
    auto& seed = start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(run_until_seeding({&leech}));
    ASSERT_TRUE(run_until([&] { return leech.status().download_rate > 0 && seed.status().upload_rate > 0; },
                          "the transfer in both rates", 3s));
    ASSERT_TRUE(run_until([&] { return leech.status().download_rate == 0 && seed.status().upload_rate == 0; },
                          "both rates back to 0", 5s));
}

}  // namespace
}  // namespace bt::session::test
