#include "tracker/http_response.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bt::tracker {
namespace {

using namespace std::chrono_literals;

std::string bstr(const std::string& s) {
    return std::to_string(s.size()) + ":" + s;
}

std::string compact_v4(std::initializer_list<std::array<std::uint8_t, 6>> peers) {
    std::string out;
    for (const auto& p : peers) out.append(reinterpret_cast<const char*>(p.data()), p.size());
    return out;
}

Endpoint v6_loopback(std::uint16_t port) {
    std::array<std::uint8_t, 16> a{};
    a[15] = 1;
    return Endpoint::v6(a, port);
}

AnnounceResponse parse_ok(const std::string& body, const ResponseLimits& limits = {}) {
    auto r = parse_announce_response(body, limits);
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : AnnounceResponse{};
}

Error parse_error(const std::string& body) {
    auto r = parse_announce_response(body);
    EXPECT_FALSE(r) << body;
    return r ? Error{} : r.error();
}

TEST(ParseAnnounceResponse, ReadsEveryField) {
    std::string v6(18, '\0');
    v6[15] = 1;
    v6[16] = 0x1a;
    v6[17] = static_cast<char>(0xe1);
    const std::string body =
        "d8:completei5e10:downloadedi11e10:incompletei7e8:intervali1800e12:min intervali900e" +
        bstr("peers") + bstr(compact_v4({{1, 2, 3, 4, 0x1a, 0xe1}, {10, 0, 0, 1, 0, 80}})) + bstr("peers6") +
        bstr(v6) + "10:tracker id3:tid15:warning message7:careful" + "e";
    const AnnounceResponse r = parse_ok(body);
    EXPECT_FALSE(r.failure_reason);
    EXPECT_EQ(r.warning_message, "careful");
    EXPECT_EQ(r.interval, 1800s);
    EXPECT_EQ(r.min_interval, 900s);
    EXPECT_EQ(r.tracker_id, "tid");
    EXPECT_EQ(r.complete, 5u);
    EXPECT_EQ(r.incomplete, 7u);
    EXPECT_EQ(r.downloaded, 11u);
    ASSERT_EQ(r.peers.size(), 3u);
    EXPECT_EQ(r.peers[0].endpoint, Endpoint::v4({1, 2, 3, 4}, 6881));
    EXPECT_EQ(r.peers[1].endpoint, Endpoint::v4({10, 0, 0, 1}, 80));
    EXPECT_EQ(r.peers[2].endpoint, v6_loopback(6881));
    EXPECT_FALSE(r.peers[0].peer_id);
    EXPECT_EQ(r.invalid_peers, 0u);
    EXPECT_EQ(r.dropped_peers, 0u);
}

TEST(ParseAnnounceResponse, MinimalBodyUsesDefaults) {
    const AnnounceResponse r = parse_ok("de");
    EXPECT_EQ(r.interval, kDefaultInterval);
    EXPECT_FALSE(r.min_interval);
    EXPECT_FALSE(r.complete);
    EXPECT_FALSE(r.tracker_id);
    EXPECT_TRUE(r.peers.empty());
}

TEST(ParseAnnounceResponse, AcceptsUnsortedKeys) {
    const AnnounceResponse r = parse_ok("d8:intervali120e5:peers0:8:completei1ee");
    EXPECT_EQ(r.interval, 120s);
    EXPECT_EQ(r.complete, 1u);
}

struct IntervalCase {
    std::int64_t sent;
    std::chrono::seconds interval;
    std::chrono::seconds min_interval;
};

class IntervalClamp : public testing::TestWithParam<IntervalCase> {};

TEST_P(IntervalClamp, KeepsIntervalsWithinLimits) {
    const std::string n = std::to_string(GetParam().sent);
    const AnnounceResponse r = parse_ok("d8:intervali" + n + "e12:min intervali" + n + "ee");
    EXPECT_EQ(r.interval, GetParam().interval);
    EXPECT_EQ(r.min_interval, GetParam().min_interval);
}

INSTANTIATE_TEST_SUITE_P(Tracker, IntervalClamp,
                         testing::Values(IntervalCase{0, 60s, 0s}, IntervalCase{30, 60s, 30s},
                                         IntervalCase{60, 60s, 60s}, IntervalCase{1800, 1800s, 1800s},
                                         IntervalCase{86400, 86400s, 86400s},
                                         IntervalCase{86401, 86400s, 86400s},
                                         IntervalCase{9223372036854775807, 86400s, 86400s}));

TEST(ParseAnnounceResponse, RejectsNegativeOrMistypedIntervals) {
    for (const char* body :
         {"d8:intervali-1ee", "d12:min intervali-5ee", "d8:interval4:1800e", "d12:min intervalli1eee"}) {
        EXPECT_EQ(parse_error(body).code, Errc::invalid_field) << body;
    }
    EXPECT_NE(parse_error("d8:intervali-1ee").detail.find("interval"), std::string::npos);
}

TEST(ParseAnnounceResponse, FailureReasonIsAResponseNotAnError) {
    // The other fields, even broken ones, do not matter once the tracker refused.
    const AnnounceResponse r =
        parse_ok("d14:failure reason6:banned8:intervali-5e5:peers1:x15:warning message2:hie");
    EXPECT_EQ(r.failure_reason, "banned");
    EXPECT_EQ(r.warning_message, "hi");
    EXPECT_TRUE(r.peers.empty());
    EXPECT_FALSE(r.retry_in);
    EXPECT_FALSE(r.retry_never);
}

TEST(ParseAnnounceResponse, ReadsBep31RetryIn) {
    EXPECT_EQ(parse_ok("d14:failure reason1:x8:retry ini30ee").retry_in, 30min);
    EXPECT_TRUE(parse_ok("d14:failure reason1:x8:retry in5:nevere").retry_never);
    EXPECT_EQ(parse_ok("d14:failure reason1:x8:retry ini999999ee").retry_in, 1440min);  // interval ceiling
    EXPECT_FALSE(parse_ok("d14:failure reason1:x8:retry ini0ee").retry_in);
    EXPECT_FALSE(parse_ok("d14:failure reason1:x8:retry in3:abce").retry_never);
    EXPECT_EQ(parse_error("d14:failure reasoni1ee").code, Errc::invalid_field);
}

TEST(ParseAnnounceResponse, CompactPeersSkipPortZero) {
    const AnnounceResponse r =
        parse_ok("d5:peers" + bstr(compact_v4({{1, 1, 1, 1, 0, 0}, {2, 2, 2, 2, 0, 1}})) + "e");
    ASSERT_EQ(r.peers.size(), 1u);
    EXPECT_EQ(r.peers[0].endpoint, Endpoint::v4({2, 2, 2, 2}, 1));
    EXPECT_EQ(r.invalid_peers, 1u);
}

TEST(ParseAnnounceResponse, RejectsCompactPeersOfTheWrongLength) {
    for (std::size_t len : {1, 5, 7, 13}) {
        const Error e = parse_error("d5:peers" + bstr(std::string(len, 'a')) + "e");
        EXPECT_EQ(e.code, Errc::invalid_peers) << len;
    }
    for (std::size_t len : {6, 17, 19}) {
        const Error e = parse_error("d6:peers6" + bstr(std::string(len, 'a')) + "e");
        EXPECT_EQ(e.code, Errc::invalid_peers) << len;
    }
    EXPECT_NE(parse_error("d5:peers" + bstr(std::string(13, 'a')) + "e").detail.find("13"),
              std::string::npos);
}

TEST(ParseAnnounceResponse, DictionaryPeersSkipAndCountInvalidEntries) {
    const std::string id(20, 'P');
    const std::string body =
        "d5:peersl"
        "d2:ip7:1.2.3.47:peer id" +
        bstr(id) +
        "4:porti6881ee"                           // valid, with id
        "d2:ip11:2001:db8::14:porti443ee"         // valid v6
        "d2:ip7:1.2.3.47:peer id3:abc4:porti1ee"  // valid, bad id dropped
        "d2:ip11:example.com4:porti80ee"          // host name
        "d2:ip7:1.2.3.44:porti0ee"                // port 0
        "d2:ip7:1.2.3.44:porti70000ee"            // port too big
        "d2:ip7:1.2.3.4e"                         // no port
        "d2:ipi1e4:porti80ee"                     // ip not a string
        "d4:porti80ee"                            // no ip
        "d2:ip7:1.2.3.44:port2:80e"               // port not an int
        "i5e"                                     // not a dict
        "ee";
    const AnnounceResponse r = parse_ok(body);
    ASSERT_EQ(r.peers.size(), 3u);
    EXPECT_EQ(r.peers[0].endpoint, Endpoint::v4({1, 2, 3, 4}, 6881));
    ASSERT_TRUE(r.peers[0].peer_id);
    EXPECT_EQ(std::string(r.peers[0].peer_id->begin(), r.peers[0].peer_id->end()), id);
    EXPECT_EQ(r.peers[1].endpoint.to_string(), "[2001:db8::1]:443");
    EXPECT_FALSE(r.peers[1].peer_id);
    EXPECT_FALSE(r.peers[2].peer_id);
    EXPECT_EQ(r.invalid_peers, 8u);
}

TEST(ParseAnnounceResponse, RejectsMistypedPeerFields) {
    EXPECT_EQ(parse_error("d5:peersi1ee").code, Errc::invalid_field);
    EXPECT_EQ(parse_error("d5:peersdee").code, Errc::invalid_field);
    EXPECT_EQ(parse_error("d6:peers6lee").code, Errc::invalid_field);
}

TEST(ParseAnnounceResponse, RejectsBodiesThatAreNotBencodedDictionaries) {
    const std::pair<std::string, Errc> cases[] = {
        {"", Errc::malformed_bencode},
        {"<html><body>502 Bad Gateway</body></html>", Errc::malformed_bencode},
        {"d8:intervali1800e", Errc::malformed_bencode},                // truncated
        {"d8:intervali1800eex", Errc::malformed_bencode},              // trailing data
        {"d8:intervali1800e8:intervali1ee", Errc::malformed_bencode},  // duplicate key
        {"li1ee", Errc::not_a_dictionary},
        {"i42e", Errc::not_a_dictionary},
        {"5:peers", Errc::not_a_dictionary},
    };
    for (const auto& [body, code] : cases) {
        EXPECT_EQ(parse_error(body).code, code) << body;
    }
    EXPECT_NE(parse_error("li1ee").detail.find("list"), std::string::npos);
}

TEST(ParseAnnounceResponse, BoundsDecoderWork) {
    std::string deep(40, 'l');
    EXPECT_EQ(parse_error("d5:peers" + deep + std::string(40, 'e') + "e").code, Errc::malformed_bencode);
    std::string many = "d5:peersl";
    for (int i = 0; i < 200'001; ++i) many += "i1e";
    many += "ee";
    EXPECT_EQ(parse_error(many).code, Errc::malformed_bencode);
}

TEST(ParseAnnounceResponse, HugeAndNegativeCounts) {
    const AnnounceResponse r = parse_ok("d8:completei99999999999e10:downloaded3:abc10:incompletei-3ee");
    EXPECT_EQ(r.complete, 4294967295u);
    EXPECT_FALSE(r.downloaded);
    EXPECT_FALSE(r.incomplete);
}

TEST(ParseAnnounceResponse, BoundsThePeerCount) {
    std::string peers;
    for (std::uint32_t i = 0; i < 12'000; ++i) {
        const std::array<std::uint8_t, 6> p{10,
                                            static_cast<std::uint8_t>(i >> 16),
                                            static_cast<std::uint8_t>(i >> 8),
                                            static_cast<std::uint8_t>(i),
                                            0,
                                            1};
        peers.append(reinterpret_cast<const char*>(p.data()), 6);
    }
    const AnnounceResponse r = parse_ok("d5:peers" + bstr(peers) + "e");
    EXPECT_EQ(r.peers.size(), 10'000u);
    EXPECT_EQ(r.dropped_peers, 2'000u);
    EXPECT_EQ(r.peers.back().endpoint, Endpoint::v4({10, 0, 0x27, 0x0f}, 1));  // entry 9999

    ResponseLimits small;
    small.max_peers = 1;
    std::string v6(36, '\x01');
    const AnnounceResponse s =
        parse_ok("d5:peers" + bstr(peers.substr(0, 12)) + "6:peers6" + bstr(v6) + "e", small);
    EXPECT_EQ(s.peers.size(), 1u);
    EXPECT_EQ(s.dropped_peers, 3u);
}

TEST(ParseAnnounceResponse, IgnoresUnusableTrackerIds) {
    EXPECT_FALSE(parse_ok("d10:tracker id0:e").tracker_id);
    EXPECT_FALSE(parse_ok("d10:tracker id" + bstr(std::string(257, 'x')) + "e").tracker_id);
    EXPECT_EQ(parse_ok("d10:tracker id" + bstr(std::string(256, 'x')) + "e").tracker_id,
              std::string(256, 'x'));
    EXPECT_FALSE(parse_ok("d10:tracker idi5ee").tracker_id);
    EXPECT_FALSE(parse_ok("d15:warning messagei5ee").warning_message);
}

TEST(EncodeAnnounceResponse, RoundTripsInBothPeerForms) {
    AnnounceResponse r;
    r.interval = 900s;
    r.min_interval = 60s;
    r.tracker_id = "abc";
    r.complete = 3;
    r.incomplete = 4;
    r.downloaded = 5;
    r.warning_message = "w";
    PeerId id{};
    id.fill(7);
    r.peers = {Peer{Endpoint::v4({1, 2, 3, 4}, 5), id}, Peer{v6_loopback(9), std::nullopt},
               Peer{Endpoint::v4({5, 6, 7, 8}, 9), std::nullopt}};

    EXPECT_EQ(parse_ok(encode_announce_response(r, false)), r);

    AnnounceResponse compact = r;  // peer ids are lost and v6 peers come last
    compact.peers = {Peer{Endpoint::v4({1, 2, 3, 4}, 5), std::nullopt},
                     Peer{Endpoint::v4({5, 6, 7, 8}, 9), std::nullopt}, Peer{v6_loopback(9), std::nullopt}};
    EXPECT_EQ(parse_ok(encode_announce_response(r, true)), compact);

    AnnounceResponse failure;
    failure.failure_reason = "no";
    failure.retry_in = 5min;
    EXPECT_EQ(parse_ok(encode_announce_response(failure)), failure);
    EXPECT_EQ(encode_announce_response(failure), "d14:failure reason2:no8:retry ini5ee");
}

TEST(ParseScrapeResponse, ReadsFilesAndSkipsBadEntries) {
    const std::string a(20, 'a');
    const std::string b(20, 'b');
    const std::string body = "d5:filesd" + bstr(a) + "d8:completei5e10:downloadedi50e10:incompletei10ee" +
                             bstr(b) + "d8:completei1ee" + "3:bad" + "d8:completei1ee" +
                             bstr(std::string(20, 'c')) + "i1e" + "ee";
    auto r = parse_scrape_response(body);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->files.size(), 2u);
    EXPECT_EQ(r->files[0].first[0], 'a');
    EXPECT_EQ(r->files[0].second, (ScrapeStats{5, 50, 10}));
    EXPECT_EQ(r->files[1].first[0], 'b');
    EXPECT_EQ(r->files[1].second, (ScrapeStats{1, 0, 0}));
    EXPECT_EQ(r->dropped_files, 2u);  // the 3-byte key and the value that is not a dictionary
    ScrapeResponse kept = *r;
    kept.dropped_files = 0;
    EXPECT_EQ(parse_scrape_response(encode_scrape_response(*r)).value(), kept);
}

InfoHashBytes filled(std::uint8_t byte) {
    InfoHashBytes h{};
    h.fill(byte);
    return h;
}

// A reply with one entry per hash in `hashes`, complete = the hash's first byte.
std::string scrape_body(const std::vector<InfoHashBytes>& hashes) {
    ScrapeResponse r;
    for (const auto& h : hashes) r.files.emplace_back(h, ScrapeStats{h[0], 0, 1});
    return encode_scrape_response(r);
}

TEST(ParseScrapeResponse, KeepsOnlyTheWantedHashes) {
    const std::string body = scrape_body({filled('a'), filled('b'), filled('c')});
    const std::vector<InfoHashBytes> wanted = {filled('c'), filled('z')};
    auto r = parse_scrape_response(body, {}, wanted);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->files.size(), 1u);
    EXPECT_EQ(r->files[0].first, filled('c'));
    EXPECT_EQ(r->dropped_files, 2u);
    ASSERT_NE(r->find(filled('c')), nullptr);
    EXPECT_EQ(r->find(filled('c'))->complete, 'c');
    EXPECT_EQ(r->find(filled('z')), nullptr);  // asked, not answered
    EXPECT_EQ(r->find(filled('a')), nullptr);  // answered, not asked
}

TEST(ParseScrapeResponse, AFullScrapeIsBounded) {
    std::vector<InfoHashBytes> hashes;
    for (int i = 0; i < 50; ++i) hashes.push_back(filled(static_cast<std::uint8_t>(i)));
    ResponseLimits limits;
    limits.max_scrape_files = 8;
    auto r = parse_scrape_response(scrape_body(hashes), limits);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files.size(), 8u);
    EXPECT_EQ(r->dropped_files, 42u);
    // The hashes asked for are found wherever they are, whatever the bound.
    const std::vector<InfoHashBytes> wanted = {filled(49)};
    auto asked = parse_scrape_response(scrape_body(hashes), limits, wanted);
    ASSERT_TRUE(asked);
    ASSERT_EQ(asked->files.size(), 1u);
    EXPECT_EQ(asked->files[0].second.complete, 49u);
}

TEST(ParseScrapeResponse, ReadsTheMinRequestIntervalFlag) {
    const std::string files = "5:filesd" + bstr(std::string(20, 'a')) + "d8:completei1eee";
    auto r = parse_scrape_response("d" + files + "5:flagsd20:min_request_intervali3600eee");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->min_request_interval, 3600s);
    EXPECT_EQ(parse_scrape_response(encode_scrape_response(*r)).value(), *r);
    // Clamped to the interval ceiling; negative or of the wrong type: ignored.
    EXPECT_EQ(
        parse_scrape_response("d5:flagsd20:min_request_intervali99999999eee").value().min_request_interval,
        ResponseLimits{}.interval_ceiling);
    EXPECT_FALSE(
        parse_scrape_response("d5:flagsd20:min_request_intervali-1eee").value().min_request_interval);
    EXPECT_FALSE(parse_scrape_response("d5:flagsd20:min_request_interval1:xee").value().min_request_interval);
    EXPECT_FALSE(parse_scrape_response("d5:flagsi1ee").value().min_request_interval);
}

