// The tracker client against in-process trackers on 127.0.0.1 (and ::1 where the host has it): a UDP
// stub built on the pure codec, and a one-shot HTTP stub. Short timeouts keep every case quick.
#include "net/tracker_client.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/this_coro.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/udp_mux.hpp"
#include "tracker/http_response.hpp"
#include "tracker/udp_codec.hpp"

namespace bt::net {
namespace {

using namespace std::chrono_literals;
using asio::ip::udp;
using Packet = std::vector<std::uint8_t>;
using Reply = Result<tracker::AnnounceResponse, std::string>;

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// A UDP tracker: parses each request with the pure codec and sends whatever `respond` returns.
struct UdpStub {
    UdpStub(asio::io_context& io, const asio::ip::address& address)
        : socket(io, udp::endpoint(address, 0)), local(socket.local_endpoint()) {}

    // Valid after the socket is closed, too.
    std::uint16_t port() const { return local.port(); }
    std::string url(const std::string& path = "/announce") const {
        const auto address = local.address();
        const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
        return "udp://" + host + ":" + std::to_string(port()) + path;
    }
    std::size_t count_connects() const {
        std::size_t n = 0;
        for (const auto& r : requests) n += std::holds_alternative<tracker::UdpConnectRequest>(r) ? 1 : 0;
        return n;
    }

    asio::awaitable<void> run() {
        std::vector<std::uint8_t> buffer(65536);
        udp::endpoint from;
        for (;;) {
            auto [ec, n] = co_await socket.async_receive_from(asio::buffer(buffer), from, use_nothrow);
            if (ec) co_return;
            auto request = tracker::parse_udp_request(std::span<const std::uint8_t>(buffer.data(), n));
            if (!request) continue;
            requests.push_back(*request);
            senders.push_back(from);
            last_sender = from;
            for (const auto& packet : respond(*request, requests.size() - 1)) {
                co_await socket.async_send_to(asio::buffer(packet), from, use_nothrow);
            }
        }
    }

    udp::socket socket;
    udp::endpoint local;
    udp::endpoint last_sender;           // where the latest request came from
    std::vector<udp::endpoint> senders;  // where each request came from
    std::vector<tracker::UdpRequest> requests;
    // (request, its index among all requests) -> datagrams to send back.
    std::function<std::vector<Packet>(const tracker::UdpRequest&, std::size_t)> respond;
};

std::uint32_t tid_of(const tracker::UdpRequest& request) {
    return std::visit([](const auto& r) { return r.transaction_id; }, request);
}

Packet connect_reply(const tracker::UdpRequest& request,
                     std::uint64_t connection_id = 0x1122334455667788ULL) {
    return tracker::encode_udp_response(tracker::UdpConnectResponse{tid_of(request), connection_id});
}

Packet announce_reply(std::uint32_t tid, std::vector<Endpoint> peers, std::int32_t interval = 900) {
    return tracker::encode_udp_response(
        tracker::UdpAnnounceResponse{tid, interval, 4, 7, std::move(peers), 0});
}

// A well-behaved tracker that hands out `peers`.
std::function<std::vector<Packet>(const tracker::UdpRequest&, std::size_t)> honest(
    std::vector<Endpoint> peers) {
    return [peers](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        if (std::holds_alternative<tracker::UdpConnectRequest>(request)) return {connect_reply(request)};
        return {announce_reply(tid_of(request), peers)};
    };
}

tracker::AnnounceRequest sample_request() {
    tracker::AnnounceRequest r;
    r.info_hash.fill(0xab);
    r.peer_id.fill('p');
    r.port = 51413;
    r.left = 1000;
    r.event = tracker::Event::started;
    r.numwant = 50;
    r.key = 0x01020304;
    return r;
}

TrackerOptions fast_options(tracker::UdpConnectionCache& cache) {
    TrackerOptions o;
    o.timeout = 2s;
    o.udp_base_timeout = 200ms;
    o.udp_connections = &cache;
    return o;
}

asio::awaitable<void> call_announce(std::optional<Reply>& out, asio::any_io_executor pool, std::string url,
                                    TrackerOptions options, UdpStub* stub_to_stop) {
    out = co_await announce(pool, std::move(url), sample_request(), std::move(options));
    if (stub_to_stop) stub_to_stop->socket.close();
}

// Runs one announce to `url` while `stub` serves; returns the result.
Reply run_udp(UdpStub& stub, asio::io_context& io, const std::string& url, const TrackerOptions& options) {
    std::optional<Reply> out;
    asio::co_spawn(io, stub.run(), asio::detached);
    asio::co_spawn(io, call_announce(out, io.get_executor(), url, options, &stub), asio::detached);
    io.run();
    io.restart();
    if (!out) return fail(std::string("the announce never finished"));
    return std::move(*out);
}

TEST(TrackerClientUdp, ConnectsAnnouncesAndReturnsThePeers) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    const std::vector<Endpoint> peers = {Endpoint::v4({10, 1, 2, 3}, 6881),
                                         Endpoint::v4({10, 9, 8, 7}, 51413)};
    stub.respond = honest(peers);
    auto reply = run_udp(stub, io, stub.url("/announce?passkey=s3cret"), fast_options(cache));
    ASSERT_TRUE(reply) << reply.error();
    ASSERT_EQ(reply->peers.size(), 2u);
    EXPECT_EQ(reply->peers[0].endpoint, peers[0]);
    EXPECT_EQ(reply->peers[1].endpoint, peers[1]);
    EXPECT_EQ(reply->interval, 900s);
    EXPECT_EQ(reply->complete, 7u);
    EXPECT_EQ(reply->incomplete, 4u);

