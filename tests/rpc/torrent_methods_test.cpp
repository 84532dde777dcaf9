#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rpc/fake_backend.hpp"
#include "rpc/handler.hpp"

namespace bt::rpc {
namespace {

using nlohmann::json;
using testing::FakeBackend;

json call(FakeBackend& backend, const json& request, const FetchedUrl* fetched = nullptr) {
    const auto reply = handle(parse_request(request.dump()), backend, fetched);
    const auto parsed = json::parse(reply, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << reply;
    EXPECT_TRUE(parsed["arguments"].is_object()) << reply;
    return parsed;
}

json add(FakeBackend& backend, const json& arguments, const FetchedUrl* fetched = nullptr) {
    return call(backend, {{"method", "torrent-add"}, {"arguments", arguments}, {"tag", 8}}, fetched);
}

class RpcAdd : public ::testing::Test {
  protected:
    RpcAdd() {
        backend.next_add.outcome = AddResult::Outcome::added;
        backend.next_add.id = 5;
        backend.next_add.name = "new";
        backend.next_add.hash = std::string(40, 'a');
    }
    FakeBackend backend;
};

TEST_F(RpcAdd, MetainfoIsDecodedAndTheAddedTorrentReported) {
    const auto r =
        add(backend, {{"metainfo", "ZDQ6aW5mb2Rl\nZQ=="}, {"paused", true}, {"download-dir", "/data"}});
    EXPECT_EQ(r["result"], "success");
    EXPECT_EQ(r["tag"], 8);
    EXPECT_EQ(r["arguments"]["torrent-added"],
              (json{{"id", 5}, {"name", "new"}, {"hashString", std::string(40, 'a')}}));
    ASSERT_EQ(backend.add_requests.size(), 1u);
    const auto& request = backend.add_requests[0];
    EXPECT_EQ(request.metainfo, "d4:infodee");
    EXPECT_EQ(request.paused, true);
    EXPECT_EQ(request.download_dir, "/data");
    EXPECT_TRUE(request.magnet.empty() && request.path.empty());
}

TEST_F(RpcAdd, DuplicateIsASuccessWithItsOwnKey) {
    backend.next_add.outcome = AddResult::Outcome::duplicate;
    const auto r = add(backend, {{"filename", "magnet:?xt=urn:btih:" + std::string(40, 'a')}});
    EXPECT_EQ(r["result"], "success");
    EXPECT_EQ(r["arguments"]["torrent-duplicate"]["id"], 5);
    EXPECT_FALSE(r["arguments"].contains("torrent-added"));
}

TEST_F(RpcAdd, FailureCarriesTheBackendsError) {
    backend.next_add.outcome = AddResult::Outcome::failed;
    backend.next_add.error = "invalid or corrupt torrent file";
    EXPECT_EQ(add(backend, {{"metainfo", "Zm9v"}})["result"], "invalid or corrupt torrent file");
}

TEST_F(RpcAdd, FilenameIsAMagnetAHashOrAPath) {
    add(backend, {{"filename", "MAGNET:?xt=urn:btih:abc"}});
    add(backend, {{"filename", std::string(40, 'B')}});
    add(backend, {{"filename", "/srv/t.torrent"}, {"metainfo", "Zm9v"}});  // filename wins, as in 3.00
    ASSERT_EQ(backend.add_requests.size(), 3u);
    EXPECT_EQ(backend.add_requests[0].magnet, "MAGNET:?xt=urn:btih:abc");
    EXPECT_EQ(backend.add_requests[1].magnet, "magnet:?xt=urn:btih:" + std::string(40, 'b'));
    EXPECT_EQ(backend.add_requests[2].path, "/srv/t.torrent");
    EXPECT_TRUE(backend.add_requests[2].metainfo.empty());
}

TEST_F(RpcAdd, UrlNeedsTheDaemonsFetch) {
    const json arguments = {{"filename", "https://example.org/t.torrent"}};
    EXPECT_NE(add(backend, arguments)["result"], "success");
    const FetchedUrl other{"https://example.org/other", std::string("d4:infode"), ""};
    EXPECT_NE(add(backend, arguments, &other)["result"], "success");
    const FetchedUrl failed{"https://example.org/t.torrent", std::nullopt, "HTTP 404"};
    EXPECT_NE(add(backend, arguments, &failed)["result"].get<std::string>().find("HTTP 404"),
              std::string::npos);
    EXPECT_TRUE(backend.add_requests.empty());
    const FetchedUrl fetched{"https://example.org/t.torrent", std::string("d4:infode"), ""};
    EXPECT_EQ(add(backend, arguments, &fetched)["result"], "success");
    ASSERT_EQ(backend.add_requests.size(), 1u);
    EXPECT_EQ(backend.add_requests[0].metainfo, "d4:infode");
}

TEST_F(RpcAdd, RefusedRequestsReachNoBackend) {
    EXPECT_EQ(add(backend, json::object())["result"], "no filename or metainfo specified");
    EXPECT_EQ(add(backend, {{"filename", ""}})["result"], "no filename or metainfo specified");
    EXPECT_EQ(add(backend, {{"metainfo", "Zm9v"}, {"download-dir", "rel/dir"}})["result"],
              "download directory path is not absolute");
    EXPECT_EQ(add(backend, {{"metainfo", "not base64!"}})["result"], "invalid or corrupt torrent file");
    EXPECT_EQ(add(backend, {{"metainfo", ""}})["result"], "invalid or corrupt torrent file");
    EXPECT_NE(add(backend, {{"metainfo", "Zm9v"}, {"files-wanted", {-1}}})["result"], "success");
    EXPECT_TRUE(backend.add_requests.empty());
}

TEST_F(RpcAdd, FileChoicesArePassedOn) {
    add(backend,
        {{"metainfo", "Zm9v"}, {"files-unwanted", {1, 2}}, {"priority-high", {0}}, {"priority-low", {3}}});
    ASSERT_EQ(backend.add_requests.size(), 1u);
    EXPECT_EQ(backend.add_requests[0].files_unwanted, (std::vector<int>{1, 2}));
    EXPECT_EQ(backend.add_requests[0].priority_high, (std::vector<int>{0}));
    EXPECT_EQ(backend.add_requests[0].priority_low, (std::vector<int>{3}));
}

TEST(RpcActions, EachMethodReachesItsBackendCall) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    backend.add_torrent(2, "two");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"torrent-start", "start"},       {"torrent-start-now", "start-now"},   {"torrent-stop", "stop"},
        {"torrent-verify", "verify"},     {"torrent-reannounce", "reannounce"}, {"torrent-remove", "remove"},
        {"queue-move-top", "queue-move"},
    };
    for (const auto& [method, expected] : cases) {
        backend.calls.clear();
        const auto r = call(backend, {{"method", method}, {"arguments", {{"ids", {2}}}}});
        EXPECT_EQ(r["result"], "success") << method;
        EXPECT_EQ(backend.calls, (std::vector<std::string>{expected})) << method;
        EXPECT_EQ(backend.last_ids, (std::vector<TorrentId>{2})) << method;
    }
    // transmission-remote's -S: a bare id and no tag.
    const auto r = call(backend, json::parse(R"({"arguments":{"ids":1},"method":"torrent-stop"})"));
    EXPECT_EQ(r["result"], "success");
    EXPECT_FALSE(r.contains("tag"));
    EXPECT_EQ(backend.last_ids, (std::vector<TorrentId>{1}));
}

