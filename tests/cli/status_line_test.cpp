#include "cli/status_line.hpp"

#include <gtest/gtest.h>

namespace bt::cli {
namespace {

using nlohmann::json;

TEST(DaemonStatusLine, CountsTorrentsRatesAndPeersByKind) {
    const json reply = json::parse(R"({"result":"success","arguments":{"torrents":[
        {"status":4,"rateDownload":1048576,"rateUpload":0,
         "bitveil-peers-by-kind":{"plaintext":1,"mse-rc4":2,"mse-header-only":0}},
        {"status":6,"rateDownload":0,"rateUpload":2048,
         "bitveil-peers-by-kind":{"plaintext":0,"mse-rc4":1,"mse-header-only":1}},
        {"status":0,"rateDownload":0,"rateUpload":0}]}})");
    const auto line = daemon_status_line(reply);
    ASSERT_TRUE(line);
    EXPECT_EQ(*line,
              "3 torrents (1 downloading, 1 seeding, 1 stopped), down 1.0 MiB/s, up 2.0 KiB/s, 5 peers: "
              "1 plaintext, 3 rc4, 1 header-only");
}

TEST(DaemonStatusLine, NoTorrents) {
    EXPECT_EQ(daemon_status_line(json::parse(R"({"result":"success","arguments":{"torrents":[]}})")),
              "0 torrents, down 0 B/s, up 0 B/s, 0 peers: 0 plaintext, 0 rc4, 0 header-only");
}

TEST(DaemonStatusLine, AnythingElseIsNotAReply) {
    for (const char* text : {R"({"result":"no such method","arguments":{}})", R"({"result":"success"})",
                             R"({"result":"success","arguments":{"torrents":5}})", "[]", "null"}) {
        EXPECT_FALSE(daemon_status_line(json::parse(text))) << text;
    }
}

}  // namespace
}  // namespace bt::cli
