#include "tracker/udp_codec.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace bt::tracker {
namespace {

using test::hex;
using test::hex_of;

// Field by field, as laid out in BEP 15.
const std::string kHash11 = std::string(40, '1');  // 20 bytes of 0x11
const std::string kPeer22 = std::string(40, '2');

AnnounceRequest sample_announce() {
    AnnounceRequest a;
    a.info_hash.fill(0x11);
    a.peer_id.fill(0x22);
    a.downloaded = 0x100;
    a.left = 0x1000;
    a.uploaded = 0x10;
    a.event = Event::started;
    a.key = 0xcafef00d;
    a.port = 6881;
    return a;
}

UdpAnnounceRequest sample_udp_announce() {
    return UdpAnnounceRequest{0x0102030405060708ULL, 0xdeadbeef, sample_announce(), 0, ""};
}

const std::string kAnnounceHex =
    "0102030405060708 00000001 deadbeef " + kHash11 + " " + kPeer22 +
    " 0000000000000100 0000000000001000 0000000000000010 00000002 00000000 cafef00d"
    " ffffffff 1ae1";

template <class T>
T response_as(const std::vector<std::uint8_t>& packet, Endpoint::Family family = Endpoint::Family::v4) {
    auto r = parse_udp_response(packet, family);
    EXPECT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r && std::holds_alternative<T>(*r));
    return r && std::holds_alternative<T>(*r) ? std::get<T>(*r) : T{};
}

Errc response_error(const std::vector<std::uint8_t>& packet, Endpoint::Family family = Endpoint::Family::v4) {
    auto r = parse_udp_response(packet, family);
    EXPECT_FALSE(r);
    return r ? Errc{} : r.error().code;
}

TEST(UdpCodec, ConnectRequestMatchesBep15) {
    EXPECT_EQ(encode_udp_request(UdpConnectRequest{0x12345678}), hex("0000041727101980 00000000 12345678"));
}

TEST(UdpCodec, AnnounceRequestMatchesBep15) {
    const auto packet = encode_udp_request(sample_udp_announce());
    EXPECT_EQ(packet.size(), kUdpAnnounceRequestSize);
    EXPECT_EQ(packet, hex(kAnnounceHex));
}

TEST(UdpCodec, AnnounceRequestNumwantAndEvents) {
    UdpAnnounceRequest r = sample_udp_announce();
    r.request.numwant = 50;
    const auto packet = encode_udp_request(r);
    EXPECT_EQ(to_hex(std::span(packet).subspan(92, 4)), "00000032");
    const std::pair<Event, std::uint32_t> events[] = {
        {Event::none, 0}, {Event::completed, 1}, {Event::started, 2}, {Event::stopped, 3}};
    for (const auto& [event, id] : events) {
        EXPECT_EQ(udp_event_id(event), id);
        EXPECT_EQ(event_from_udp_id(id), event);
        r.request.event = event;
        EXPECT_EQ(encode_udp_request(r)[83], id);
    }
    EXPECT_FALSE(event_from_udp_id(4));
}

TEST(UdpCodec, AnnounceRequestAppendsBep41UrlData) {
    UdpAnnounceRequest r = sample_udp_announce();
    r.url_data = "/announce?k=1";
    EXPECT_EQ(encode_udp_request(r), hex(kAnnounceHex + " 02 0d " + hex_of("/announce?k=1")));

    r.url_data = std::string(300, 'x');  // split into 255 + 45
    const auto packet = encode_udp_request(r);
    ASSERT_EQ(packet.size(), kUdpAnnounceRequestSize + 2 + 255 + 2 + 45);
    EXPECT_EQ(packet[98], 0x02);
    EXPECT_EQ(packet[99], 255);
    EXPECT_EQ(packet[98 + 2 + 255], 0x02);
    EXPECT_EQ(packet[98 + 2 + 255 + 1], 45);
}

TEST(UdpCodec, ScrapeRequestMatchesBep15) {
    InfoHashBytes a{};
    a.fill(0xaa);
    InfoHashBytes b{};
    b.fill(0xbb);
    EXPECT_EQ(encode_udp_request(UdpScrapeRequest{0x0102030405060708ULL, 7, {a, b}}),
              hex("0102030405060708 00000002 00000007 " + std::string(40, 'a') + std::string(40, 'b')));
}

TEST(UdpCodec, ParsesConnectResponse) {
    const auto r = response_as<UdpConnectResponse>(hex("00000000 12345678 0102030405060708"));
    EXPECT_EQ(r.transaction_id, 0x12345678u);
    EXPECT_EQ(r.connection_id, 0x0102030405060708ULL);
    // Extra bytes are ignored; a short packet is not.
    EXPECT_EQ(response_as<UdpConnectResponse>(hex("00000000 12345678 0102030405060708 ffff")), r);
    EXPECT_EQ(response_error(hex("00000000 12345678 01020304050607")), Errc::packet_too_short);
}

