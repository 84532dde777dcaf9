#include "rpc/handler.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "rpc/fake_backend.hpp"
#include "rpc/torrent_fields.hpp"

namespace bt::rpc {
namespace {

using nlohmann::json;
using testing::FakeBackend;

json call(FakeBackend& backend, const std::string& body) {
    const auto reply = handle(body, backend);
    auto parsed = json::parse(reply, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << reply;
    EXPECT_TRUE(parsed["arguments"].is_object()) << reply;
    EXPECT_TRUE(parsed["result"].is_string()) << reply;
    return parsed;
}

json torrent_get(FakeBackend& backend, const json& arguments) {
    return call(backend, json{{"method", "torrent-get"}, {"arguments", arguments}, {"tag", 7}}.dump());
}

// The real-typed fields of Transmission 3.00; every other number must be a JSON integer.
const std::set<std::string> kRealFields = {
    "uploadRatio", "percentDone", "recheckProgress", "metadataPercentComplete", "seedRatioLimit", "progress"};

void expect_integers_where_due(const json& value, const std::string& name = "") {
    if (value.is_number() && !kRealFields.contains(name)) {
        EXPECT_TRUE(value.is_number_integer()) << name << " is " << value.dump();
    }
    if (value.is_object()) {
        for (const auto& [key, element] : value.items()) expect_integers_where_due(element, key);
    }
    if (value.is_array()) {
        for (const auto& element : value) expect_integers_where_due(element, name);
    }
}

// transmission-remote 3.00, as observed on the wire (spec §3).
constexpr const char* kListRequest =
    R"({"arguments":{"fields":["error","errorString","eta","id","isFinished","leftUntilDone","name",)"
    R"("peersGettingFromUs","peersSendingToUs","rateDownload","rateUpload","sizeWhenDone","status",)"
    R"("uploadRatio"]},"method":"torrent-get","tag":4})";

const std::vector<std::string> kInfoFields = {"activityDate",
                                              "addedDate",
                                              "bandwidthPriority",
                                              "comment",
                                              "corruptEver",
                                              "creator",
                                              "dateCreated",
                                              "desiredAvailable",
                                              "doneDate",
                                              "downloadDir",
                                              "downloadedEver",
                                              "downloadLimit",
                                              "downloadLimited",
                                              "error",
                                              "errorString",
                                              "eta",
                                              "hashString",
                                              "haveUnchecked",
                                              "haveValid",
                                              "honorsSessionLimits",
                                              "id",
                                              "isFinished",
                                              "isPrivate",
                                              "labels",
                                              "leftUntilDone",
                                              "magnetLink",
                                              "name",
                                              "peersConnected",
                                              "peersGettingFromUs",
                                              "peersSendingToUs",
                                              "peer-limit",
                                              "pieceCount",
                                              "pieceSize",
                                              "rateDownload",
                                              "rateUpload",
                                              "recheckProgress",
                                              "secondsDownloading",
                                              "secondsSeeding",
                                              "seedRatioMode",
                                              "seedRatioLimit",
                                              "sizeWhenDone",
                                              "startDate",
                                              "status",
                                              "totalSize",
                                              "uploadedEver",
                                              "uploadLimit",
                                              "uploadLimited",
                                              "webseeds",
                                              "webseedsSendingToUs"};

// The 3.00 web UI's Torrent.Fields.Stats (24).
const std::vector<std::string> kWebStats = {"error",
                                            "errorString",
                                            "eta",
                                            "isFinished",
                                            "isStalled",
                                            "leftUntilDone",
                                            "metadataPercentComplete",
                                            "peersConnected",
                                            "peersGettingFromUs",
                                            "peersSendingToUs",
                                            "percentDone",
                                            "queuePosition",
                                            "rateDownload",
                                            "rateUpload",
                                            "recheckProgress",
                                            "seedRatioMode",
                                            "seedRatioLimit",
                                            "sizeWhenDone",
                                            "status",
                                            "trackers",
                                            "downloadDir",
                                            "uploadedEver",
                                            "uploadRatio",
                                            "webseedsSendingToUs"};

std::vector<std::string> web_startup_fields() {
    std::vector<std::string> fields = {"id", "addedDate", "name", "totalSize"};
    fields.insert(fields.end(), kWebStats.begin(), kWebStats.end());
    return fields;
}

TEST(RpcList, TransmissionRemoteListGetsEveryFieldWithItsType) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    backend.add_torrent(2, "two").error = ErrorKind::local_error;
    const auto reply = handle(kListRequest, backend);
    EXPECT_EQ(reply.find(".0,"), std::string::npos) << "an integer written as a real: " << reply;
    const auto r = json::parse(reply);
    EXPECT_EQ(r["result"], "success");
    ASSERT_TRUE(r["tag"].is_number_integer());
    EXPECT_EQ(r["tag"], 4);
    const auto& torrents = r["arguments"]["torrents"];
    ASSERT_EQ(torrents.size(), 2u);
    for (const auto& t : torrents) {
        EXPECT_EQ(t.size(), 14u);
        for (const char* name :
             {"error", "eta", "id", "leftUntilDone", "peersGettingFromUs", "peersSendingToUs", "rateDownload",
              "rateUpload", "sizeWhenDone", "status"}) {
            ASSERT_TRUE(t.contains(name)) << name;
            EXPECT_TRUE(t[name].is_number_integer()) << name;
        }
        EXPECT_TRUE(t["name"].is_string());
        EXPECT_TRUE(t["errorString"].is_string());
        EXPECT_TRUE(t["isFinished"].is_boolean());
        EXPECT_TRUE(t["uploadRatio"].is_number_float());
    }
    EXPECT_EQ(torrents[0]["uploadRatio"], 0.5);
    EXPECT_EQ(torrents[0]["status"], 4);
    EXPECT_EQ(torrents[1]["error"], 3);
    EXPECT_TRUE(r["arguments"].find("removed") == r["arguments"].end());
}

TEST(RpcList, InfoGetsAllFortyNineFields) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    backend.add_torrent(2, "two");
    const auto r = torrent_get(backend, {{"ids", 1}, {"fields", kInfoFields}});
    ASSERT_EQ(r["arguments"]["torrents"].size(), 1u);
    const auto& t = r["arguments"]["torrents"][0];
    EXPECT_EQ(t.size(), 49u);
    for (const auto& name : kInfoFields) EXPECT_TRUE(t.contains(name)) << name;
    expect_integers_where_due(t);
    EXPECT_TRUE(t["labels"].is_array());
    EXPECT_TRUE(t["webseeds"].is_array());
    EXPECT_TRUE(t["seedRatioLimit"].is_number_float());
    EXPECT_EQ(t["hashString"], backend.views[0].hash);
    EXPECT_EQ(t["honorsSessionLimits"], true);
}

TEST(RpcList, DetailIsAskedOnlyForTheFieldsThatNeedIt) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    torrent_get(backend, {{"fields", kInfoFields}});
    ASSERT_EQ(backend.detail_requests.size(), 1u);
    EXPECT_FALSE(backend.detail_requests[0].files || backend.detail_requests[0].peers);
    EXPECT_FALSE(backend.detail_requests[0].trackers);

