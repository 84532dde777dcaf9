// The session's UDP endpoint on loopback: binding, the unclaimed handler, bounds, claims and ICMP errors.
#include "net/udp_mux.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tracker/udp_codec.hpp"

namespace bt::net {
namespace {

using namespace std::chrono_literals;
using asio::ip::udp;
using Packet = std::vector<std::uint8_t>;

const auto kLoopback = asio::ip::make_address("127.0.0.1");

Endpoint endpoint_of(const udp::socket& socket) {
    const auto local = socket.local_endpoint();
    return Endpoint::v4(local.address().to_v4().to_bytes(), local.port());
}

udp::endpoint mux_endpoint(const UdpMux& mux) {
    return {kLoopback, *mux.local_port(Endpoint::Family::v4)};
}

// Runs the io_context until `done` or 2 s.
void run_until(asio::io_context& io, const std::function<bool()>& done) {
    const auto end = std::chrono::steady_clock::now() + 2s;
    while (!done() && std::chrono::steady_clock::now() < end) io.run_for(10ms);
}

TEST(UdpMux, BindsTheGivenPortAndFallsBackWhenItIsTaken) {
    asio::io_context io;
    udp::socket squatter(io, udp::endpoint(kLoopback, 0));
    const auto taken = squatter.local_endpoint().port();
    auto mux = UdpMux::open(io.get_executor(), kLoopback, taken);
    ASSERT_TRUE(mux) << mux.error();
    const auto port = mux->local_port(Endpoint::Family::v4);
    ASSERT_TRUE(port);
    EXPECT_NE(*port, taken);
    EXPECT_NE(*port, 0);

    squatter.close();
    auto exact = UdpMux::open(io.get_executor(), kLoopback, taken);
    ASSERT_TRUE(exact) << exact.error();
    EXPECT_EQ(exact->local_port(Endpoint::Family::v4), taken);
}

TEST(UdpMux, UnclaimedDatagramsGoToTheHandlerElseAreDropped) {
    asio::io_context io;
    auto mux = UdpMux::open(io.get_executor(), kLoopback, 0);
    ASSERT_TRUE(mux) << mux.error();
    udp::socket node(io, udp::endpoint(kLoopback, 0));
    const std::string ping = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";

    node.send_to(asio::buffer(ping), mux_endpoint(*mux));
    run_until(io, [&] { return mux->stats().dropped == 1; });
    EXPECT_EQ(mux->stats().dropped, 1u);

    std::vector<std::pair<Endpoint, std::string>> seen;
    mux->set_unclaimed_handler([&](const Endpoint& from, std::span<const std::uint8_t> datagram) {
        seen.emplace_back(from, std::string(datagram.begin(), datagram.end()));
        return datagram.size() > 0 && datagram[0] == 'd';  // KRPC
    });
    node.send_to(asio::buffer(ping), mux_endpoint(*mux));
    node.send_to(asio::buffer(std::string("xyz")), mux_endpoint(*mux));
    run_until(io, [&] { return seen.size() == 2; });
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].first, endpoint_of(node));
    EXPECT_EQ(seen[0].second, ping);
    const auto stats = mux->stats();
    EXPECT_EQ(stats.received, 3u);
    EXPECT_EQ(stats.handled, 1u);
    EXPECT_EQ(stats.dropped, 2u);
}

TEST(UdpMux, ADatagramLargerThanTheBufferIsDropped) {
    asio::io_context io;
    UdpMuxSettings settings;
    settings.max_datagram = 100;
    auto mux = UdpMux::open(io.get_executor(), kLoopback, 0, settings);
    ASSERT_TRUE(mux) << mux.error();
    udp::socket tracker(io, udp::endpoint(kLoopback, 0));
    auto receiver = mux->receiver();
    ASSERT_EQ(receiver.claim(endpoint_of(tracker), 77), UdpMux::ClaimResult::claimed);
    std::vector<Packet> got;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (;;) {
                auto event = co_await receiver.receive(std::chrono::steady_clock::now() + 2s);
                if (!event || !*event) co_return;
                got.push_back(**event);
            }
        },
        asio::detached);
    Packet big = tracker::encode_udp_response(tracker::UdpErrorResponse{77, std::string(200, 'x')});
    Packet fits = tracker::encode_udp_response(tracker::UdpErrorResponse{77, "small"});
    tracker.send_to(asio::buffer(big), mux_endpoint(*mux));
    tracker.send_to(asio::buffer(fits), mux_endpoint(*mux));
    run_until(io, [&] { return !got.empty(); });
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], fits);
    EXPECT_EQ(mux->stats().dispatch.oversized, 1u);
    mux->close();
    io.run_for(100ms);
}