TEST(RpcActions, RemoveKeepsOrDeletesData) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    call(backend,
         json::parse(R"({"arguments":{"delete-local-data":false,"ids":1},"method":"torrent-remove"})"));
    EXPECT_FALSE(backend.last_delete_data);
    call(backend,
         json::parse(R"({"arguments":{"delete-local-data":true,"ids":1},"method":"torrent-remove"})"));
    EXPECT_TRUE(backend.last_delete_data);
}

TEST(RpcActions, QueueMovesMapToTheirDirection) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    const std::vector<std::pair<std::string, QueueMove>> cases = {{"queue-move-top", QueueMove::top},
                                                                  {"queue-move-up", QueueMove::up},
                                                                  {"queue-move-down", QueueMove::down},
                                                                  {"queue-move-bottom", QueueMove::bottom}};
    for (const auto& [method, move] : cases) {
        call(backend, {{"method", method}, {"arguments", {{"ids", 1}}}});
        EXPECT_EQ(backend.last_queue_move, move) << method;
    }
}

TEST(RpcActions, SetLocationNeedsAnAbsolutePath) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    auto r = call(backend, {{"method", "torrent-set-location"},
                            {"arguments", {{"ids", 1}, {"location", "/new"}, {"move", true}}}});
    EXPECT_EQ(r["result"], "success");
    EXPECT_EQ(backend.last_location, "/new");
    EXPECT_TRUE(backend.last_move);
    r = call(backend, {{"method", "torrent-set-location"}, {"arguments", {{"ids", 1}, {"location", "new"}}}});
    EXPECT_NE(r["result"], "success");
    r = call(backend, {{"method", "torrent-set-location"}, {"arguments", {{"ids", 1}}}});
    EXPECT_NE(r["result"], "success");
    EXPECT_EQ(backend.calls.size(), 1u);
}

