#include "tracker/udp_transaction.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace bt::tracker {
namespace {

using namespace std::chrono_literals;
using test::hex;
using Packet = std::vector<std::uint8_t>;
using TimePoint = UdpTrackerTransaction::TimePoint;

const TimePoint kT0 = TimePoint{} + 1000h;  // any fixed point on the fake clock

std::uint32_t u32_at(const Packet& p, std::size_t offset) {
    return (std::uint32_t{p.at(offset)} << 24) | (std::uint32_t{p.at(offset + 1)} << 16) |
           (std::uint32_t{p.at(offset + 2)} << 8) | p.at(offset + 3);
}

// Requests carry the transaction id at offset 12 (connect, announce and scrape alike).
std::uint32_t tid_of(const Packet& request) {
    return u32_at(request, 12);
}
bool is_connect(const Packet& p) {
    return p.size() == 16 && u32_at(p, 0) == 0x417 && u32_at(p, 4) == 0x27101980;
}
bool is_announce(const Packet& p) {
    return p.size() >= 98 && u32_at(p, 8) == 1;
}

Packet connect_response(std::uint32_t tid, std::uint64_t connection_id) {
    return encode_udp_response(UdpConnectResponse{tid, connection_id});
}

Packet announce_response(std::uint32_t tid, std::int32_t interval, std::vector<Endpoint> peers) {
    return encode_udp_response(UdpAnnounceResponse{tid, interval, 2, 3, std::move(peers), 0});
}

AnnounceRequest sample_request() {
    AnnounceRequest r;
    r.info_hash.fill(0x11);
    r.peer_id.fill(0x22);
    r.port = 6881;
    r.event = Event::started;
    return r;
}

UdpTransactionSettings fast_settings() {
    UdpTransactionSettings s;
    s.base_timeout = 1s;
    return s;
}

// The single datagram queued right now (fails the test otherwise).
Packet only_output(UdpTrackerTransaction& t) {
    auto out = t.take_output();
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? Packet{} : out.front();
}

TEST(UdpTrackerTransaction, ConnectsThenAnnounces) {
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), "/announce"}, fast_settings(),
                            42, kT0);
    const Packet connect = only_output(t);
    ASSERT_TRUE(is_connect(connect));
    EXPECT_EQ(t.next_deadline(), kT0 + 1s);

    t.feed(connect_response(tid_of(connect), 0xc0ffee), kT0 + 100ms);
    const Packet announce = only_output(t);
    ASSERT_TRUE(is_announce(announce));
    EXPECT_EQ(u32_at(announce, 0), 0u);
    EXPECT_EQ(u32_at(announce, 4), 0xc0ffeeu);  // the connection id
    EXPECT_NE(tid_of(announce), tid_of(connect));
    EXPECT_EQ(announce.size(), 98u + 2 + 9);  // BEP 41 URL data "/announce"
    EXPECT_EQ(t.next_deadline(), kT0 + 100ms + 1s);
    EXPECT_FALSE(t.done());

    t.feed(announce_response(tid_of(announce), 1800, {Endpoint::v4({1, 2, 3, 4}, 6881)}), kT0 + 200ms);
    ASSERT_TRUE(t.done());
    EXPECT_FALSE(t.next_deadline());
    EXPECT_TRUE(t.take_output().empty());
    ASSERT_TRUE(t.result() && *t.result());
    const auto& reply = std::get<AnnounceResponse>(t.result()->value());
    EXPECT_FALSE(reply.failure_reason);
    EXPECT_EQ(reply.interval, 1800s);
    EXPECT_EQ(reply.incomplete, 2u);
    EXPECT_EQ(reply.complete, 3u);
    ASSERT_EQ(reply.peers.size(), 1u);
    EXPECT_EQ(reply.peers[0].endpoint, Endpoint::v4({1, 2, 3, 4}, 6881));
    ASSERT_TRUE(t.connection());
    EXPECT_EQ(t.connection()->id, 0xc0ffeeu);
    EXPECT_EQ(t.connection()->obtained_at, kT0 + 100ms);
}