    ASSERT_EQ(stub.requests.size(), 2u);
    ASSERT_TRUE(std::holds_alternative<tracker::UdpConnectRequest>(stub.requests[0]));
    const auto* sent = std::get_if<tracker::UdpAnnounceRequest>(&stub.requests[1]);
    ASSERT_NE(sent, nullptr);
    EXPECT_EQ(sent->connection_id, 0x1122334455667788ULL);
    EXPECT_EQ(sent->url_data, "/announce?passkey=s3cret");  // BEP 41
    EXPECT_EQ(sent->request.info_hash, sample_request().info_hash);
    EXPECT_EQ(sent->request.port, 51413);
    EXPECT_EQ(sent->request.event, tracker::Event::started);
    EXPECT_EQ(sent->request.numwant, 50u);
    EXPECT_EQ(sent->request.key, 0x01020304u);
}

asio::awaitable<void> announce_twice(std::optional<Reply>& first, std::optional<Reply>& second, UdpStub& stub,
                                     TrackerOptions options) {
    auto executor = co_await asio::this_coro::executor;
    first = co_await announce(executor, stub.url(), sample_request(), options);
    second = co_await announce(executor, stub.url(), sample_request(), options);
    stub.socket.close();
}

TEST(TrackerClientUdp, ReusesTheConnectionIdForTheNextAnnounce) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    stub.respond = honest({});
    std::optional<Reply> first;
    std::optional<Reply> second;
    asio::co_spawn(io, stub.run(), asio::detached);
    asio::co_spawn(io, announce_twice(first, second, stub, fast_options(cache)), asio::detached);
    io.run();
    ASSERT_TRUE(first && *first);
    ASSERT_TRUE(second && *second);
    ASSERT_EQ(stub.requests.size(), 3u) << "connect, announce, announce with the cached id";
    EXPECT_EQ(stub.count_connects(), 1u);
    EXPECT_EQ(std::get<tracker::UdpAnnounceRequest>(stub.requests[2]).connection_id, 0x1122334455667788ULL);
}

TEST(TrackerClientUdp, ForgetsTheConnectionIdWhenTheTrackerRefuses) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    stub.respond = [](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        if (std::holds_alternative<tracker::UdpConnectRequest>(request)) return {connect_reply(request)};
        return {tracker::encode_udp_response(
            tracker::UdpErrorResponse{tid_of(request), "Connection ID missmatch"})};
    };
    EXPECT_FALSE(run_udp(stub, io, stub.url(), fast_options(cache)));
    EXPECT_EQ(cache.size(), 0u);
}