TEST(RpcSet, TransmissionsKeysBecomeTorrentChanges) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    const auto r = call(backend, {{"method", "torrent-set"},
                                  {"arguments",
                                   {{"ids", {1}},
                                    {"files-unwanted", {1}},
                                    {"priority-high", {0}},
                                    {"downloadLimit", 300},
                                    {"downloadLimited", true},
                                    {"uploadLimit", 20},
                                    {"uploadLimited", 0},
                                    {"bandwidthPriority", -1},
                                    {"seedRatioMode", 1},
                                    {"seedRatioLimit", 1.5},
                                    {"seedIdleMode", 2},
                                    {"seedIdleLimit", 45},
                                    {"peer-limit", 80},
                                    {"honorsSessionLimits", true},
                                    {"location", "/ignored"},
                                    {"bitveil-sequential", true}}}});
    ASSERT_EQ(r["result"], "success");
    ASSERT_EQ(backend.set_calls.size(), 1u);
    const auto& c = backend.set_calls[0];
    EXPECT_EQ(c.files_unwanted, (std::vector<int>{1}));
    EXPECT_EQ(c.priority_high, (std::vector<int>{0}));
    EXPECT_TRUE(c.files_wanted.empty());
    EXPECT_EQ(c.download_limit, 300);
    EXPECT_EQ(c.download_limited, true);
    EXPECT_EQ(c.upload_limit, 20);
    EXPECT_EQ(c.upload_limited, false);
    EXPECT_EQ(c.bandwidth_priority, -1);
    EXPECT_EQ(c.seed_ratio_mode, 1);
    EXPECT_EQ(c.seed_ratio_limit, 1.5);
    EXPECT_EQ(c.seed_idle_mode, 2);
    EXPECT_EQ(c.seed_idle_limit, 45);
    EXPECT_EQ(c.peer_limit, 80);
    EXPECT_EQ(c.sequential, true);
}

TEST(RpcSet, AnEmptyFileListMeansEveryFileOfEachTorrent) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    auto& three = backend.add_torrent(2, "three files");
    three.files.push_back({"three files/c", 1, 0, 0, true});
    const auto r = call(backend, {{"method", "torrent-set"},
                                  {"arguments", {{"files-wanted", json::array()}, {"priority-low", {0}}}}});
    ASSERT_EQ(r["result"], "success");
    ASSERT_EQ(backend.set_calls.size(), 2u);
    EXPECT_EQ(backend.set_ids[0], (std::vector<TorrentId>{1}));
    EXPECT_EQ(backend.set_calls[0].files_wanted, (std::vector<int>{0, 1}));
    EXPECT_EQ(backend.set_calls[1].files_wanted, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(backend.set_calls[1].priority_low, (std::vector<int>{0}));
}

TEST(RpcSet, RefusalsChangeNothing) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    for (const json& arguments : {json{{"bandwidthPriority", 2}}, json{{"seedRatioMode", 3}},
                                  json{{"trackerAdd", {"http://t/announce"}}}, json{{"peer-limit", -1}},
                                  json{{"downloadLimit", 1}, {"uploadLimited", "maybe"}}}) {
        const auto r = call(backend, {{"method", "torrent-set"}, {"arguments", arguments}});
        EXPECT_NE(r["result"], "success") << arguments.dump();
    }
    EXPECT_TRUE(backend.set_calls.empty());
    backend.set_error = "no such file";
    EXPECT_EQ(call(backend, {{"method", "torrent-set"}, {"arguments", {{"files-wanted", {7}}}}})["result"],
              "no such file");
}

}  // namespace
}  // namespace bt::rpc