TEST(UdpCodec, ParsesIpv4AnnounceResponse) {
    const auto r = response_as<UdpAnnounceResponse>(
        hex("00000001 deadbeef 00000708 00000005 00000003 01020304 1ae1 0a000001 0050"));
    EXPECT_EQ(r.transaction_id, 0xdeadbeefu);
    EXPECT_EQ(r.interval, 1800);
    EXPECT_EQ(r.leechers, 5u);
    EXPECT_EQ(r.seeders, 3u);
    ASSERT_EQ(r.peers.size(), 2u);
    EXPECT_EQ(r.peers[0], Endpoint::v4({1, 2, 3, 4}, 6881));
    EXPECT_EQ(r.peers[1], Endpoint::v4({10, 0, 0, 1}, 80));
    EXPECT_TRUE(
        response_as<UdpAnnounceResponse>(hex("00000001 deadbeef 00000708 00000000 00000000")).peers.empty());
}

TEST(UdpCodec, Ipv6AnnounceResponseDependsOnTheSocketFamily) {
    const auto packet =
        hex("00000001 00000009 0000003c 00000000 00000001 20010db8000000000000000000000001 1ae1");
    const auto v6 = response_as<UdpAnnounceResponse>(packet, Endpoint::Family::v6);
    ASSERT_EQ(v6.peers.size(), 1u);
    EXPECT_EQ(v6.peers[0].to_string(), "[2001:db8::1]:6881");
    // The same 18 bytes read over IPv4 are three IPv4 entries: nothing in the packet tells them apart.
    EXPECT_EQ(response_as<UdpAnnounceResponse>(packet, Endpoint::Family::v4).peers.size(), 3u);
    EXPECT_EQ(response_error(hex("00000001 00000009 0000003c 00000000 00000001 010203041ae1"),
                             Endpoint::Family::v6),
              Errc::invalid_peers);
}

TEST(UdpCodec, RejectsBadAnnounceResponses) {
    EXPECT_EQ(response_error(hex("00000001 deadbeef 00000708 00000005 000000")), Errc::packet_too_short);
    EXPECT_EQ(response_error(hex("00000001 deadbeef 00000708 00000005 00000003 01020304 1a")),
              Errc::invalid_peers);
}

TEST(UdpCodec, BoundsAnnouncePeers) {
    auto packet = hex("00000001 00000001 00000708 00000000 00000000");
    for (int i = 0; i < 5; ++i) packet.insert(packet.end(), {1, 1, 1, static_cast<std::uint8_t>(i), 0, 1});
    auto r = parse_udp_response(packet, Endpoint::Family::v4, 2);
    ASSERT_TRUE(r);
    const auto& a = std::get<UdpAnnounceResponse>(*r);
    EXPECT_EQ(a.peers.size(), 2u);
    EXPECT_EQ(a.dropped_peers, 3u);
}

TEST(UdpCodec, ParsesScrapeResponse) {
    const auto r = response_as<UdpScrapeResponse>(
        hex("00000002 00000007 00000001 00000002 00000003 0000000a 0000000b 0000000c"));
    EXPECT_EQ(r.transaction_id, 7u);
    ASSERT_EQ(r.entries.size(), 2u);
    EXPECT_EQ(r.entries[0], (ScrapeStats{1, 2, 3}));  // seeders, completed, leechers
    EXPECT_EQ(r.entries[1], (ScrapeStats{10, 11, 12}));
    EXPECT_EQ(response_error(hex("00000002 00000007 00000001 00000002 00000003 00")), Errc::invalid_packet);
}

TEST(UdpCodec, ParsesErrorResponse) {
    const auto r = response_as<UdpErrorResponse>(hex("00000003 00000007 " + hex_of("tracker down")));
    EXPECT_EQ(r.transaction_id, 7u);
    EXPECT_EQ(r.message, "tracker down");
    EXPECT_EQ(response_as<UdpErrorResponse>(hex("00000003 00000007")).message, "");
}

TEST(UdpCodec, RejectsUnknownActionsAndShortPackets) {
    EXPECT_EQ(response_error(hex("00000004 00000007")), Errc::invalid_packet);
    EXPECT_EQ(response_error(hex("ffffffff 00000007 00000000")), Errc::invalid_packet);
    EXPECT_EQ(response_error(hex("00000003 000000")), Errc::packet_too_short);
    EXPECT_EQ(response_error({}), Errc::packet_too_short);
}

TEST(UdpCodec, ReadsTransactionIdForRouting) {
    EXPECT_EQ(udp_response_transaction_id(hex("00000001 a1b2c3d4")), 0xa1b2c3d4u);
    EXPECT_FALSE(udp_response_transaction_id(hex("00000001 a1b2c3")));
}