TEST(UdpTrackerTransaction, IgnoresForeignAndStrayDatagrams) {
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, fast_settings(), 1, kT0);
    const Packet connect = only_output(t);
    const std::uint32_t tid = tid_of(connect);
    t.feed(connect_response(tid + 1, 5), kT0);                     // wrong transaction id
    t.feed(hex("00000000"), kT0);                                  // too short for an id
    t.feed(announce_response(tid, 1800, {}), kT0);                 // right id, unexpected action
    t.feed(encode_udp_response(UdpScrapeResponse{tid, {}}), kT0);  // same
    EXPECT_FALSE(t.done());
    EXPECT_TRUE(t.take_output().empty());
    EXPECT_EQ(t.next_deadline(), kT0 + 1s);

    t.feed(connect_response(tid, 5), kT0);
    const Packet announce = only_output(t);
    t.feed(connect_response(tid, 6), kT0);  // a late duplicate of the connect answer
    t.feed(announce_response(tid_of(announce) ^ 1, 1800, {}), kT0);
    EXPECT_FALSE(t.done());
    EXPECT_TRUE(t.take_output().empty());
    EXPECT_EQ(t.connection()->id, 5u);
}

TEST(UdpTrackerTransaction, RetransmitsOnBep15Schedule) {
    const UdpTransactionSettings bep15;  // 15 s base, n up to 8
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, bep15, 7, kT0);
    const Packet first = only_output(t);
    TimePoint now = kT0;
    for (unsigned n = 0; n <= 8; ++n) {
        ASSERT_TRUE(t.next_deadline());
        EXPECT_EQ(*t.next_deadline() - now, 15s * (1 << n)) << n;
        now = *t.next_deadline();
        t.on_timer(now - 1ms);  // early: nothing happens
        EXPECT_TRUE(t.take_output().empty());
        t.on_timer(now);
        if (n < 8) {
            EXPECT_EQ(only_output(t), first) << n;  // same bytes, same transaction id
            EXPECT_EQ(t.retransmits(), n + 1);
        }
    }
    ASSERT_TRUE(t.done());
    EXPECT_EQ(now - kT0, 15s * 511);  // 15 * (2^9 - 1): 2 h 7 min 45 s
    EXPECT_TRUE(t.take_output().empty());
    ASSERT_TRUE(t.result());
    ASSERT_FALSE(*t.result());
    EXPECT_EQ(t.result()->error().code, Errc::timed_out);
}

TEST(UdpTrackerTransaction, HonoursAConfiguredRetransmitLimit) {
    UdpTransactionSettings s = fast_settings();
    s.max_retransmits = 2;
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, s, 7, kT0);
    int sent = 0;
    while (!t.done()) {
        sent += static_cast<int>(t.take_output().size());
        t.on_timer(*t.next_deadline());
    }
    EXPECT_EQ(sent, 3);  // the first send and two retransmissions
    EXPECT_EQ(t.result()->error().code, Errc::timed_out);
}

TEST(UdpTrackerTransaction, BackoffCarriesOverFromConnectToAnnounce) {
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, fast_settings(), 3, kT0);
    const Packet connect = only_output(t);
    t.on_timer(kT0 + 1s);  // n = 1
    EXPECT_EQ(only_output(t), connect);
    t.feed(connect_response(tid_of(connect), 9), kT0 + 2s);
    ASSERT_TRUE(is_announce(only_output(t)));
    EXPECT_EQ(t.next_deadline(), kT0 + 2s + 2s);  // 1 s * 2^1: n is not reset
}

TEST(UdpTrackerTransaction, ReconnectsWhenTheConnectionIdExpires) {
    UdpTransactionSettings s;
    s.base_timeout = 20s;  // connection ids last 60 s
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, s, 3, kT0);
    const Packet connect = only_output(t);
    t.feed(connect_response(tid_of(connect), 9), kT0);
    const Packet announce = only_output(t);

    t.on_timer(kT0 + 20s);  // id still valid: the announce goes again
    EXPECT_EQ(only_output(t), announce);
    EXPECT_EQ(t.next_deadline(), kT0 + 60s);

    t.on_timer(kT0 + 60s);  // id expired: a fresh connect with a fresh transaction id
    const Packet reconnect = only_output(t);
    ASSERT_TRUE(is_connect(reconnect));
    EXPECT_NE(tid_of(reconnect), tid_of(connect));
    EXPECT_EQ(t.next_deadline(), kT0 + 60s + 80s);

    t.feed(announce_response(tid_of(announce), 1800, {}), kT0 + 61s);  // answers the old announce: ignored
    EXPECT_FALSE(t.done());
    t.feed(connect_response(tid_of(reconnect), 10), kT0 + 61s);
    const Packet announce2 = only_output(t);
    EXPECT_EQ(u32_at(announce2, 4), 10u);
    t.feed(announce_response(tid_of(announce2), 1800, {}), kT0 + 62s);
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.result()->has_value());
}