    torrent_get(backend, {{"fields", {"id", "trackers"}}});
    EXPECT_TRUE(backend.detail_requests.back().trackers);
    EXPECT_FALSE(backend.detail_requests.back().files);
    torrent_get(backend, {{"fields", {"wanted"}}});
    EXPECT_TRUE(backend.detail_requests.back().files);
    torrent_get(backend, {{"fields", {"peersFrom"}}});
    EXPECT_TRUE(backend.detail_requests.back().peers);
    EXPECT_FALSE(backend.detail_requests.back().magnet);
    torrent_get(backend, {{"fields", {"id", "magnetLink"}}});
    EXPECT_TRUE(backend.detail_requests.back().magnet);
    EXPECT_FALSE(backend.detail_requests.back().files || backend.detail_requests.back().trackers);
}

TEST(RpcList, FilesPeersAndTrackersHaveTransmissionsShapes) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    const auto r = torrent_get(
        backend, {{"fields",
                   {"files", "fileStats", "priorities", "wanted", "peers", "peersFrom", "trackers",
                    "trackerStats", "fileCount", "bitveil-peers-by-kind", "bitveil-handshake-failures"}}});
    const auto& t = r["arguments"]["torrents"][0];
    expect_integers_where_due(t);
    EXPECT_EQ(t["files"][1], (json{{"bytesCompleted", 150}, {"length", 400}, {"name", "one/b"}}));
    EXPECT_EQ(t["fileStats"][1], (json{{"bytesCompleted", 150}, {"priority", 1}, {"wanted", false}}));
    EXPECT_EQ(t["priorities"], (json{0, 1}));
    EXPECT_EQ(t["wanted"], (json{1, 0}));
    EXPECT_TRUE(t["wanted"][0].is_number_integer());
    EXPECT_EQ(t["fileCount"], 2);
    ASSERT_EQ(t["peers"].size(), 2u);
    const auto& rc4 = t["peers"][0];
    EXPECT_EQ(rc4["address"], "10.0.0.1");
    EXPECT_EQ(rc4["port"], 6881);
    EXPECT_EQ(rc4["isEncrypted"], true);
    EXPECT_EQ(rc4["isUTP"], false);
    EXPECT_EQ(rc4["bitveil-kind"], "mse-rc4");
    EXPECT_EQ(rc4["isDownloadingFrom"], true);
    EXPECT_EQ(rc4["flagStr"], "DE");
    EXPECT_TRUE(rc4["progress"].is_number_float());
    const auto& plain = t["peers"][1];
    EXPECT_EQ(plain["isEncrypted"], false);
    EXPECT_EQ(plain["isUploadingTo"], true);
    EXPECT_EQ(plain["flagStr"], "UI");
    EXPECT_EQ(t["peersFrom"]["fromIncoming"], 1);
    EXPECT_EQ(t["trackers"][0], (json{{"announce", "http://tracker.example:8080/announce"},
                                      {"id", 0},
                                      {"scrape", "http://tracker.example:8080/scrape"},
                                      {"tier", 0}}));
    const auto& stats = t["trackerStats"][0];
    EXPECT_EQ(stats["seederCount"], 3);
    EXPECT_EQ(stats["host"], "http://tracker.example:8080");
    EXPECT_EQ(stats["hasAnnounced"], true);
    EXPECT_EQ(t["bitveil-peers-by-kind"], (json{{"plaintext", 0}, {"mse-rc4", 0}, {"mse-header-only", 0}}));
    EXPECT_TRUE(t["bitveil-handshake-failures"].is_object());
}

