#include "daemon/state_file.hpp"

#include <gtest/gtest.h>

namespace bt::daemon {
namespace {

TorrentRecord sample(rpc::TorrentId id) {
    TorrentRecord r;
    r.id = id;
    r.hash = std::string(40, 'a');
    r.magnet = "magnet:?xt=urn:btih:" + r.hash;
    r.download_dir = "/srv/d";
    r.paused = true;
    r.added_date = 1'700'000'000;
    r.done_date = 1'700'000'100;
    r.file_priorities = {0, 2, 3};
    r.download_limit = 512;
    r.download_limited = true;
    r.upload_limit = 64;
    r.seed_ratio_mode = 1;
    r.seed_ratio_limit = 1.5;
    r.seed_idle_mode = 2;
    r.seed_idle_limit = 90;
    r.peer_limit = 30;
    r.sequential = true;
    r.downloaded_before = 5'000'000'000;
    r.uploaded_before = 7;
    r.corrupt_before = 3;
    r.have_valid = 1000;
    r.size_when_done = 4000;
    r.left_until_done = 3000;
    return r;
}

TEST(StateFile, EveryFieldSurvivesARoundTrip) {
    DaemonState state;
    state.next_id = 9;
    state.torrents = {sample(3), sample(8)};
    state.torrents[1].hash = std::string(40, 'b');
    state.cumulative = {.uploaded_bytes = 11,
                        .downloaded_bytes = 12,
                        .files_added = 2,
                        .session_count = 4,
                        .seconds_active = 99};
    auto back = decode_state(encode_state(state));
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->next_id, 9);
    ASSERT_EQ(back->torrents.size(), 2u);
    const auto& r = back->torrents[0];
    const auto want = sample(3);
    EXPECT_EQ(r.id, want.id);
    EXPECT_EQ(r.hash, want.hash);
    EXPECT_EQ(r.magnet, want.magnet);
    EXPECT_EQ(r.download_dir, want.download_dir);
    EXPECT_EQ(r.paused, want.paused);
    EXPECT_EQ(r.added_date, want.added_date);
    EXPECT_EQ(r.done_date, want.done_date);
    EXPECT_EQ(r.file_priorities, want.file_priorities);
    EXPECT_EQ(r.download_limit, want.download_limit);
    EXPECT_EQ(r.download_limited, want.download_limited);
    EXPECT_EQ(r.upload_limit, want.upload_limit);
    EXPECT_EQ(r.seed_ratio_mode, want.seed_ratio_mode);
    EXPECT_DOUBLE_EQ(r.seed_ratio_limit, want.seed_ratio_limit);
    EXPECT_EQ(r.seed_idle_mode, want.seed_idle_mode);
    EXPECT_EQ(r.seed_idle_limit, want.seed_idle_limit);
    EXPECT_EQ(r.peer_limit, want.peer_limit);
    EXPECT_EQ(r.sequential, want.sequential);
    EXPECT_EQ(r.downloaded_before, want.downloaded_before);
    EXPECT_EQ(r.uploaded_before, want.uploaded_before);
    EXPECT_EQ(r.corrupt_before, want.corrupt_before);
    EXPECT_EQ(r.have_valid, want.have_valid);
    EXPECT_EQ(r.size_when_done, want.size_when_done);
    EXPECT_EQ(r.left_until_done, want.left_until_done);
    EXPECT_EQ(back->torrents[1].hash, std::string(40, 'b'));
    EXPECT_EQ(back->cumulative.seconds_active, 99);
    EXPECT_EQ(back->cumulative.session_count, 4);
}

TEST(StateFile, TheNextIdIsNeverOneAlreadyGiven) {
    auto back =
        decode_state(R"({"nextId":2,"torrents":[{"id":5,"hash":")" + std::string(40, 'c') + R"("}]})");
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->next_id, 6);
    back = decode_state(R"({"torrents":[{"id":7,"hash":")" + std::string(40, 'c') + R"("}],"nextId":3})");
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->next_id, 8) << "wherever nextId stands";
}

TEST(StateFile, UnknownKeysAreIgnoredAndMissingOnesTakeDefaults) {
    auto back = decode_state(R"({"future":1,"torrents":[{"id":1,"hash":")" + std::string(40, 'd') +
                             R"(","newer":{"x":[]}}]})");
    ASSERT_TRUE(back) << back.error();
    ASSERT_EQ(back->torrents.size(), 1u);
    EXPECT_FALSE(back->torrents[0].paused);
    EXPECT_EQ(back->torrents[0].seed_ratio_mode, 0);
}

