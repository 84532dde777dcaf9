#include "tracker/url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bt::tracker {
namespace {

constexpr const char* kEncodedHash = "%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A";

AnnounceRequest sample_request() {
    AnnounceRequest r;
    r.info_hash = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1, 0x23, 0x45,
                   0x67, 0x89, 0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9a};
    const std::string id = "-BV0001-abcdefghijkl";
    std::copy(id.begin(), id.end(), r.peer_id.begin());
    r.port = 6881;
    r.uploaded = 1;
    r.downloaded = 2;
    r.left = 3;
    r.event = Event::started;
    r.numwant = 50;
    r.key = 0xbeef;
    return r;
}

std::string query_of(const AnnounceRequest& r) {
    const std::string url = build_announce_url("http://t.example/announce", r);
    return url.substr(url.find('?') + 1);
}

TEST(PercentEncode, KeepsOnlyTheUnreservedSet) {
    EXPECT_EQ(percent_encode(std::string_view("AZaz09-._~")), "AZaz09-._~");
    EXPECT_EQ(percent_encode(std::string_view(" /?&=#%+:@!*'()")),
              "%20%2F%3F%26%3D%23%25%2B%3A%40%21%2A%27%28%29");
    EXPECT_EQ(percent_encode(std::string_view("\x00\xff\x7f\x80", 4)), "%00%FF%7F%80");
    EXPECT_EQ(percent_encode(std::string_view()), "");
}

TEST(BuildAnnounceUrl, WritesEveryParameterWithBinaryEscaping) {
    EXPECT_EQ(build_announce_url("http://t.example/announce", sample_request()),
              std::string("http://t.example/announce?info_hash=") + kEncodedHash +
                  "&peer_id=-BV0001-abcdefghijkl&port=6881&uploaded=1&downloaded=2&left=3&event=started"
                  "&numwant=50&key=0000BEEF&compact=1");
}

struct QueryCase {
    const char* announce;
    const char* prefix;  // everything up to and including the separator before info_hash
};

class AnnounceQuery : public testing::TestWithParam<QueryCase> {};

TEST_P(AnnounceQuery, ExtendsTheExistingQueryAndDropsTheFragment) {
    const std::string url = build_announce_url(GetParam().announce, sample_request());
    const std::string prefix = GetParam().prefix;
    EXPECT_EQ(url.substr(0, prefix.size()), prefix) << url;
    EXPECT_EQ(url.substr(prefix.size(), 10), "info_hash=") << url;
    EXPECT_EQ(url.find('#'), std::string::npos) << url;
}

INSTANTIATE_TEST_SUITE_P(
    Tracker, AnnounceQuery,
    testing::Values(QueryCase{"http://t/announce", "http://t/announce?"},
                    QueryCase{"http://t/announce?passkey=abc", "http://t/announce?passkey=abc&"},
                    QueryCase{"http://t/announce?", "http://t/announce?"},
                    QueryCase{"http://t/announce?a=1&", "http://t/announce?a=1&"},
                    QueryCase{"http://t/announce#frag", "http://t/announce?"},
                    QueryCase{"http://t/announce#frag?x=1", "http://t/announce?"},
                    QueryCase{"http://t/announce?a=1#frag", "http://t/announce?a=1&"},
                    QueryCase{"https://t:8443/x/announce.php?u=1", "https://t:8443/x/announce.php?u=1&"}));

TEST(BuildAnnounceUrl, NamesEachEventAndOmitsNone) {
    AnnounceRequest r = sample_request();
    const std::pair<Event, const char*> cases[] = {{Event::started, "&event=started&"},
                                                   {Event::completed, "&event=completed&"},
                                                   {Event::stopped, "&event=stopped&"}};
    for (const auto& [event, text] : cases) {
        r.event = event;
        EXPECT_NE(query_of(r).find(text), std::string::npos) << text;
    }
    r.event = Event::none;
    EXPECT_EQ(query_of(r).find("event"), std::string::npos);
    EXPECT_EQ(event_name(Event::none), "");
}

TEST(BuildAnnounceUrl, OptionalParameters) {
    AnnounceRequest r = sample_request();
    r.event = Event::none;
    r.numwant.reset();
    r.compact = false;
    r.key = 0x0123abcd;
    r.uploaded = 18446744073709551615ULL;
    EXPECT_EQ(query_of(r),
              std::string("info_hash=") + kEncodedHash +
                  "&peer_id=-BV0001-abcdefghijkl&port=6881&uploaded=18446744073709551615&downloaded=2"
                  "&left=3&key=0123ABCD");
    r.compact = true;
    r.tracker_id = "a b/c";
    r.supportcrypto = true;
    EXPECT_TRUE(query_of(r).ends_with("&key=0123ABCD&compact=1&trackerid=a%20b%2Fc&supportcrypto=1"));
    r.supportcrypto = false;
    r.requirecrypto = true;  // implies supportcrypto
    EXPECT_TRUE(query_of(r).ends_with("&trackerid=a%20b%2Fc&supportcrypto=1&requirecrypto=1"));
}