TEST(RpcList, UnknownFieldsAreSkippedAndMissingFieldsRefused) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    const auto r = torrent_get(backend, {{"fields", {"id", "no-such-field", 5, "id"}}});
    EXPECT_EQ(r["arguments"]["torrents"][0], (json{{"id", 1}}));
    EXPECT_EQ(torrent_get(backend, json::object())["result"], "no fields specified");
    EXPECT_NE(torrent_get(backend, {{"fields", "id"}})["result"], "success");
}

TEST(RpcList, TableFormatPutsNamesFirst) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    backend.add_torrent(2, "two");
    const auto r = torrent_get(backend, {{"fields", {"name", "id", "percentDone"}}, {"format", "table"}});
    EXPECT_EQ(r["arguments"]["torrents"],
              (json{{"name", "id", "percentDone"}, {"one", 1, 0.75}, {"two", 2, 0.75}}));
}

TEST(RpcList, PercentDoneAndRatioFollowTransmission) {
    FakeBackend backend;
    auto& magnet = backend.add_torrent(1, "magnet");
    magnet.has_metadata = false;
    magnet.metadata_percent = 0.25;
    magnet.size_when_done = magnet.left_until_done = magnet.total_size = 0;
    magnet.downloaded_ever = magnet.uploaded_ever = magnet.have_valid = 0;
    auto& seed = backend.add_torrent(2, "seed");
    seed.left_until_done = 0;
    seed.downloaded_ever = 0;
    seed.have_valid = 1000;
    seed.uploaded_ever = 2000;
    const auto r =
        torrent_get(backend, {{"fields", {"percentDone", "uploadRatio", "metadataPercentComplete"}}});
    const auto& t = r["arguments"]["torrents"];
    EXPECT_EQ(t[0]["percentDone"], 0.0);
    EXPECT_EQ(t[0]["uploadRatio"], -1.0);
    EXPECT_EQ(t[0]["metadataPercentComplete"], 0.25);
    EXPECT_EQ(t[1]["percentDone"], 1.0);
    EXPECT_EQ(t[1]["uploadRatio"], 2.0);
    EXPECT_EQ(t[1]["metadataPercentComplete"], 1.0);
}