TEST(UdpTrackerTransaction, ReusesAValidCachedConnection) {
    const UdpConnection cached{0xabc, kT0 - 30s};
    UdpTrackerTransaction fresh(UdpTrackerTransaction::Announce{sample_request(), ""}, fast_settings(), 3,
                                kT0, cached);
    const Packet announce = only_output(fresh);
    ASSERT_TRUE(is_announce(announce));
    EXPECT_EQ(u32_at(announce, 4), 0xabcu);

    UdpTrackerTransaction stale(UdpTrackerTransaction::Announce{sample_request(), ""}, fast_settings(), 3,
                                kT0 + 30s, cached);
    EXPECT_TRUE(is_connect(only_output(stale)));
    EXPECT_FALSE(stale.connection());
}

TEST(UdpTrackerTransaction, TrackerErrorBecomesFailureReason) {
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, fast_settings(), 3, kT0);
    const Packet connect = only_output(t);
    Packet error = encode_udp_response(UdpErrorResponse{tid_of(connect), std::string("go away\0", 8)});
    t.feed(error, kT0);
    ASSERT_TRUE(t.done());
    ASSERT_TRUE(t.result()->has_value());
    EXPECT_EQ(std::get<AnnounceResponse>(t.result()->value()).failure_reason, "go away");
}

TEST(UdpTrackerTransaction, MalformedMatchingReplyEndsWithItsError) {
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, fast_settings(), 3, kT0);
    t.feed(connect_response(tid_of(only_output(t)), 1), kT0);
    Packet bad = announce_response(tid_of(only_output(t)), 1800, {});
    bad.push_back(1);  // a 1-byte peer entry
    t.feed(bad, kT0);
    ASSERT_TRUE(t.done());
    EXPECT_EQ(t.result()->error().code, Errc::invalid_peers);

    UdpTrackerTransaction n(UdpTrackerTransaction::Announce{sample_request(), ""}, fast_settings(), 3, kT0);
    n.feed(connect_response(tid_of(only_output(n)), 1), kT0);
    n.feed(announce_response(tid_of(only_output(n)), -1, {}), kT0);
    EXPECT_EQ(n.result()->error().code, Errc::invalid_field);
}

TEST(UdpTrackerTransaction, Ipv6SocketReadsEighteenBytePeers) {
    UdpTransactionSettings s = fast_settings();
    s.family = Endpoint::Family::v6;
    UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, s, 3, kT0);
    t.feed(connect_response(tid_of(only_output(t)), 1), kT0);
    const Endpoint peer = *parse_endpoint("[2001:db8::7]:51413");
    t.feed(announce_response(tid_of(only_output(t)), 1800, {peer}), kT0);
    ASSERT_TRUE(t.done() && t.result()->has_value());
    const auto& reply = std::get<AnnounceResponse>(t.result()->value());
    ASSERT_EQ(reply.peers.size(), 1u);
    EXPECT_EQ(reply.peers[0].endpoint, peer);
}