TEST(TrackerClientUdp, IgnoresWrongTransactionIdsAndShortDatagrams) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    const Endpoint good = Endpoint::v4({10, 0, 0, 1}, 1000);
    const Endpoint spoofed = Endpoint::v4({6, 6, 6, 6}, 666);
    stub.respond = [&](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        const auto tid = tid_of(request);
        if (std::holds_alternative<tracker::UdpConnectRequest>(request)) {
            return {tracker::encode_udp_response(tracker::UdpConnectResponse{tid + 1, 99}), Packet{0, 0, 0},
                    connect_reply(request)};
        }
        return {announce_reply(tid ^ 0xffffffffu, {spoofed}), Packet{0, 0, 0, 1, 0},
                announce_reply(tid, {good})};
    };
    auto reply = run_udp(stub, io, stub.url(), fast_options(cache));
    ASSERT_TRUE(reply) << reply.error();
    ASSERT_EQ(reply->peers.size(), 1u);
    EXPECT_EQ(reply->peers[0].endpoint, good);
    EXPECT_EQ(std::get<tracker::UdpAnnounceRequest>(stub.requests[1]).connection_id, 0x1122334455667788ULL);
}

TEST(TrackerClientUdp, IgnoresDatagramsFromAnotherAddress) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    udp::socket impostor(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const Endpoint good = Endpoint::v4({10, 0, 0, 1}, 1000);
    stub.respond = [&](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        if (std::holds_alternative<tracker::UdpConnectRequest>(request)) return {connect_reply(request)};
        // Another port answers first, with the right transaction id and a peer of its choosing.
        std::error_code ignored;
        impostor.send_to(asio::buffer(announce_reply(tid_of(request), {Endpoint::v4({6, 6, 6, 6}, 666)})),
                         stub.last_sender, 0, ignored);
        EXPECT_FALSE(ignored) << ignored.message();
        return {announce_reply(tid_of(request), {good})};
    };
    auto reply = run_udp(stub, io, stub.url(), fast_options(cache));
    ASSERT_TRUE(reply) << reply.error();
    ASSERT_EQ(reply->peers.size(), 1u);
    EXPECT_EQ(reply->peers[0].endpoint, good);
}

TEST(TrackerClientUdp, TheTrackersErrorIsOneCleanLine) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    stub.respond = [](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        return {tracker::encode_udp_response(
            tracker::UdpErrorResponse{tid_of(request), std::string("unregistered\ntorrent\0\0", 22)})};
    };
    auto reply = run_udp(stub, io, stub.url("/announce?passkey=s3cret"), fast_options(cache));
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(),
              "udp://127.0.0.1:" + std::to_string(stub.port()) + ": tracker error: unregistered\\x0atorrent");
}

TEST(TrackerClientUdp, AMalformedReplyIsReported) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    stub.respond = [](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        if (std::holds_alternative<tracker::UdpConnectRequest>(request)) return {connect_reply(request)};
        Packet reply = announce_reply(tid_of(request), {Endpoint::v4({1, 2, 3, 4}, 5)});
        reply.push_back(0x42);  // 7 bytes of peers
        return {reply};
    };
    auto reply = run_udp(stub, io, stub.url(), fast_options(cache));
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().find(": malformed reply: "), std::string::npos) << reply.error();
    EXPECT_EQ(reply.error().find('\n'), std::string::npos);
}

TEST(TrackerClientUdp, ATruncatedConnectReplyIsMalformed) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    stub.respond = [](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        Packet reply = connect_reply(request);
        reply.resize(12);
        return {reply};
    };
    auto reply = run_udp(stub, io, stub.url(), fast_options(cache));
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().find(": malformed reply: "), std::string::npos) << reply.error();
}

TEST(TrackerClientUdp, RetransmitsOnTheTransactionsScheduleUntilAnswered) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    auto inner = honest({});
    stub.respond = [inner](const tracker::UdpRequest& request, std::size_t index) -> std::vector<Packet> {
        if (index == 0) return {};  // the first connect is "lost"
        return inner(request, index);
    };
    auto reply = run_udp(stub, io, stub.url(), fast_options(cache));
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(stub.count_connects(), 2u);
    EXPECT_EQ(tid_of(stub.requests[0]), tid_of(stub.requests[1])) << "a retransmission reuses its id";
}

