#pragma once
// The byte stream a peer connection runs over: TCP today (TcpStream), uTP later, an in-memory pair in
// tests. The handshakes (peer_handshake.hpp) and the session's PeerConnection use only this interface;
// what is particular to one transport (dialling, socket options) happens before the stream is handed on.
//
// The methods are virtual and return asio::awaitable, so each read or write costs one extra coroutine
// frame, which asio takes from its per-thread recycling cache: nothing measurable next to a 64 KiB read
// (a 1 GiB bitveil-to-bitveil loopback transfer took as long as over the socket directly, within run-to-run
// noise). Errors are returned, never thrown, as asio's as_tuple style does.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace bt::net {

// What a read or a write did: the error, if any, and the bytes moved (before the error, for a write).
struct IoResult {
    std::error_code ec{};
    std::size_t bytes = 0;
};

class ByteStream {
  public:
    using Executor = asio::any_io_executor;

    ByteStream() = default;
    ByteStream(const ByteStream&) = delete;
    ByteStream& operator=(const ByteStream&) = delete;
    virtual ~ByteStream() = default;

    // Where the stream's completions run; the connection's timers and coroutines run there too.
    virtual Executor get_executor() = 0;
    // Reads at least one byte into `into` (not empty) or fails: asio::error::eof once the peer has
    // closed its side and everything it sent was read.
    virtual asio::awaitable<IoResult> read_some(std::span<std::uint8_t> into) = 0;
    // Writes all of `bytes` or fails. One write at a time.
    virtual asio::awaitable<IoResult> write(std::span<const std::uint8_t> bytes) = 0;
    // Ends both directions: the peer reads EOF. The stream still has to be closed.
    virtual void shutdown() noexcept = 0;
    // Releases the stream at once; pending and later operations end with asio::error::operation_aborted
    // or asio::error::bad_descriptor. Safe to call more than once. (This is how deadlines end a stalled
    // handshake.)
    virtual void close() noexcept = 0;
    // The peer's address, or why it is not known (the connection was reset or closed already).
    virtual Result<Endpoint> remote_endpoint() const = 0;
};

}  // namespace bt::net