TEST(RpcIds, EveryFormSelectsTheSameTorrents) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    backend.add_torrent(2, "two");
    backend.add_torrent(3, "three");
    auto hash2 = backend.views[1].hash;
    std::transform(hash2.begin(), hash2.end(), hash2.begin(), ::toupper);
    const auto ids_of = [&](const json& ids) {
        json arguments = {{"fields", {"id"}}};
        if (!ids.is_null()) arguments["ids"] = ids;
        const auto reply = torrent_get(backend, arguments);
        std::vector<int> out;
        for (const auto& t : reply["arguments"]["torrents"]) out.push_back(t["id"]);
        return out;
    };
    EXPECT_EQ(ids_of(nullptr), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(ids_of(2), (std::vector<int>{2}));
    EXPECT_EQ(ids_of(json{1, 2}), (std::vector<int>{1, 2}));
    EXPECT_EQ(ids_of(hash2), (std::vector<int>{2}));
    EXPECT_EQ(ids_of(json{hash2, 3, 2}), (std::vector<int>{2, 3}));
    EXPECT_EQ(ids_of(json{99, "nothex", true}), (std::vector<int>{}));
    EXPECT_EQ(ids_of(42), (std::vector<int>{}));
    EXPECT_NE(torrent_get(backend, {{"fields", {"id"}}, {"ids", {{"a", 1}}}})["result"], "success");
}

TEST(RpcIds, RecentlyActiveListsChangedTorrentsAndRemovedIds) {
    FakeBackend backend;
    backend.add_torrent(1, "fresh");
    backend.add_torrent(2, "quiet").changed_date = backend.clock - 61;
    backend.add_torrent(3, "edge").changed_date = backend.clock - 60;
    backend.removed_at = {{7, backend.clock - 5}, {8, backend.clock - 600}};
    auto r = torrent_get(backend, {{"ids", "recently-active"}, {"fields", {"id"}}});
    EXPECT_EQ(r["arguments"]["torrents"], (json{{{"id", 1}}, {{"id", 3}}}));
    EXPECT_EQ(r["arguments"]["removed"], (json{7}));
    EXPECT_EQ(backend.detail_requests.size(), 1u) << "views reused when no Detail is needed";

    r = torrent_get(backend, {{"ids", "recently-active"}, {"fields", {"id", "trackers"}}});
    EXPECT_EQ(r["arguments"]["torrents"].size(), 2u);
    EXPECT_EQ(r["arguments"]["torrents"][0]["trackers"].size(), 1u);

    r = call(backend, R"({"method":"torrent-stop","arguments":{"ids":"recently-active"}})");
    EXPECT_EQ(backend.last_ids, (std::vector<TorrentId>{1, 3}));
}