TEST(TrackerClientUdp, ASilentTrackerTimesOutWithinTheCallersBound) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    stub.respond = [](const tracker::UdpRequest&, std::size_t) { return std::vector<Packet>{}; };
    auto options = fast_options(cache);
    options.timeout = 700ms;
    options.udp_base_timeout = 100ms;
    auto reply = run_udp(stub, io, stub.url(), options);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "udp://127.0.0.1:" + std::to_string(stub.port()) + ": timed out after 700 ms");
    // 100 ms, then 200 ms, then 400 ms would be at 700 ms: at most three sends fit.
    EXPECT_GE(stub.count_connects(), 2u);
    EXPECT_LE(stub.count_connects(), 3u);
}

TEST(TrackerClientUdp, NothingListeningIsConnectionRefused) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    std::uint16_t port = 0;
    {
        udp::socket probe(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = probe.local_endpoint().port();
    }
    std::optional<Reply> out;
    asio::co_spawn(io,
                   call_announce(out, io.get_executor(), "udp://127.0.0.1:" + std::to_string(port),
                                 fast_options(cache), nullptr),
                   asio::detached);
    io.run();
    ASSERT_TRUE(out);
    ASSERT_FALSE(*out);
    EXPECT_EQ(out->error(), "udp://127.0.0.1:" + std::to_string(port) +
                                ": connection refused (nothing listens on that port)");
}

TEST(TrackerClientUdp, SpeaksIpv6WithEighteenBytePeers) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    std::optional<UdpStub> stub;
    try {
        stub.emplace(io, asio::ip::make_address("::1"));
    } catch (const std::system_error&) {
        GTEST_SKIP() << "no IPv6 loopback here";
    }
    std::array<std::uint8_t, 16> v6{};
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[15] = 7;
    const Endpoint peer = Endpoint::v6(v6, 6881);
    stub->respond = honest({peer});
    auto reply = run_udp(*stub, io, stub->url(), fast_options(cache));
    ASSERT_TRUE(reply) << reply.error();
    ASSERT_EQ(reply->peers.size(), 1u);
    EXPECT_EQ(reply->peers[0].endpoint, peer);
}

// Two torrents announce to one tracker at the same time through the session's mux: every request leaves
// from the mux's one port, and each reply reaches the announce it answers.
TEST(TrackerClientUdp, ConcurrentAnnouncesShareTheSessionsSocket) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    auto mux = UdpMux::open(io.get_executor(), asio::ip::make_address("127.0.0.1"), 0);
    ASSERT_TRUE(mux) << mux.error();
    const Endpoint peer_a = Endpoint::v4({10, 0, 0, 1}, 1001);
    const Endpoint peer_b = Endpoint::v4({10, 0, 0, 2}, 1002);
    stub.respond = [&](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        if (std::holds_alternative<tracker::UdpConnectRequest>(request)) return {connect_reply(request)};
        const auto& announce = std::get<tracker::UdpAnnounceRequest>(request);
        return {announce_reply(announce.transaction_id,
                               {announce.request.info_hash[0] == 0xaa ? peer_a : peer_b})};
    };
    auto options = fast_options(cache);
    options.udp_mux = std::make_shared<UdpMux>(std::move(*mux));
    auto torrent_a = sample_request();
    torrent_a.info_hash.fill(0xaa);
    auto torrent_b = sample_request();
    torrent_b.info_hash.fill(0xbb);
    std::optional<Reply> reply_a;
    std::optional<Reply> reply_b;
    int running = 2;
    auto one = [&](tracker::AnnounceRequest request, std::optional<Reply>& out) -> asio::awaitable<void> {
        out = co_await announce(io.get_executor(), stub.url(), std::move(request), options);
        if (--running == 0) stub.socket.close();
    };
    asio::co_spawn(io, stub.run(), asio::detached);
    asio::co_spawn(io, one(torrent_a, reply_a), asio::detached);
    asio::co_spawn(io, one(torrent_b, reply_b), asio::detached);
    io.run_for(5s);
    ASSERT_TRUE(reply_a && *reply_a) << (reply_a ? reply_a->error() : "unfinished");
    ASSERT_TRUE(reply_b && *reply_b) << (reply_b ? reply_b->error() : "unfinished");
    ASSERT_EQ((*reply_a)->peers.size(), 1u);
    EXPECT_EQ((*reply_a)->peers[0].endpoint, peer_a);
    ASSERT_EQ((*reply_b)->peers.size(), 1u);
    EXPECT_EQ((*reply_b)->peers[0].endpoint, peer_b);
    ASSERT_GE(stub.senders.size(), 3u) << "a connect (or two) and two announces";
    for (const auto& sender : stub.senders)
        EXPECT_EQ(sender.port(), *options.udp_mux->local_port(Endpoint::Family::v4));
    EXPECT_EQ(options.udp_mux->stats().dispatch.claimed, stub.senders.size());
}

