#include "cli/scrape_report.hpp"

#include <gtest/gtest.h>

namespace bt::cli {
namespace {

tracker::InfoHashBytes hash_of(std::uint8_t byte) {
    tracker::InfoHashBytes h{};
    h.fill(byte);
    return h;
}

TEST(ScrapeReport, TrackersOfEveryTierOnceInOrder) {
    EXPECT_EQ(trackers_to_scrape({{"http://a/announce", "udp://b:1"}, {"udp://b:1"}, {"http://c/announce"}}),
              (std::vector<std::string>{"http://a/announce", "udp://b:1", "http://c/announce"}));
    EXPECT_TRUE(trackers_to_scrape({}).empty());
}

TEST(ScrapeReport, OutcomesAndTheirLines) {
    const auto mine = hash_of(0xaa);
    tracker::ScrapeResponse response;
    response.files = {{hash_of(0x01), {9, 9, 9}}, {mine, {5, 40, 3}}};
    const auto counts = scrape_outcome("http://t/announce", net::ScrapeReply(response), mine);
    EXPECT_EQ(counts.kind, ScrapeOutcome::Kind::counts);
    EXPECT_EQ(scrape_line(counts), "http://t/announce ... 5 seeders, 3 leechers, 40 downloaded");

    const auto none = scrape_outcome("http://t/announce", net::ScrapeReply(response), hash_of(0xbb));
    EXPECT_EQ(none.kind, ScrapeOutcome::Kind::no_match);
    EXPECT_EQ(scrape_line(none),
              "http://t/announce ... no match: the tracker has no numbers for this torrent");

    const auto timeout =
        scrape_outcome("udp://t:1/announce?pass=x",
                       net::ScrapeReply(fail(net::TrackerFailure{"udp://t:1", "timed out after 5 s"})), mine);
    EXPECT_EQ(timeout.kind, ScrapeOutcome::Kind::error);
    EXPECT_EQ(scrape_line(timeout), "udp://t:1/announce?pass=x ... error: timed out after 5 s");

    const auto unsupported = scrape_outcome(
        "http://t/x\x1b",
        net::ScrapeReply(fail(net::TrackerFailure{"http://t/x", "cannot be scraped: why", true})), mine);
    EXPECT_EQ(unsupported.kind, ScrapeOutcome::Kind::unsupported);
    EXPECT_EQ(scrape_line(unsupported), "http://t/x\\x1b ... cannot be scraped: why");
}

TEST(ScrapeReport, Json) {
    ScrapeOutcome ok{"http://t/announce", ScrapeOutcome::Kind::counts, {5, 40, 3}, ""};
    ScrapeOutcome bad{"udp://t:1", ScrapeOutcome::Kind::error, {}, "timed out after 5 s"};
    ScrapeOutcome none{"udp://u:1", ScrapeOutcome::Kind::no_match, {}, ""};
    JsonWriter w;
    w.begin_array();
    write_scrape_json(w, ok);
    write_scrape_json(w, bad);
    write_scrape_json(w, none);
    w.end_array();
    const std::string& json = w.str();
    EXPECT_NE(json.find("\"status\": \"ok\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"seeders\": 5"), std::string::npos) << json;
    EXPECT_NE(json.find("\"leechers\": 3"), std::string::npos) << json;
    EXPECT_NE(json.find("\"downloaded\": 40"), std::string::npos) << json;
    EXPECT_NE(json.find("\"status\": \"error\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"error\": \"timed out after 5 s\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"status\": \"no_match\""), std::string::npos) << json;
}

}  // namespace
}  // namespace bt::cli