TEST(UdpCodec, ResponsesRoundTrip) {
    const UdpResponse responses[] = {
        UdpConnectResponse{1, 0xfedcba9876543210ULL},
        UdpAnnounceResponse{2, 1800, 4, 5, {Endpoint::v4({9, 8, 7, 6}, 5)}, 0},
        UdpScrapeResponse{3, {ScrapeStats{1, 2, 3}}},
        UdpErrorResponse{4, "nope"},
    };
    for (const auto& response : responses) {
        auto parsed = parse_udp_response(encode_udp_response(response), Endpoint::Family::v4);
        ASSERT_TRUE(parsed) << parsed.error().message();
        EXPECT_EQ(*parsed, response);
    }
}

TEST(UdpCodec, TrackerSideParsesRequests) {
    auto connect = parse_udp_request(hex("0000041727101980 00000000 12345678"));
    ASSERT_TRUE(connect);
    EXPECT_EQ(std::get<UdpConnectRequest>(*connect).transaction_id, 0x12345678u);

    UdpAnnounceRequest announce = sample_udp_announce();
    announce.request.numwant = 7;
    announce.url_data = std::string(300, 'u');
    auto parsed = parse_udp_request(encode_udp_request(announce));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(std::get<UdpAnnounceRequest>(*parsed), announce);

    const UdpScrapeRequest scrape{5, 6, {InfoHashBytes{}, InfoHashBytes{}}};
    auto scraped = parse_udp_request(encode_udp_request(scrape));
    ASSERT_TRUE(scraped);
    EXPECT_EQ(std::get<UdpScrapeRequest>(*scraped), scrape);
}

TEST(UdpCodec, TrackerSideReadsBep41OptionsLeniently) {
    const auto base = hex(kAnnounceHex);
    auto with = [&base](const std::string& options) {
        auto packet = base;
        const auto extra = hex(options);
        packet.insert(packet.end(), extra.begin(), extra.end());
        auto r = parse_udp_request(packet);
        EXPECT_TRUE(r);
        return r ? std::get<UdpAnnounceRequest>(*r).url_data : std::string("<error>");
    };
    EXPECT_EQ(with(""), "");
    EXPECT_EQ(with("01 02 02 2f61 01 02 01 62"), "/ab");  // nop, data, nop, data
    EXPECT_EQ(with("02 02 2f61 00 02 01 62"), "/a");      // end of options
    EXPECT_EQ(with("07 01 ff 02 01 62"), "b");            // unknown option with a length: skipped
    EXPECT_EQ(with("02 02 2f61 02 05 62"), "/a");         // truncated option: ignored
    EXPECT_EQ(with("02"), "");
}

TEST(UdpCodec, TrackerSideRejectsBadRequests) {
    auto error_of = [](const std::vector<std::uint8_t>& packet) {
        auto r = parse_udp_request(packet);
        EXPECT_FALSE(r);
        return r ? Errc{} : r.error().code;
    };
    EXPECT_EQ(error_of(hex("0000041727101981 00000000 12345678")), Errc::invalid_packet);  // protocol id
    EXPECT_EQ(error_of(hex("0000041727101980 00000000 123456")), Errc::packet_too_short);
    EXPECT_EQ(error_of(hex("0000000000000001 00000003 00000001")), Errc::invalid_packet);  // action 3
    auto bad_event = hex(kAnnounceHex);
    bad_event[83] = 4;
    EXPECT_EQ(error_of(bad_event), Errc::invalid_packet);
    auto short_announce = hex(kAnnounceHex);
    short_announce.pop_back();
    EXPECT_EQ(error_of(short_announce), Errc::packet_too_short);
    EXPECT_EQ(error_of(hex("0000000000000001 00000002 00000001")), Errc::invalid_packet);  // no hashes
    EXPECT_EQ(error_of(hex("0000000000000001 00000002 00000001 0102")), Errc::invalid_packet);
}

TEST(UdpCodec, ToAnnounceResponseChecksAndClamps) {
    using namespace std::chrono_literals;
    UdpAnnounceResponse u{1, 5, 7, 9, {Endpoint::v4({1, 1, 1, 1}, 0), Endpoint::v4({2, 2, 2, 2}, 2)}, 4};
    auto r = to_announce_response(u);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->interval, 60s);  // floor
    EXPECT_EQ(r->complete, 9u);
    EXPECT_EQ(r->incomplete, 7u);
    EXPECT_EQ(r->invalid_peers, 1u);
    EXPECT_EQ(r->dropped_peers, 4u);
    ASSERT_EQ(r->peers.size(), 1u);
    EXPECT_EQ(r->peers[0].endpoint, Endpoint::v4({2, 2, 2, 2}, 2));
    u.interval = -1;
    EXPECT_EQ(to_announce_response(u).error().code, Errc::invalid_field);
    u.interval = 0x7fffffff;
    EXPECT_EQ(to_announce_response(u)->interval, 86400s);
}

}  // namespace
}  // namespace bt::tracker