TEST(RpcWebUi, StartupRequestsAnswerWhatTheUiDereferences) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    auto& magnet = backend.add_torrent(2, "magnet");
    magnet.trackers.clear();
    // session-get, synchronous, no fields.
    auto r = call(backend, R"({"method":"session-get"})");
    ASSERT_EQ(r["result"], "success");
    const auto& s = r["arguments"];
    for (const char* key : {"alt-speed-down",
                            "alt-speed-time-begin",
                            "alt-speed-time-day",
                            "alt-speed-time-enabled",
                            "alt-speed-time-end",
                            "alt-speed-up",
                            "blocklist-enabled",
                            "blocklist-size",
                            "blocklist-url",
                            "dht-enabled",
                            "download-dir",
                            "encryption",
                            "idle-seeding-limit",
                            "idle-seeding-limit-enabled",
                            "lpd-enabled",
                            "peer-limit-global",
                            "peer-limit-per-torrent",
                            "peer-port",
                            "peer-port-random-on-start",
                            "pex-enabled",
                            "port-forwarding-enabled",
                            "rename-partial-files",
                            "seedRatioLimit",
                            "seedRatioLimited",
                            "speed-limit-down",
                            "speed-limit-down-enabled",
                            "speed-limit-up",
                            "speed-limit-up-enabled",
                            "start-added-torrents",
                            "utp-enabled",
                            "version",
                            "rpc-version",
                            "rpc-version-minimum",
                            "config-dir",
                            "cache-size-mb",
                            "alt-speed-enabled",
                            "trash-original-torrent-files",
                            "session-id",
                            "units",
                            "download-dir-free-space",
                            "incomplete-dir",
                            "incomplete-dir-enabled",
                            "script-torrent-done-enabled",
                            "script-torrent-done-filename",
                            "download-queue-enabled",
                            "download-queue-size",
                            "seed-queue-enabled",
                            "seed-queue-size",
                            "queue-stalled-enabled",
                            "queue-stalled-minutes",
                            "bitveil-encryption",
                            "bitveil-handshake-failures"}) {
        EXPECT_TRUE(s.contains(key)) << key;
    }
    expect_integers_where_due(s);
    EXPECT_TRUE(s["blocklist-size"].is_number_integer());
    EXPECT_EQ(s["rpc-version"], 16);
    EXPECT_EQ(s["rpc-version-minimum"], 14);
    EXPECT_EQ(s["version"], "bitveil 0.1.0");
    EXPECT_EQ(s["units"]["speed-bytes"], 1000);
    EXPECT_EQ(s["units"]["memory-bytes"], 1024);
    EXPECT_EQ(s["units"]["speed-units"], (json{"kB/s", "MB/s", "GB/s", "TB/s"}));

    r = call(backend, R"({"method":"session-stats"})");
    for (const char* key : {"current-stats", "cumulative-stats"}) {
        for (const char* total :
             {"uploadedBytes", "downloadedBytes", "filesAdded", "sessionCount", "secondsActive"})
            EXPECT_TRUE(r["arguments"][key][total].is_number_integer()) << key << "." << total;
    }
    for (const char* key :
         {"torrentCount", "activeTorrentCount", "pausedTorrentCount", "downloadSpeed", "uploadSpeed"})
        EXPECT_TRUE(r["arguments"][key].is_number_integer()) << key;

    r = torrent_get(backend, {{"fields", web_startup_fields()}});
    ASSERT_EQ(r["arguments"]["torrents"].size(), 2u);
    for (const auto& t : r["arguments"]["torrents"]) {
        EXPECT_EQ(t.size(), 28u);
        EXPECT_TRUE(t["trackers"].is_array());
        EXPECT_EQ(t["metadataPercentComplete"], 1.0);
        expect_integers_where_due(t);
    }
    EXPECT_EQ(r["arguments"]["torrents"][0]["trackers"][0]["announce"],
              "http://tracker.example:8080/announce");
    EXPECT_TRUE(r["arguments"]["torrents"][1]["trackers"].empty());

    r = call(backend, R"({"method":"free-space","arguments":{"path":"/srv/downloads"}})");
    EXPECT_EQ(r["arguments"], (json{{"path", "/srv/downloads"}, {"size-bytes", 123456789}}));
}

TEST(RpcWebUi, TwoThousandTorrentsWithTheWebFields) {
    FakeBackend backend;
    for (int id = 1; id <= 2000; ++id) backend.add_torrent(id, "torrent " + std::to_string(id));
    const auto body =
        json{{"method", "torrent-get"}, {"arguments", {{"fields", web_startup_fields()}}}}.dump();
    const auto reply = handle(body, backend);
    const auto r = json::parse(reply);
    ASSERT_EQ(r["arguments"]["torrents"].size(), 2000u);
    EXPECT_EQ(r["arguments"]["torrents"][1999]["name"], "torrent 2000");
}

// torrent-get writes its torrents as text: the text must be what the DOM would serialize, for every field,
// with names that need escaping or hold invalid UTF-8, in both formats, and spliced into the reply whole.
TEST(RpcList, TorrentsTextIsWhatTheDomWouldSerialize) {
    FakeBackend backend;
    backend.add_torrent(1, "plain");
    backend.add_torrent(2, "quote \" backslash \\ newline \n control \x01 tab \t");
    backend.add_torrent(3, "bad UTF-8 \xff\xfe and \xc3\xa9 and \xe2\x82");
    backend.add_torrent(4, "").error_string = "tracker said \"no\"\x7f";
    json names = json::array();
    for (auto f = 0; f <= static_cast<int>(TorrentField::bitveil_sequential); ++f)
        names.push_back(torrent_field_name(static_cast<TorrentField>(f)));
    const auto fields = resolve_torrent_fields(names);
    ASSERT_EQ(fields.fields.size(), names.size());
    const auto views = backend.torrents(backend.ids(), fields.detail);

    json objects = json::array();
    json table = json::array({names});
    for (const auto& view : views) {
        json row = json::object();
        json values = json::array();
        for (const auto field : fields.fields) {
            row[std::string(torrent_field_name(field))] = torrent_field_value(field, view);
            values.push_back(torrent_field_value(field, view));
        }
        objects.push_back(row);
        table.push_back(values);
    }
    const auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
    EXPECT_EQ(torrents_as_objects(fields, views), dump(objects));
    EXPECT_EQ(torrents_as_table(fields, views), dump(table));
    EXPECT_EQ(torrents_as_objects(fields, {}), "[]");
    EXPECT_EQ(torrents_as_table(TorrentFields{}, {}), "[[]]");

    // Spliced into the reply, beside the DOM's own arguments and the tag.
    const auto reply = call(backend, json{{"method", "torrent-get"},
                                          {"arguments", {{"fields", names}, {"ids", "recently-active"}}},
                                          {"tag", 5}}
                                         .dump());
    EXPECT_EQ(reply["tag"], 5);
    EXPECT_EQ(reply["result"], "success");
    EXPECT_EQ(reply["arguments"].size(), 2u);
    EXPECT_EQ(reply["arguments"]["removed"], json::array());
    EXPECT_EQ(reply["arguments"]["torrents"], json::parse(dump(objects)));
}