TEST(TrackerClient, RefusesUnknownSchemesAndBadUdpUrls) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    for (const std::string url :
         {"wss://tracker.example/announce", "udp://tracker.example/announce", "udp://:80"}) {
        std::optional<Reply> out;
        asio::co_spawn(io, call_announce(out, io.get_executor(), url, fast_options(cache), nullptr),
                       asio::detached);
        io.run();
        io.restart();
        ASSERT_TRUE(out) << url;
        ASSERT_FALSE(*out) << url;
        EXPECT_TRUE(out->error().starts_with(url + ": ")) << out->error();
    }
}

// One HTTP/1.1 exchange on 127.0.0.1: reads the request head, sends `response` and closes.
struct HttpStub {
    explicit HttpStub(asio::io_context& io)
        : acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/announce";
    }
    asio::awaitable<void> serve_once() {
        auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
        if (ec) co_return;
        asio::streambuf head;
        auto [read_ec, n] = co_await asio::async_read_until(socket, head, "\r\n\r\n", use_nothrow);
        if (read_ec) co_return;
        request_line = std::string(asio::buffers_begin(head.data()), asio::buffers_begin(head.data()) + n);
        co_await asio::async_write(socket, asio::buffer(response), use_nothrow);
    }
    asio::ip::tcp::acceptor acceptor;
    std::string response;
    std::string request_line;
};

std::string http_response(const std::string& status, const std::string& body) {
    return "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

Reply run_http(HttpStub& stub, asio::io_context& io, const TrackerOptions& options) {
    asio::thread_pool pool(1);
    std::optional<Reply> out;
    asio::co_spawn(io, stub.serve_once(), asio::detached);
    asio::co_spawn(io, call_announce(out, pool.get_executor(), stub.url(), options, nullptr), asio::detached);
    io.run();
    pool.join();
    if (!out) return fail(std::string("the announce never finished"));
    return std::move(*out);
}

TEST(TrackerClientHttp, ParsesACompactReply) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    HttpStub stub(io);
    tracker::AnnounceResponse canned;
    canned.interval = 1200s;
    canned.peers.push_back({Endpoint::v4({10, 0, 0, 2}, 6881), std::nullopt});
    canned.warning_message = "slow\ndown";
    stub.response = http_response("200 OK", tracker::encode_announce_response(canned));
    auto reply = run_http(stub, io, fast_options(cache));
    ASSERT_TRUE(reply) << reply.error();
    ASSERT_EQ(reply->peers.size(), 1u);
    EXPECT_EQ(reply->peers[0].endpoint, Endpoint::v4({10, 0, 0, 2}, 6881));
    EXPECT_EQ(reply->warning_message, "slow\\x0adown");
    EXPECT_NE(stub.request_line.find("info_hash=%AB%AB"), std::string::npos) << stub.request_line;
}