TEST(UdpTrackerTransaction, ScrapesInRequestOrder) {
    std::vector<InfoHashBytes> hashes(2);
    hashes[0].fill(0xaa);
    hashes[1].fill(0xbb);
    UdpTrackerTransaction t(UdpTrackerTransaction::Scrape{hashes}, fast_settings(), 3, kT0);
    t.feed(connect_response(tid_of(only_output(t)), 1), kT0);
    const Packet scrape = only_output(t);
    EXPECT_EQ(scrape, encode_udp_request(UdpScrapeRequest{1, tid_of(scrape), hashes}));
    t.feed(encode_udp_response(UdpScrapeResponse{tid_of(scrape), {{1, 2, 3}, {4, 5, 6}}}), kT0);
    ASSERT_TRUE(t.done() && t.result()->has_value());
    const auto& reply = std::get<ScrapeResponse>(t.result()->value());
    ASSERT_EQ(reply.files.size(), 2u);
    EXPECT_EQ(reply.files[0], std::make_pair(hashes[0], ScrapeStats{1, 2, 3}));
    EXPECT_EQ(reply.files[1], std::make_pair(hashes[1], ScrapeStats{4, 5, 6}));
}

TEST(UdpTrackerTransaction, AShortScrapeReplyAnswersTheFirstHashesAndALongOneIsMalformed) {
    std::vector<InfoHashBytes> hashes(2);
    hashes[0].fill(0xaa);
    hashes[1].fill(0xbb);
    for (const std::size_t entries : {std::size_t{1}, std::size_t{3}}) {
        UdpTrackerTransaction t(UdpTrackerTransaction::Scrape{hashes}, fast_settings(), 3, kT0);
        t.feed(connect_response(tid_of(only_output(t)), 1), kT0);
        const Packet scrape = only_output(t);
        t.feed(encode_udp_response(UdpScrapeResponse{
                   tid_of(scrape), std::vector<ScrapeStats>(entries, ScrapeStats{1, 2, 3})}),
               kT0);
        ASSERT_TRUE(t.done()) << entries;
        if (entries == 1) {
            const auto& reply = std::get<ScrapeResponse>(t.result()->value());
            ASSERT_EQ(reply.files.size(), 1u);
            EXPECT_EQ(reply.files[0], std::make_pair(hashes[0], ScrapeStats{1, 2, 3}));
            EXPECT_EQ(reply.find(hashes[1]), nullptr);
        } else {
            EXPECT_EQ(t.result()->error().code, Errc::invalid_packet);
            EXPECT_EQ(t.result()->error().detail, "scrape response: 3 entries for 2 info-hashes");
        }
    }
}

TEST(UdpTrackerTransaction, AScrapeErrorIsTheTrackersText) {
    UdpTrackerTransaction t(UdpTrackerTransaction::Scrape{std::vector<InfoHashBytes>(1)}, fast_settings(), 3,
                            kT0);
    t.feed(connect_response(tid_of(only_output(t)), 1), kT0);
    const Packet scrape = only_output(t);
    t.feed(encode_udp_response(UdpErrorResponse{tid_of(scrape), std::string("not tracked\0\0", 13)}), kT0);
    ASSERT_TRUE(t.done() && t.result()->has_value());
    const auto& reply = std::get<ScrapeResponse>(t.result()->value());
    EXPECT_EQ(reply.failure_reason, "not tracked");
    EXPECT_TRUE(reply.files.empty());
}

TEST(UdpTrackerTransaction, RefusesScrapesThePacketCannotCarry) {
    for (std::size_t n : {std::size_t{0}, kUdpMaxScrapeHashes + 1}) {
        UdpTrackerTransaction t(UdpTrackerTransaction::Scrape{std::vector<InfoHashBytes>(n)}, fast_settings(),
                                3, kT0);
        EXPECT_TRUE(t.done()) << n;
        EXPECT_TRUE(t.take_output().empty());
        EXPECT_EQ(t.result()->error().code, Errc::invalid_request);
    }
    UdpTrackerTransaction max(UdpTrackerTransaction::Scrape{std::vector<InfoHashBytes>(kUdpMaxScrapeHashes)},
                              fast_settings(), 3, kT0);
    EXPECT_FALSE(max.done());
}

TEST(UdpTrackerTransaction, TransactionIdsFollowTheSeed) {
    auto first_tid = [](std::uint64_t seed) {
        UdpTrackerTransaction t(UdpTrackerTransaction::Announce{sample_request(), ""}, fast_settings(), seed,
                                kT0);
        return tid_of(t.take_output().at(0));
    };
    EXPECT_EQ(first_tid(99), first_tid(99));
    EXPECT_NE(first_tid(99), first_tid(100));
}

}  // namespace
}  // namespace bt::tracker