TEST(RpcSession, FieldsFilterKeepsOnlyTheNamedKeys) {
    FakeBackend backend;
    const auto r =
        call(backend, R"({"method":"session-get","arguments":{"fields":["version","nope","peer-port"]}})");
    EXPECT_EQ(r["arguments"], (json{{"version", "bitveil 0.1.0"}, {"peer-port", 51413}}));
}

TEST(RpcSession, EncryptionIsReportedInTransmissionsWords) {
    FakeBackend backend;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"require", "required"}, {"prefer", "preferred"}, {"allow", "tolerated"}, {"disable", "tolerated"}};
    for (const auto& [ours, theirs] : cases) {
        backend.session_view.encryption = ours;
        const auto r =
            call(backend,
                 R"({"method":"session-get","arguments":{"fields":["encryption","bitveil-encryption"]}})");
        EXPECT_EQ(r["arguments"]["encryption"], theirs);
        EXPECT_EQ(r["arguments"]["bitveil-encryption"], ours);
    }
}

TEST(RpcSession, EncryptionIsSetFromEitherVocabulary) {
    FakeBackend backend;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"required", "require"}, {"preferred", "prefer"}, {"tolerated", "allow"}, {"require", "require"},
        {"prefer", "prefer"},    {"allow", "allow"},      {"disable", "disable"}};
    for (const auto& [word, policy] : cases) {
        const auto r =
            call(backend, json{{"method", "session-set"}, {"arguments", {{"encryption", word}}}}.dump());
        EXPECT_EQ(r["result"], "success");
        EXPECT_EQ(backend.session_view.encryption, policy);
    }
}

TEST(RpcSession, AnInvalidValueChangesNothing) {
    FakeBackend backend;
    backend.session_view.encryption = "require";
    for (const char* body :
         {R"({"method":"session-set","arguments":{"encryption":"maybe","speed-limit-down":10}})",
          R"({"method":"session-set","arguments":{"speed-limit-down":10,"encryption":"Required"}})",
          R"({"method":"session-set","arguments":{"encryption":"preferred","peer-port":70000}})",
          R"({"method":"session-set","arguments":{"encryption":"preferred","download-dir":"relative"}})",
          R"({"method":"session-set","arguments":{"encryption":5}})"}) {
        const auto r = call(backend, body);
        EXPECT_NE(r["result"], "success") << body;
    }
    EXPECT_TRUE(backend.session_changes.empty());
    EXPECT_EQ(backend.session_view.encryption, "require");
    const auto r = call(backend, R"({"method":"session-set","arguments":{"encryption":"maybe"}})");
    EXPECT_NE(r["result"].get<std::string>().find("encryption"), std::string::npos);
}

