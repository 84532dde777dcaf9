#include "cli/notices.hpp"

#include <gtest/gtest.h>

namespace bt::cli {
namespace {

StallFacts downloading() {
    StallFacts f;
    f.status.state = session::TorrentState::downloading;
    return f;
}

TEST(StallHint, NobodyToAskForPeers) {
    auto f = downloading();
    EXPECT_EQ(stall_hint(f), "no trackers, no DHT and no --peer: nobody to ask for peers");
    f.given_peers = 1;
    EXPECT_EQ(stall_hint(f), std::nullopt);
    f.given_peers = 0;
    f.has_trackers = true;
    EXPECT_EQ(stall_hint(f), std::nullopt) << "the trackers are being asked";
    f.has_trackers = false;
    f.dht = true;
    EXPECT_EQ(stall_hint(f), std::nullopt) << "the DHT is being asked";
}

TEST(StallHint, EncryptionPolicyNobodyAccepts) {
    auto f = downloading();
    f.given_peers = 3;
    f.status.peers_known = 3;
    f.policy = net::EncryptionPolicy::require;
    f.status.closed_our_mse = 3;
    EXPECT_EQ(stall_hint(f),
              "no peer accepted our encryption policy (3 closed the encrypted handshake: they may want "
              "plaintext; try --encryption prefer)");
    f.policy = net::EncryptionPolicy::disable;
    f.status.closed_our_mse = 0;
    f.status.closed_our_plaintext = 2;
    EXPECT_EQ(stall_hint(f),
              "no peer accepted our encryption policy (2 closed the plaintext handshake: they may require "
              "encryption; try --encryption prefer)");
    f.policy = net::EncryptionPolicy::prefer;
    f.status.closed_our_mse = 2;
    EXPECT_EQ(stall_hint(f),
              "no peer accepted a connection (2 closed the encrypted handshake, 2 the plaintext one)");
}

TEST(StallHint, TrackerErrorWhenNoPeerIsKnown) {
    auto f = downloading();
    f.has_trackers = true;
    f.status.tracker_error = "http://t/announce: connection refused";
    EXPECT_EQ(stall_hint(f), "http://t/announce: connection refused");
    f.status.peers_known = 4;
    EXPECT_EQ(stall_hint(f), std::nullopt) << "peers came from elsewhere";
}

TEST(StallHint, NothingWhileAPeerIsConnectedOrDialledOrWhenNotDownloading) {
    auto f = downloading();
    f.status.peers_connected = 1;
    EXPECT_EQ(stall_hint(f), std::nullopt);
    f.status.peers_connected = 0;
    f.dialling = true;
    f.status.peers_known = 3;
    f.status.closed_our_mse = 2;
    f.status.closed_our_plaintext = 2;
    EXPECT_EQ(stall_hint(f), std::nullopt) << "the third peer's dial may yet connect";
    f.dialling = false;
    EXPECT_NE(stall_hint(f), std::nullopt);
    for (auto state :
         {session::TorrentState::seeding, session::TorrentState::checking, session::TorrentState::stopped}) {
        f.status.state = state;
        EXPECT_EQ(stall_hint(f), std::nullopt) << session::state_name(state);
    }
}

TEST(HashFailureText, NamesTheFilesThePieceTouches) {
    metainfo::Metainfo m;
    m.name = "t";
    m.piece_length = 100;
    m.total_size = 350;
    m.files = {{{"a.bin"}, 150, 0},
               {{"pad"}, 50, 150, true},
               {{"sub", "b.bin"}, 100, 200},
               {{"c"}, 30, 300},
               {{"d"}, 20, 330}};
    EXPECT_EQ(hash_failure_text(m, PieceIndex{0}),
              "piece 0 of file a.bin failed its check: fetching it again");
    EXPECT_EQ(hash_failure_text(m, PieceIndex{1}),
              "piece 1 of file a.bin failed its check: fetching it again")
        << "the pad file is not named";
    EXPECT_EQ(hash_failure_text(m, PieceIndex{2}),
              "piece 2 of file sub/b.bin failed its check: fetching it again");
    EXPECT_EQ(hash_failure_text(m, PieceIndex{3}),
              "piece 3 of files c and d failed its check: fetching it again");
}

TEST(CheckReportText, SaysWhatTheCheckFoundAndHow) {
    session::TorrentStatus s;
    s.num_pieces = s.pieces_wanted = s.pieces_wanted_left = 1536;
    EXPECT_EQ(check_report_text(s, false, "/d/t"), "nothing on disk yet: 1536 pieces to download");
    EXPECT_EQ(check_report_text(s, true, "/d/t"),
              "no data found in /d/t: downloading it (did you mean another -d?)");
    s.pieces_have = 667;
    s.pieces_wanted_left = 1536 - 667;
    s.stats.pieces_from_disk = 667;
    s.stats.pieces_from_resume = 660;
    s.stats.files_rechecked = 2;
    EXPECT_EQ(check_report_text(s, false, "/d/t"),
              "resumed 667 of 1536 pieces (660 from the resume record, 7 by hashing 2 changed file(s)); 869 "
              "to download");
    s.stats.pieces_from_resume = 0;
    EXPECT_EQ(check_report_text(s, false, "/d/t"),
              "resumed 667 of 1536 pieces (by hashing the files); 869 to download");
    s.pieces_have = s.stats.pieces_from_disk = s.stats.pieces_from_resume = 1536;
    s.pieces_wanted_left = 0;
    EXPECT_EQ(check_report_text(s, true, "/d/t"), "all 1536 pieces on disk (from the resume record)");
    // Files skipped: what is asked for is the selected files' pieces.
    s.files_skipped = true;
    s.pieces_wanted = 300;
    EXPECT_EQ(check_report_text(s, false, "/d/t"),
              "the selected files are on disk (300 pieces, from the resume record)");
    s.pieces_have = s.stats.pieces_from_disk = s.stats.pieces_from_resume = 100;
    s.pieces_wanted_left = 200;
    EXPECT_EQ(check_report_text(s, false, "/d/t"),
              "resumed 100 of 1536 pieces (from the resume record); 200 to download (the selected files)");
}

TEST(DataLocation, OneSlashBetweenTheFolderAndTheName) {
    EXPECT_EQ(data_location("/srv/data", "album"), "/srv/data/album");
    EXPECT_EQ(data_location("/srv/data/", "album"), "/srv/data/album") << "-d completed by the shell";
    EXPECT_EQ(data_location("/srv/data//", "album"), "/srv/data/album");
    EXPECT_EQ(data_location("/", "album"), "/album");
    EXPECT_EQ(data_location("//", "album"), "/album");
    EXPECT_EQ(data_location(".", "album"), "./album");
    EXPECT_EQ(data_location("empty/", "x.iso"), "empty/x.iso");
}

TEST(MetainfoNotices, LinksOneByOneTheRestCounted) {
    metainfo::Metainfo m;
    m.name = "t";
    EXPECT_TRUE(metainfo_notices(m).empty());
    using K = metainfo::Note::Kind;
    for (int n = 0; n < 3; ++n) {
        m.notes.push_back({K::symlink_skipped, "info.files[1]", "t/l" + std::to_string(n), "t/etc",
                           "its target "
                           "is not in it"});
    }
    m.notes.push_back({K::renamed, "info.files[0].path", "t/../a", "t/a", "'..' dropped"});
    m.notes.push_back({K::duplicate, "info.files[2].path", "t/a", "t/a.1", "the same path as info.files[0]"});
    m.notes.push_back({K::field_ignored, "url-list[0]", {}, {}, "not a string"});
    EXPECT_EQ(metainfo_notices(m, 2),
              (std::vector<std::string>{"skipped the link 't/l0' to 't/etc': its target is not in it",
                                        "skipped the link 't/l1' to 't/etc': its target is not in it",
                                        "and 1 more links not created",
                                        "2 names changed and 1 field ignored to read it as libtorrent does "
                                        "(bitveil info lists them)"}));
}

}  // namespace
}  // namespace bt::cli