TEST(TrackerClientHttp, FailureReasonStatusAndBadBodiesAreErrorLines) {
    struct Case {
        const char* what;
        std::string response;
        std::string expected_suffix;
    };
    const Case cases[] = {
        {"failure reason", http_response("200 OK", "d14:failure reason9:not\tfounde"),
         ": tracker error: not\\x09found"},
        {"status", http_response("404 Not Found", "nope"), ": HTTP status 404"},
        {"truncated bencode", http_response("200 OK", "d8:intervali18"),
         ": malformed reply: tracker response is not valid bencode"},
        {"peers not a multiple of 6", http_response("200 OK", "d8:intervali60e5:peers7:abcdefge"),
         ": malformed reply: invalid compact peer list"},
    };
    for (const auto& c : cases) {
        asio::io_context io;
        tracker::UdpConnectionCache cache;
        HttpStub stub(io);
        stub.response = c.response;
        auto reply = run_http(stub, io, fast_options(cache));
        ASSERT_FALSE(reply) << c.what;
        EXPECT_TRUE(reply.error().starts_with(stub.url() + c.expected_suffix))
            << c.what << ": " << reply.error();
    }
}

TEST(TrackerClientHttp, ABodyOverTheLimitIsRefused) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    HttpStub stub(io);
    stub.response = http_response("200 OK", "d5:peers100000:" + std::string(100000, 'x') + "e");
    auto options = fast_options(cache);
    options.max_http_body = 4096;
    auto reply = run_http(stub, io, options);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), stub.url() + ": response larger than 4096 bytes");
}

// --- scrape -------------------------------------------------------------------------------------------

std::vector<tracker::InfoHashBytes> two_hashes() {
    std::vector<tracker::InfoHashBytes> hashes(2);
    hashes[0].fill(0xab);
    hashes[1].fill(0xcd);
    return hashes;
}

asio::awaitable<void> call_scrape(std::optional<ScrapeReply>& out, asio::any_io_executor pool,
                                  std::string url, std::vector<tracker::InfoHashBytes> hashes,
                                  TrackerOptions options, UdpStub* stub_to_stop) {
    out = co_await scrape(pool, std::move(url), std::move(hashes), std::move(options));
    if (stub_to_stop) stub_to_stop->socket.close();
}

ScrapeReply run_udp_scrape(UdpStub& stub, asio::io_context& io, const TrackerOptions& options,
                           std::vector<tracker::InfoHashBytes> hashes = two_hashes()) {
    std::optional<ScrapeReply> out;
    asio::co_spawn(io, stub.run(), asio::detached);
    asio::co_spawn(io, call_scrape(out, io.get_executor(), stub.url(), std::move(hashes), options, &stub),
                   asio::detached);
    io.run();
    io.restart();
    if (!out) return fail(TrackerFailure{"", "the scrape never finished"});
    return std::move(*out);
}

// Answers connects, and scrapes with `entries` (in request order).
std::function<std::vector<Packet>(const tracker::UdpRequest&, std::size_t)> scrapes_with(
    std::vector<tracker::ScrapeStats> entries) {
    return [entries](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
        if (std::holds_alternative<tracker::UdpConnectRequest>(request)) return {connect_reply(request)};
        if (std::holds_alternative<tracker::UdpScrapeRequest>(request))
            return {tracker::encode_udp_response(tracker::UdpScrapeResponse{tid_of(request), entries})};
        return {announce_reply(tid_of(request), {})};
    };
}

asio::awaitable<void> scrape_then_announce(std::optional<ScrapeReply>& scraped,
                                           std::optional<Reply>& announced, UdpStub& stub,
                                           TrackerOptions options) {
    auto executor = co_await asio::this_coro::executor;
    scraped = co_await scrape(executor, stub.url("/announce?passkey=s3cret"), two_hashes(), options);
    announced = co_await announce(executor, stub.url(), sample_request(), options);
    stub.socket.close();
}