TEST(ParseScrapeResponse, NegativeAndHugeCounts) {
    const std::string body = "d5:filesd" + bstr(std::string(20, 'a')) +
                             "d8:completei-5e10:downloadedi99999999999e10:incomplete1:xeee";
    auto r = parse_scrape_response(body);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->files.size(), 1u);
    EXPECT_EQ(r->files[0].second, (ScrapeStats{0, 0xffffffffU, 0}));
}

TEST(ParseScrapeResponse, FailureAndErrors) {
    auto failure = parse_scrape_response("d14:failure reason4:nopee");
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->failure_reason, "nope");
    EXPECT_TRUE(parse_scrape_response("de").value().files.empty());
    EXPECT_EQ(parse_scrape_response("d5:filesli1eee").error().code, Errc::invalid_field);
    EXPECT_EQ(parse_scrape_response("d14:failure reasoni1ee").error().code, Errc::invalid_field);
    // A failure wins over everything else, a malformed "files" included.
    EXPECT_EQ(parse_scrape_response("d14:failure reason2:no5:filesi1ee").value().failure_reason, "no");
    EXPECT_EQ(parse_scrape_response("le").error().code, Errc::not_a_dictionary);
    EXPECT_EQ(parse_scrape_response("x").error().code, Errc::malformed_bencode);
}

}  // namespace
}  // namespace bt::tracker