TEST(RpcSession, SetReadsTransmissionsKeysAndLooseBooleans) {
    FakeBackend backend;
    const auto r = call(backend, R"({"method":"session-set","arguments":{"alt-speed-enabled":1,
        "speed-limit-up-enabled":"true","speed-limit-up":250,"seedRatioLimit":3,"download-dir":"/data",
        "peer-port":6881,"alt-speed-time-day":65,"idle-seeding-limit-enabled":false,"blocklist-enabled":false,
        "dht-enabled":true,"incomplete-dir":"/ignored",
        "start-added-torrents":0,"cache-size-mb":16}})");
    ASSERT_EQ(r["result"], "success");
    ASSERT_EQ(backend.session_changes.size(), 1u);
    const auto& c = backend.session_changes[0];
    EXPECT_EQ(c.alt_speed_enabled, true);
    EXPECT_EQ(c.speed_limit_up_enabled, true);
    EXPECT_EQ(c.speed_limit_up, 250);
    EXPECT_EQ(c.seed_ratio_limit, 3.0);
    EXPECT_EQ(c.download_dir, "/data");
    EXPECT_EQ(c.peer_port, 6881);
    EXPECT_EQ(c.alt_speed_time_day, 65);
    EXPECT_EQ(c.idle_seeding_limit_enabled, false);
    EXPECT_EQ(c.start_added_torrents, false);
    EXPECT_EQ(c.cache_size_mb, 16);
    EXPECT_FALSE(c.speed_limit_down);
    EXPECT_FALSE(c.encryption);
}

TEST(RpcSession, SwitchesThatCannotChangeAreRefusedOnlyWhenChanged) {
    FakeBackend backend;
    backend.session_view.dht_enabled = true;
    EXPECT_EQ(call(backend, R"({"method":"session-set","arguments":{"dht-enabled":true}})")["result"],
              "success");
    for (const char* body :
         {R"({"method":"session-set","arguments":{"dht-enabled":false,"alt-speed-enabled":true}})",
          R"({"method":"session-set","arguments":{"blocklist-enabled":true}})",
          R"({"method":"session-set","arguments":{"utp-enabled":1}})"}) {
        const auto r = call(backend, body);
        EXPECT_NE(r["result"].get<std::string>().find("cannot be changed"), std::string::npos) << body;
    }
    EXPECT_EQ(backend.session_changes.size(), 1u);
}

TEST(RpcSession, WrongTypesNameTheArgument) {
    FakeBackend backend;
    for (const auto& [body, key] : std::vector<std::pair<std::string, std::string>>{
             {R"({"method":"session-set","arguments":{"alt-speed-enabled":2}})", "alt-speed-enabled"},
             {R"({"method":"session-set","arguments":{"speed-limit-up":"fast"}})", "speed-limit-up"},
             {R"({"method":"session-set","arguments":{"peer-port":1.5}})", "peer-port"},
             {R"({"method":"torrent-set","arguments":{"files-wanted":"all"}})", "files-wanted"},
             {R"({"method":"torrent-set","arguments":{"seedRatioLimit":"x"}})", "seedRatioLimit"},
             {R"({"method":"torrent-remove","arguments":{"delete-local-data":"yes"}})", "delete-local-data"},
             {R"({"method":"torrent-add","arguments":{"paused":[],"filename":"magnet:?xt"}})", "paused"},
             {R"({"method":"torrent-get","arguments":{"fields":["id"],"ids":{}}})", "ids"},
         }) {
        const auto r = call(backend, body);
        const auto result = r["result"].get<std::string>();
        EXPECT_NE(result.find("'" + key + "'"), std::string::npos) << body << " -> " << result;
    }
    EXPECT_TRUE(backend.calls.empty());
}

TEST(RpcSession, StatsCloseAndUnsupportedMethods) {
    FakeBackend backend;
    backend.stats_view.torrent_count = 3;
    backend.stats_view.cumulative.session_count = 9;
    auto r = call(backend, R"({"method":"session-stats","tag":1})");
    EXPECT_EQ(r["arguments"]["torrentCount"], 3);
    EXPECT_EQ(r["arguments"]["cumulative-stats"]["sessionCount"], 9);
    EXPECT_EQ(r["tag"], 1);
    r = call(backend, R"({"method":"session-close"})");
    EXPECT_EQ(r["result"], "success");
    EXPECT_TRUE(backend.closed);
    for (const char* method : {"port-test", "blocklist-update", "torrent-rename-path"}) {
        r = call(backend, json{{"method", method}, {"tag", 7}}.dump());
        EXPECT_NE(r["result"], "success") << method;
        EXPECT_EQ(r["tag"], 7);
    }
    backend.free_bytes = std::nullopt;
    r = call(backend, R"({"method":"free-space","arguments":{"path":"/nope"}})");
    EXPECT_EQ(r["result"], "No such file or directory");
    EXPECT_EQ(call(backend, R"({"method":"free-space"})")["result"], "no path specified");
}

}  // namespace
}  // namespace bt::rpc
