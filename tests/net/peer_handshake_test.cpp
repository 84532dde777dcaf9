// The peer handshakes (plaintext and MSE, both roles) and the stream after them, over the in-memory
// MemoryStream rather than TCP: the handshakes know only the ByteStream interface.
#include "net/peer_handshake.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mse/skey_index.hpp"
#include "net/memory_stream.hpp"

namespace bt::net {
namespace {

using namespace std::chrono_literals;
using HandshakeResult = Result<Handshaken, HandshakeFailure>;

wire::Handshake handshake_of(std::uint8_t info_hash_byte, std::uint8_t peer_id_byte) {
    wire::Handshake h;
    h.info_hash.fill(info_hash_byte);
    h.peer_id.fill(peer_id_byte);
    return h;
}

const wire::Handshake kDialler = handshake_of(0x11, 'a');
const wire::Handshake kListener = handshake_of(0x11, 'b');

IncomingHandshake listener_params(const mse::SkeyIndex& skeys,
                                  EncryptionPolicy policy = EncryptionPolicy::prefer,
                                  EncryptionLevel level = EncryptionLevel::rc4) {
    IncomingHandshake params;
    params.policy = policy;
    params.level = level;
    params.find_skey = skeys.lookup();
    params.reply_for = [](const wire::InfoHashBytes& info_hash) -> std::optional<wire::Handshake> {
        if (info_hash != kListener.info_hash) return std::nullopt;
        return kListener;
    };
    return params;
}

// Both ends of one connection over a MemoryStream pair, each in its own coroutine, run to completion.
struct Connection {
    asio::io_context io;
    mse::SkeyIndex skeys;
    std::unique_ptr<ByteStream> dialler;
    std::unique_ptr<ByteStream> listener;
    std::optional<HandshakeResult> out;
    std::optional<HandshakeResult> in;

    explicit Connection(std::size_t max_read = 64 * 1024) {
        auto [a, b] = MemoryStream::make_pair(io.get_executor(), max_read);
        dialler = std::move(a);
        listener = std::move(b);
        skeys.add(kListener.info_hash);
    }

    void run(OutgoingHandshake outgoing, IncomingHandshake incoming) {
        asio::co_spawn(
            io,
            [&, outgoing]() -> asio::awaitable<void> {
                out.emplace(co_await handshake_outgoing(dialler, outgoing));
                if (!*out) dialler->close();  // as the session does: the listener sees the end
            },
            asio::detached);
        asio::co_spawn(
            io,
            [&, incoming]() -> asio::awaitable<void> {
                in.emplace(co_await handshake_incoming(listener, incoming));
                if (!*in) listener->close();
            },
            asio::detached);
        io.run();
        io.restart();
    }
};

// Sends `text` from one transport to the other, encrypted as the handshake decided, and returns what the
// receiver decrypted (after the bytes the handshake left over).
std::string send_through(asio::io_context& io, Transport& from, Handshaken& to, const std::string& text) {
    std::vector<std::uint8_t> bytes(text.begin(), text.end());
    from.cipher.encrypt(bytes);
    std::string received(to.leftover.begin(), to.leftover.end());
    to.leftover.clear();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto [ec, n] = co_await from.stream->write(bytes);
            EXPECT_FALSE(ec);
            EXPECT_EQ(n, bytes.size());
            std::array<std::uint8_t, 64> buffer;
            while (received.size() < text.size()) {
                auto [rec, m] = co_await to.transport.stream->read_some(buffer);
                if (rec) {
                    ADD_FAILURE() << rec.message();
                    co_return;
                }
                to.transport.cipher.decrypt(std::span<std::uint8_t>(buffer.data(), m));
                received.append(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(m));
            }
        },
        asio::detached);
    io.run();
    io.restart();
    return received;
}

TEST(MemoryStream, DeliversWritesInOrderAndEofAfterShutdown) {
    asio::io_context io;
    auto [a, b] = MemoryStream::make_pair(io.get_executor(), 3);
    std::string got;
    std::error_code end;
    asio::co_spawn(
        io,
        [&, &a = a, &b = b]() -> asio::awaitable<void> {
            const std::string hello = "hello";
            const auto [ec, n] = co_await a->write(
                std::span(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()));
            EXPECT_FALSE(ec);
            EXPECT_EQ(n, 5u);
            a->shutdown();
            std::array<std::uint8_t, 16> buffer;
            for (;;) {
                auto [rec, m] = co_await b->read_some(buffer);
                if (rec) {
                    end = rec;
                    co_return;
                }
                EXPECT_LE(m, 3u);
                got.append(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(m));
            }
        },
        asio::detached);
    io.run();
    EXPECT_EQ(got, "hello");
    EXPECT_EQ(end, asio::error::eof);
}

TEST(MemoryStream, CloseEndsAPendingRead) {
    asio::io_context io;
    auto [a, b] = MemoryStream::make_pair(io.get_executor());
    std::optional<IoResult> result;
    asio::co_spawn(
        io,
        [&, &a = a]() -> asio::awaitable<void> {
            std::array<std::uint8_t, 16> buffer;
            result = co_await a->read_some(buffer);
        },
        asio::detached);
    asio::steady_timer timer(io, 5ms);
    timer.async_wait([&, &a = a](std::error_code) { a->close(); });
    io.run();
    ASSERT_TRUE(result);
    EXPECT_EQ(result->ec, asio::error::operation_aborted);
    EXPECT_FALSE(a->remote_endpoint());
    EXPECT_TRUE(b->remote_endpoint());
}