struct ScrapeCase {
    const char* announce;
    const char* scrape;  // nullptr: not derivable
};

class ScrapeUrl : public testing::TestWithParam<ScrapeCase> {};

TEST_P(ScrapeUrl, FollowsBep48) {
    const auto scrape = scrape_url_from_announce(GetParam().announce);
    if (GetParam().scrape == nullptr) {
        EXPECT_FALSE(scrape) << GetParam().announce << " -> " << *scrape;
    } else {
        ASSERT_TRUE(scrape) << GetParam().announce;
        EXPECT_EQ(*scrape, GetParam().scrape);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Tracker, ScrapeUrl,
    testing::Values(ScrapeCase{"http://example.com/announce", "http://example.com/scrape"},
                    ScrapeCase{"http://example.com/x/announce", "http://example.com/x/scrape"},
                    ScrapeCase{"http://example.com/announce.php", "http://example.com/scrape.php"},
                    ScrapeCase{"http://example.com/a", nullptr},
                    ScrapeCase{"http://example.com/announce?x2%0644", "http://example.com/scrape?x2%0644"},
                    ScrapeCase{"http://example.com/announce?x=2/4", "http://example.com/scrape?x=2/4"},
                    ScrapeCase{"http://example.com/x%064announce", nullptr},
                    ScrapeCase{"https://t:443/announce#f", "https://t:443/scrape#f"},
                    ScrapeCase{"HTTP://t/announce", "HTTP://t/scrape"},
                    ScrapeCase{"http://example.com/announce/", nullptr},
                    ScrapeCase{"http://example.com/announce/x", nullptr},
                    ScrapeCase{"http://example.com", nullptr}, ScrapeCase{"http://announce", nullptr},
                    ScrapeCase{"http://example.com?announce", nullptr},
                    ScrapeCase{"udp://t:80/announce", nullptr}, ScrapeCase{"announce", nullptr},
                    ScrapeCase{"", nullptr}));

TEST(CanScrape, UdpAlwaysHttpPerBep48) {
    EXPECT_TRUE(can_scrape("udp://t.example:6969"));
    EXPECT_TRUE(can_scrape("udp://t.example:6969/announce?passkey=x"));
    EXPECT_TRUE(can_scrape("udp://[::1]:6969/whatever"));
    EXPECT_TRUE(can_scrape("http://t.example/announce"));
    EXPECT_TRUE(can_scrape("https://t.example/x/announce.php?k=1"));
    EXPECT_FALSE(can_scrape("http://t.example/tracker"));
    EXPECT_FALSE(can_scrape("http://t.example/announce/"));
    EXPECT_FALSE(can_scrape("udp://t.example"));  // no port: not a UDP tracker URL
    EXPECT_FALSE(can_scrape("wss://t.example/announce"));
    EXPECT_FALSE(can_scrape(""));
}

TEST(BuildScrapeUrl, RepeatsInfoHash) {
    std::vector<InfoHashBytes> hashes(2);
    hashes[0].fill(0x41);  // 'A'
    hashes[1].fill(0xff);
    std::string all_ff;
    for (int i = 0; i < 20; ++i) all_ff += "%FF";
    EXPECT_EQ(build_scrape_url("http://t/scrape?k=1", hashes),
              "http://t/scrape?k=1&info_hash=" + std::string(20, 'A') + "&info_hash=" + all_ff);
}

struct UdpCase {
    const char* url;
    UdpTrackerUrl expected;
};

class UdpUrl : public testing::TestWithParam<UdpCase> {};

TEST_P(UdpUrl, SplitsHostPortAndUrlData) {
    const auto parsed = parse_udp_tracker_url(GetParam().url);
    ASSERT_TRUE(parsed) << GetParam().url;
    EXPECT_EQ(parsed->host, GetParam().expected.host);
    EXPECT_EQ(parsed->port, GetParam().expected.port);
    EXPECT_EQ(parsed->url_data, GetParam().expected.url_data);
}

INSTANTIATE_TEST_SUITE_P(
    Tracker, UdpUrl,
    testing::Values(UdpCase{"udp://tracker.example:6969", {"tracker.example", 6969, ""}},
                    UdpCase{"udp://tracker.example:6969/announce", {"tracker.example", 6969, "/announce"}},
                    UdpCase{"UDP://t:80/announce?passkey=abc#x", {"t", 80, "/announce?passkey=abc"}},
                    UdpCase{"udp://[2001:db8::1]:6969/announce", {"2001:db8::1", 6969, "/announce"}},
                    UdpCase{"udp://10.0.0.1:1?x", {"10.0.0.1", 1, "?x"}}));

TEST(UdpUrl, RejectsMissingOrBadParts) {
    for (const char* bad :
         {"udp://t", "udp://t:", "udp://t:0", "udp://t:65536", "udp://:80", "http://t:80", "udp://t:8a",
          "udp://2001:db8::1:80", "udp://[::1]/x", "udp://[::1]", "udp:/t:80", ""}) {
        EXPECT_FALSE(parse_udp_tracker_url(bad)) << bad;
    }
}

}  // namespace
}  // namespace bt::tracker