TEST(TrackerClientScrape, UdpScrapesEveryHashAndSharesTheConnectionIdWithAnnounces) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
    stub.respond = scrapes_with({{5, 50, 10}, {1, 2, 3}});
    std::optional<ScrapeReply> scraped;
    std::optional<Reply> announced;
    asio::co_spawn(io, stub.run(), asio::detached);
    asio::co_spawn(io, scrape_then_announce(scraped, announced, stub, fast_options(cache)), asio::detached);
    io.run();
    ASSERT_TRUE(scraped && announced);
    ASSERT_TRUE(*scraped) << scraped->error().line();
    ASSERT_TRUE(*announced) << announced->error();
    const auto hashes = two_hashes();
    ASSERT_EQ((*scraped)->files.size(), 2u);
    EXPECT_EQ(*(*scraped)->find(hashes[0]), (tracker::ScrapeStats{5, 50, 10}));
    EXPECT_EQ(*(*scraped)->find(hashes[1]), (tracker::ScrapeStats{1, 2, 3}));

    ASSERT_EQ(stub.requests.size(), 3u) << "connect, scrape, then the announce without a connect";
    const auto* sent = std::get_if<tracker::UdpScrapeRequest>(&stub.requests[1]);
    ASSERT_NE(sent, nullptr);
    EXPECT_EQ(sent->connection_id, 0x1122334455667788ULL);
    EXPECT_EQ(sent->info_hashes, hashes);
    EXPECT_TRUE(std::holds_alternative<tracker::UdpAnnounceRequest>(stub.requests[2]));
}

TEST(TrackerClientScrape, UdpErrorsAreFailuresNamingTheTracker) {
    const std::string name_prefix = "udp://127.0.0.1:";
    {  // the tracker's error action
        asio::io_context io;
        tracker::UdpConnectionCache cache;
        UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
        stub.respond = [](const tracker::UdpRequest& request, std::size_t) -> std::vector<Packet> {
            if (std::holds_alternative<tracker::UdpConnectRequest>(request)) return {connect_reply(request)};
            return {tracker::encode_udp_response(tracker::UdpErrorResponse{tid_of(request), "no\nscrapes"})};
        };
        auto reply = run_udp_scrape(stub, io, fast_options(cache));
        ASSERT_FALSE(reply);
        EXPECT_EQ(reply.error().tracker, name_prefix + std::to_string(stub.port()));
        EXPECT_EQ(reply.error().reason, "tracker error: no\\x0ascrapes");
        EXPECT_FALSE(reply.error().unsupported);
        EXPECT_EQ(cache.size(), 0u) << "a refusal drops the connection id";
    }
    {  // more entries than hashes
        asio::io_context io;
        tracker::UdpConnectionCache cache;
        UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
        stub.respond = scrapes_with({{1, 1, 1}, {2, 2, 2}, {3, 3, 3}});
        auto reply = run_udp_scrape(stub, io, fast_options(cache));
        ASSERT_FALSE(reply);
        EXPECT_EQ(
            reply.error().reason,
            "malformed reply: invalid UDP tracker packet: scrape response: 3 entries for 2 info-hashes");
    }
    {  // silence
        asio::io_context io;
        tracker::UdpConnectionCache cache;
        UdpStub stub(io, asio::ip::make_address("127.0.0.1"));
        stub.respond = [](const tracker::UdpRequest&, std::size_t) { return std::vector<Packet>{}; };
        auto options = fast_options(cache);
        options.timeout = 500ms;
        options.udp_base_timeout = 100ms;
        auto reply = run_udp_scrape(stub, io, options);
        ASSERT_FALSE(reply);
        EXPECT_EQ(reply.error().line(),
                  name_prefix + std::to_string(stub.port()) + ": timed out after 500 ms");
    }
}