TEST(PeerHandshake, PlaintextBothWaysOverAMemoryStream) {
    Connection c;
    c.run(OutgoingHandshake{kDialler, false, EncryptionLevel::rc4}, listener_params(c.skeys));
    ASSERT_TRUE(c.out && *c.out) << c.out->error().reason();
    ASSERT_TRUE(c.in && *c.in) << c.in->error().reason();
    // On success the stream moved into the transport.
    EXPECT_EQ(c.dialler, nullptr);
    EXPECT_EQ(c.listener, nullptr);
    auto& out = **c.out;
    auto& in = **c.in;
    EXPECT_EQ(out.transport.kind, ConnectionKind::plaintext);
    EXPECT_EQ(in.transport.kind, ConnectionKind::plaintext);
    EXPECT_EQ(out.remote, kListener);
    EXPECT_EQ(in.remote, kDialler);
    EXPECT_EQ(out.bytes_sent, wire::kHandshakeSize);
    EXPECT_EQ(in.bytes_received, wire::kHandshakeSize);
    const std::string keep_alive_and_have("\0\0\0\0\0\0\0\5\4\0\0\0\7", 13);
    EXPECT_EQ(send_through(c.io, out.transport, in, keep_alive_and_have), keep_alive_and_have);
    EXPECT_EQ(send_through(c.io, in.transport, out, "reply"), "reply");
}

// The RC4 stream after MSE continues where the handshake left it, whichever way the bytes were cut.
TEST(PeerHandshake, MseRc4ByteByByteOverAMemoryStream) {
    Connection c(1);
    c.run(OutgoingHandshake{kDialler, true, EncryptionLevel::rc4}, listener_params(c.skeys));
    ASSERT_TRUE(c.out && *c.out) << c.out->error().reason();
    ASSERT_TRUE(c.in && *c.in) << c.in->error().reason();
    auto& out = **c.out;
    auto& in = **c.in;
    EXPECT_EQ(out.transport.kind, ConnectionKind::mse_rc4);
    EXPECT_EQ(in.transport.kind, ConnectionKind::mse_rc4);
    EXPECT_TRUE(out.transport.cipher.is_encrypted());
    EXPECT_EQ(out.remote, kListener);
    EXPECT_EQ(in.remote, kDialler);
    EXPECT_EQ(out.bytes_sent, in.bytes_received);
    EXPECT_EQ(in.bytes_sent, out.bytes_received);
    EXPECT_EQ(send_through(c.io, out.transport, in, "interested"), "interested");
    EXPECT_EQ(send_through(c.io, in.transport, out, "unchoke"), "unchoke");
    EXPECT_EQ(send_through(c.io, out.transport, in, "request"), "request");
}

TEST(PeerHandshake, MseHeaderOnlyLeavesTheStreamPlain) {
    Connection c;
    c.run(OutgoingHandshake{kDialler, true, EncryptionLevel::header},
          listener_params(c.skeys, EncryptionPolicy::require, EncryptionLevel::header));
    ASSERT_TRUE(c.out && *c.out) << c.out->error().reason();
    ASSERT_TRUE(c.in && *c.in) << c.in->error().reason();
    EXPECT_EQ((**c.out).transport.kind, ConnectionKind::mse_header);
    EXPECT_EQ((**c.in).transport.kind, ConnectionKind::mse_header);
    EXPECT_FALSE((**c.in).transport.cipher.is_encrypted());
    EXPECT_EQ(send_through(c.io, (**c.out).transport, **c.in, "have"), "have");
}

// On failure the stream stays with the caller, which closes it.
TEST(PeerHandshake, RequirePolicyRefusesPlaintext) {
    Connection c;
    c.run(OutgoingHandshake{kDialler, false, EncryptionLevel::rc4},
          listener_params(c.skeys, EncryptionPolicy::require));
    ASSERT_TRUE(c.in && !*c.in);
    EXPECT_EQ(c.in->error().ec, Errc::plaintext_refused);
    EXPECT_NE(c.listener, nullptr);
    ASSERT_TRUE(c.out && !*c.out);
    EXPECT_EQ(c.out->error().ec, Errc::closed_during_handshake);
}

TEST(PeerHandshake, UnknownTorrentIsRefused) {
    Connection c;
    auto other = kDialler;
    other.info_hash.fill(0x22);
    c.run(OutgoingHandshake{other, true, EncryptionLevel::rc4}, listener_params(c.skeys));
    ASSERT_TRUE(c.in && !*c.in);
    EXPECT_EQ(c.in->error().ec, Errc::mse_unknown_torrent);
    EXPECT_TRUE(c.in->error().mse_failed);
}

// A deadline ends a stalled handshake by closing the stream under it (session/deadline.hpp).
TEST(PeerHandshake, ClosingTheStreamEndsAStalledHandshake) {
    asio::io_context io;
    auto [silent, stream] = MemoryStream::make_pair(io.get_executor());
    std::unique_ptr<ByteStream> listener = std::move(stream);
    mse::SkeyIndex skeys;
    std::optional<HandshakeResult> in;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            in.emplace(co_await handshake_incoming(listener, listener_params(skeys)));
        },
        asio::detached);
    asio::steady_timer deadline(io, 5ms);
    deadline.async_wait([&](std::error_code) { listener->close(); });
    io.run();
    ASSERT_TRUE(in && !*in);
    EXPECT_EQ(in->error().ec, Errc::handshake_timeout);
    EXPECT_TRUE(is_timeout(in->error().ec));
}

}  // namespace
}  // namespace bt::net