TEST(UdpMux, RepliesReachTheirOwnReceiverAndRepliesFromElsewhereDoNot) {
    asio::io_context io;
    auto mux = UdpMux::open(io.get_executor(), kLoopback, 0);
    ASSERT_TRUE(mux) << mux.error();
    udp::socket tracker(io, udp::endpoint(kLoopback, 0));
    udp::socket impostor(io, udp::endpoint(kLoopback, 0));
    auto first = mux->receiver();
    auto second = mux->receiver();
    ASSERT_EQ(first.claim(endpoint_of(tracker), 1), UdpMux::ClaimResult::claimed);
    ASSERT_EQ(second.claim(endpoint_of(tracker), 2), UdpMux::ClaimResult::claimed);
    EXPECT_EQ(second.claim(endpoint_of(tracker), 1), UdpMux::ClaimResult::already_claimed);
    std::optional<Packet> to_first;
    std::optional<Packet> to_second;
    auto wait = [](UdpMux::Receiver& r, std::optional<Packet>& out) -> asio::awaitable<void> {
        auto event = co_await r.receive(std::chrono::steady_clock::now() + 2s);
        if (event && *event) out = **event;
    };
    asio::co_spawn(io, wait(first, to_first), asio::detached);
    asio::co_spawn(io, wait(second, to_second), asio::detached);
    impostor.send_to(asio::buffer(tracker::encode_udp_response(tracker::UdpConnectResponse{1, 666})),
                     mux_endpoint(*mux));
    const Packet reply2 = tracker::encode_udp_response(tracker::UdpConnectResponse{2, 22});
    const Packet reply1 = tracker::encode_udp_response(tracker::UdpConnectResponse{1, 11});
    tracker.send_to(asio::buffer(reply2), mux_endpoint(*mux));
    tracker.send_to(asio::buffer(reply1), mux_endpoint(*mux));
    run_until(io, [&] { return to_first && to_second; });
    ASSERT_TRUE(to_first && to_second);
    EXPECT_EQ(*to_first, reply1);
    EXPECT_EQ(*to_second, reply2);
    EXPECT_EQ(mux->stats().dropped, 1u) << "the impostor's reply";
}

TEST(UdpMux, AnIcmpErrorReachesTheReceiversOfThatAddressOnly) {
    asio::io_context io;
    auto mux = UdpMux::open(io.get_executor(), kLoopback, 0);
    ASSERT_TRUE(mux) << mux.error();
    Endpoint dead;
    {
        udp::socket probe(io, udp::endpoint(kLoopback, 0));
        dead = endpoint_of(probe);
    }
    udp::socket alive(io, udp::endpoint(kLoopback, 0));
    auto to_dead = mux->receiver();
    auto to_alive = mux->receiver();
    ASSERT_EQ(to_dead.claim(dead, 1), UdpMux::ClaimResult::claimed);
    ASSERT_EQ(to_alive.claim(endpoint_of(alive), 2), UdpMux::ClaimResult::claimed);
    std::optional<std::error_code> dead_error;
    bool alive_timed_out = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const Packet junk{1, 2, 3};
            const std::error_code sent = co_await to_dead.send_to(dead, junk);
            EXPECT_FALSE(sent) << sent.message();
            auto event = co_await to_dead.receive(std::chrono::steady_clock::now() + 2s);
            if (event && !*event) dead_error = event->error();
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto event = co_await to_alive.receive(std::chrono::steady_clock::now() + 300ms);
            alive_timed_out = !event;
        },
        asio::detached);
    run_until(io, [&] { return dead_error.has_value() && alive_timed_out; });
    ASSERT_TRUE(dead_error);
    EXPECT_EQ(*dead_error, asio::error::connection_refused);
    EXPECT_TRUE(alive_timed_out);
}

TEST(UdpMux, ClosingEndsTheWaits) {
    asio::io_context io;
    auto mux = UdpMux::open(io.get_executor(), kLoopback, 0);
    ASSERT_TRUE(mux) << mux.error();
    auto receiver = mux->receiver();
    ASSERT_EQ(receiver.claim(Endpoint::v4({127, 0, 0, 1}, 9), 1), UdpMux::ClaimResult::claimed);
    std::optional<std::error_code> error;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto event = co_await receiver.receive(std::chrono::steady_clock::now() + 5s);
            if (event && !*event) error = event->error();
        },
        asio::detached);
    io.run_for(20ms);
    mux->close();
    run_until(io, [&] { return error.has_value(); });
    ASSERT_TRUE(error);
    EXPECT_EQ(*error, asio::error::operation_aborted);
}

}  // namespace
}  // namespace bt::net
