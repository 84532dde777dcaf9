#pragma once
// ByteStream over a TCP socket. Dialling is TCP's own (connect); once connected, Nagle's algorithm is off:
// the peer wire's small messages (requests, haves) are latency-bound, and bulk data goes out in batches.
#include <asio/ip/tcp.hpp>

#include "net/byte_stream.hpp"

namespace bt::net {

class TcpStream final : public ByteStream {
  public:
    // Not connected yet: connect() next.
    explicit TcpStream(const Executor& executor) : socket_(executor) {}
    // Connected already (accepted): turns Nagle's algorithm off.
    explicit TcpStream(asio::ip::tcp::socket socket);

    // Connects, then turns Nagle's algorithm off. close() ends a pending connect (a deadline).
    asio::awaitable<std::error_code> connect(const asio::ip::tcp::endpoint& to);

    Executor get_executor() override { return socket_.get_executor(); }
    asio::awaitable<IoResult> read_some(std::span<std::uint8_t> into) override;
    asio::awaitable<IoResult> write(std::span<const std::uint8_t> bytes) override;
    void shutdown() noexcept override;
    void close() noexcept override;
    Result<Endpoint> remote_endpoint() const override;

  private:
    void set_no_delay() noexcept;

    asio::ip::tcp::socket socket_;
};

}  // namespace bt::net