TEST(TrackerClientScrape, RefusesWhatCannotBeAsked) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    struct Case {
        std::string url;
        std::size_t hashes;
        bool unsupported;
        std::string reason;
    };
    const Case cases[] = {
        {"http://t.invalid/tracker", 1, true,
         "cannot be scraped: the last part of its path is not \"announce\" (BEP 48)"},
        {"wss://t.invalid/announce", 1, true,
         "cannot be scraped: unsupported tracker protocol (http, https and udp are supported)"},
        {"udp://t.invalid/announce", 1, true, "not a valid UDP tracker URL (udp://host:port[/path])"},
        {"http://t.invalid/announce", 0, false, "a scrape asks about 1 to 74 torrents, not 0"},
        {"udp://t.invalid:80", 75, false, "a scrape asks about 1 to 74 torrents, not 75"},
    };
    for (const auto& c : cases) {
        std::optional<ScrapeReply> out;
        asio::co_spawn(
            io,
            call_scrape(out, io.get_executor(), c.url, std::vector<tracker::InfoHashBytes>(c.hashes),
                        fast_options(cache), nullptr),
            asio::detached);
        io.run();
        io.restart();
        ASSERT_TRUE(out) << c.url;
        ASSERT_FALSE(*out) << c.url;
        EXPECT_EQ(out->error().tracker, c.url);
        EXPECT_EQ(out->error().reason, c.reason) << c.url;
        EXPECT_EQ(out->error().unsupported, c.unsupported) << c.url;
    }
}

ScrapeReply run_http_scrape(HttpStub& stub, asio::io_context& io, const std::string& url,
                            const TrackerOptions& options) {
    asio::thread_pool pool(1);
    std::optional<ScrapeReply> out;
    asio::co_spawn(io, stub.serve_once(), asio::detached);
    asio::co_spawn(io, call_scrape(out, pool.get_executor(), url, two_hashes(), options, nullptr),
                   asio::detached);
    io.run();
    pool.join();
    if (!out) return fail(TrackerFailure{"", "the scrape never finished"});
    return std::move(*out);
}

TEST(TrackerClientScrape, HttpAsksTheBep48UrlAndKeepsTheHashesAsked) {
    asio::io_context io;
    tracker::UdpConnectionCache cache;
    HttpStub stub(io);
    const auto hashes = two_hashes();
    tracker::ScrapeResponse canned;
    tracker::InfoHashBytes other{};
    other.fill(0x01);
    canned.files = {{other, {9, 9, 9}}, {hashes[0], {5, 50, 10}}};  // nothing for hashes[1]
    stub.response = http_response("200 OK", tracker::encode_scrape_response(canned));
    const std::string base = "http://127.0.0.1:" + std::to_string(stub.acceptor.local_endpoint().port());
    auto reply = run_http_scrape(stub, io, base + "/x/announce.php?passkey=k", fast_options(cache));
    ASSERT_TRUE(reply) << reply.error().line();
    ASSERT_EQ(reply->files.size(), 1u);
    EXPECT_EQ(*reply->find(hashes[0]), (tracker::ScrapeStats{5, 50, 10}));
    EXPECT_EQ(reply->find(hashes[1]), nullptr);
    EXPECT_EQ(reply->dropped_files, 1u);
    EXPECT_TRUE(stub.request_line.starts_with("GET /x/scrape.php?passkey=k&info_hash=%AB%AB"))
        << stub.request_line;
    EXPECT_NE(stub.request_line.find("&info_hash=%CD%CD"), std::string::npos) << stub.request_line;
}

TEST(TrackerClientScrape, HttpFailuresAreOneReasonEach) {
    struct Case {
        std::string response;
        std::string reason;
    };
    const Case cases[] = {
        {http_response("200 OK", "d14:failure reason8:go\naway!e"), "tracker error: go\\x0aaway!"},
        {http_response("404 Not Found", "nope"), "HTTP status 404"},
        {http_response("200 OK", "d5:filesi3ee"),
         "malformed reply: invalid field in tracker response: files: expected a dictionary"},
        {http_response("200 OK", "<html>"), "malformed reply: tracker response is not valid bencode"},
    };
    for (const auto& c : cases) {
        asio::io_context io;
        tracker::UdpConnectionCache cache;
        HttpStub stub(io);
        stub.response = c.response;
        auto reply = run_http_scrape(stub, io, stub.url(), fast_options(cache));
        ASSERT_FALSE(reply) << c.reason;
        EXPECT_EQ(reply.error().tracker, stub.url());
        EXPECT_TRUE(reply.error().reason.starts_with(c.reason)) << reply.error().reason;
        EXPECT_TRUE(stub.request_line.starts_with("GET /scrape?info_hash=")) << stub.request_line;
    }
}

}  // namespace
}  // namespace bt::net