TEST(StateFile, BrokenFilesFailWithOneLine) {
    for (const char* text : {"",
                             "[]",
                             "{",
                             "{\"torrents\":{}}",
                             "{\"nextId\":\"x\"}",
                             "{\"torrents\":[{\"id\":1,\"hash\":\"short\"}]}",
                             "{\"torrents\":[{\"id\":\"1\",\"hash\":\"\"}]}",
                             "{\"torrents\":[{\"paused\":3}]}",
                             "{\"torrents\":5}",
                             "{\"torrents\":[5]}",
                             "{\"torrents\":[[]]}",
                             "{\"torrents\":[{\"filePriorities\":{}}]}",
                             "{\"torrents\":[{\"filePriorities\":[\"x\"]}]}",
                             "{\"torrents\":[{\"id\":1e300}]}",
                             "{\"torrents\":[{\"peerLimit\":99999999999}]}",
                             "5",
                             "{} {}",
                             "{\"torrents\":[{\"hash\":{}}]}",
                             "{\"torrents\":null}",
                             "{\"torrents\":[{\"filePriorities\":[1,null]}]}",
                             "{\"torrents\":[{\"bandwidthPriority\":true}]}",
                             "null"}) {
        auto back = decode_state(text);
        ASSERT_FALSE(back) << text;
        EXPECT_EQ(back.error().find('\n'), std::string::npos) << back.error();
    }
}

TEST(StateFile, ValuesAreReadAsTheirFieldsWantThemAndOddOnesAreSkipped) {
    const auto hash = std::string(40, 'e');
    auto back =
        decode_state(R"({"cumulative":5,"nextId":3.0,"torrents":[{"id":2,"hash":")" + hash +
                     R"(","seedRatioLimit":3,"downloadLimit":2.9,"doneDate":null,"filePriorities":[1,2],)"
                     R"("newer":[{"a":[1,{"b":null}]}],"uploadedBefore":1e3}],"later":{"torrents":7}})");
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->cumulative.session_count, 0) << "not an object: ignored";
    const auto totals = decode_state(R"({"cumulative":{"uploadedBytes":5}})");
    ASSERT_TRUE(totals) << totals.error();
    EXPECT_EQ(totals->cumulative.uploaded_bytes, 5);
    EXPECT_EQ(totals->cumulative.session_count, 1) << "missing: the default of a record of totals";
    ASSERT_EQ(back->torrents.size(), 1u);
    const auto& r = back->torrents[0];
    EXPECT_DOUBLE_EQ(r.seed_ratio_limit, 3.0);
    EXPECT_EQ(r.download_limit, 2) << "truncated, as a cast would";
    EXPECT_EQ(r.done_date, 0) << "null keeps the default";
    EXPECT_EQ(r.file_priorities, (std::vector<int>{1, 2}));
    EXPECT_EQ(r.uploaded_before, 1000);
    EXPECT_EQ(back->next_id, 3);
}

TEST(StateFile, PathsThatAreNotUtf8AreSavedReplacedRatherThanFailingTheSave) {
    DaemonState state;
    state.torrents = {sample(1)};
    state.torrents[0].download_dir = "/srv/caf\xe9 \"quoted\"\n";
    const auto text = encode_state(state);
    auto back = decode_state(text);
    ASSERT_TRUE(back) << back.error() << "\n" << text;
    EXPECT_EQ(back->torrents[0].download_dir, "/srv/caf\xef\xbf\xbd \"quoted\"\n");
}

TEST(StateFile, TenThousandRecordsRoundTripInOrder) {
    DaemonState state;
    for (rpc::TorrentId id = 1; id <= 10'000; ++id) {
        state.torrents.push_back(sample(id));
        state.torrents.back().seed_ratio_limit = static_cast<double>(id) / 7;
    }
    auto back = decode_state(encode_state(state));
    ASSERT_TRUE(back) << back.error();
    ASSERT_EQ(back->torrents.size(), 10'000u);
    for (std::size_t i = 0; i < back->torrents.size(); ++i) {
        ASSERT_EQ(back->torrents[i].id, static_cast<rpc::TorrentId>(i + 1));
        ASSERT_DOUBLE_EQ(back->torrents[i].seed_ratio_limit, static_cast<double>(i + 1) / 7);
    }
    EXPECT_EQ(back->next_id, 10'001);

    std::string joined;
    std::size_t parts = 0;
    encode_state(state, [&](std::string_view part) {
        EXPECT_LE(part.size(), 80u * 1024) << "part " << parts;
        joined += part;
        ++parts;
    });
    EXPECT_EQ(joined, encode_state(state));
    EXPECT_GT(parts, 10u) << "megabytes of text in parts of about 64 KiB";
}

}  // namespace
}  // namespace bt::daemon
