#include "cli/stats_report.hpp"

#include <gtest/gtest.h>

namespace bt::cli {
namespace {

using session::TorrentState;

TorrentReport report(std::string name, TorrentState state, std::uint32_t pieces, std::uint32_t have,
                     std::uint64_t downloaded) {
    TorrentReport r;
    r.name = std::move(name);
    r.info_hash_hex = std::string(40, 'a');
    r.status.state = state;
    r.status.num_pieces = pieces;
    r.status.pieces_have = have;
    r.status.total_size = std::int64_t{pieces} * 1024;
    r.status.wanted_size = r.status.total_size;
    r.status.wanted_left = std::int64_t{pieces - have} * 1024;
    r.status.pieces_wanted = pieces;
    r.status.pieces_wanted_left = pieces - have;
    r.status.stats.payload_downloaded = downloaded;
    r.status.stats.connections_by_kind["mse_rc4"] = 1;
    return r;
}

TEST(StatsReport, TotalsSumPiecesBytesAndCountsOfEveryTorrent) {
    const auto sum = sum_statuses(
        {report("a", TorrentState::seeding, 4, 4, 100), report("b", TorrentState::downloading, 6, 2, 50)});
    EXPECT_EQ(sum.num_pieces, 10u);
    EXPECT_EQ(sum.pieces_have, 6u);
    EXPECT_EQ(sum.total_size, 10 * 1024);
    EXPECT_EQ(sum.stats.payload_downloaded, 150u);
    EXPECT_EQ(sum.stats.connections_by_kind.at("mse_rc4"), 2u);
}

TEST(StatsReport, StateIsTheCommonOneMixedOrErrorWhenAnyFailed) {
    EXPECT_EQ(state_text(
                  {report("a", TorrentState::seeding, 1, 1, 0), report("b", TorrentState::seeding, 1, 1, 0)}),
              "seeding");
    EXPECT_EQ(state_text({report("a", TorrentState::seeding, 1, 1, 0),
                          report("b", TorrentState::downloading, 1, 0, 0)}),
              "mixed");
    EXPECT_EQ(
        state_text({report("a", TorrentState::error, 1, 0, 0), report("b", TorrentState::seeding, 1, 1, 0)}),
        "error");
}

TEST(StatsReport, DhtObjectOnlyWhenTheDhtRan) {
    const std::vector<TorrentReport> one{report("a", TorrentState::seeding, 1, 1, 0)};
    EXPECT_EQ(stats_json(one, {}, 1.0).find("\"dht\""), std::string::npos);
    session::DhtStats dht;
    dht.nodes = 12;
    dht.lookups_done = 3;
    dht.lookups_running = 1;
    dht.last_lookup = std::chrono::milliseconds(250);
    dht.average_lookup = std::chrono::milliseconds(400);
    dht.messages_in = 90;
    dht.messages_out = 95;
    for (const auto& json : {stats_json(one, {}, 1.0, dht), dht_stats_json(dht, 1.0)}) {
        EXPECT_NE(json.find("\"dht\": {"), std::string::npos) << json;
        EXPECT_NE(json.find("\"nodes\": 12"), std::string::npos) << json;
        EXPECT_NE(json.find("\"lookups_done\": 3"), std::string::npos) << json;
        EXPECT_NE(json.find("\"lookups_running\": 1"), std::string::npos) << json;
        EXPECT_NE(json.find("\"last_lookup_ms\": 250"), std::string::npos) << json;
        EXPECT_NE(json.find("\"average_lookup_ms\": 400"), std::string::npos) << json;
        EXPECT_NE(json.find("\"messages_in\": 90"), std::string::npos) << json;
        EXPECT_NE(json.find("\"messages_out\": 95"), std::string::npos) << json;
    }
}

TEST(StatsReport, ReadCacheFiguresWhenGiven) {
    const std::vector<TorrentReport> one{report("a", TorrentState::seeding, 2, 2, 7)};
    EXPECT_EQ(stats_json(one, {}, 1.0).find("\"read_cache\""), std::string::npos);
    storage::ReadCacheStats cache;
    cache.budget = 4 << 20;
    cache.bytes = 262144;
    cache.peak_bytes = 4194304;
    cache.lines = 1;
    cache.hits = 960;
    cache.misses = 64;
    cache.bytes_read = 16777216;
    cache.evictions = 63;
    const auto json = stats_json(one, {}, 1.0, std::nullopt, cache);
    for (const auto* field : {"\"read_cache\": {", "\"budget\": 4194304", "\"bytes\": 262144",
                              "\"peak_bytes\": 4194304", "\"lines\": 1", "\"block_hits\": 960",
                              "\"block_misses\": 64", "\"bytes_read\": 16777216", "\"evictions\": 63"})
        EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
}

TEST(StatsReport, JsonHasTotalsThenOneObjectPerTorrent) {
    const auto json = stats_json({report("first", TorrentState::seeding, 2, 2, 7),
                                  report("second", TorrentState::downloading, 2, 1, 3)},
                                 {{"mse: no sync within bound", 2}}, 1.5);
    EXPECT_NE(json.find("\"complete\": false"), std::string::npos) << json;
    EXPECT_NE(json.find("\"payload_downloaded\": 10"), std::string::npos) << json;
    EXPECT_NE(json.find("\"mse: no sync within bound\": 2"), std::string::npos) << json;
    const auto torrents = json.find("\"torrents\"");
    ASSERT_NE(torrents, std::string::npos);
    const auto first = json.find("\"name\": \"first\"", torrents);
    const auto second = json.find("\"name\": \"second\"", torrents);
    ASSERT_NE(first, std::string::npos) << json;
    ASSERT_NE(second, std::string::npos) << json;
    EXPECT_LT(first, second);
    EXPECT_NE(json.find("\"payload_downloaded\": 7", first), std::string::npos);
    EXPECT_NE(json.find("\"complete\": true", first), std::string::npos);
}

TEST(StatsReport, SwarmCountsOnlyWhenATrackerGaveThem) {
    auto known = report("known", TorrentState::downloading, 2, 1, 3);
    known.status.swarm_seeders = 7;
    known.status.swarm_leechers = 3;  // no downloaded count
    const auto json = stats_json({report("unknown", TorrentState::downloading, 2, 1, 3), known}, {}, 1.0);
    const auto second = json.find("\"name\": \"known\"");
    ASSERT_NE(second, std::string::npos) << json;
    EXPECT_EQ(json.find("\"swarm_seeders\""), json.find("\"swarm_seeders\": 7", second)) << json;
    EXPECT_NE(json.find("\"swarm_leechers\": 3", second), std::string::npos) << json;
    EXPECT_EQ(json.find("\"swarm_downloaded\""), std::string::npos) << json;
}

}  // namespace
}  // namespace bt::cli
