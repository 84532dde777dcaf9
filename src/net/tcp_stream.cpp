#include "net/tcp_stream.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "net/asio_endpoint.hpp"

namespace bt::net {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

TcpStream::TcpStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
    set_no_delay();
}

asio::awaitable<std::error_code> TcpStream::connect(const asio::ip::tcp::endpoint& to) {
    auto [ec] = co_await socket_.async_connect(to, use_nothrow);
    if (!ec) set_no_delay();
    co_return ec;
}

asio::awaitable<IoResult> TcpStream::read_some(std::span<std::uint8_t> into) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(into.data(), into.size()), use_nothrow);
    co_return IoResult{ec, n};
}

asio::awaitable<IoResult> TcpStream::write(std::span<const std::uint8_t> bytes) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), use_nothrow);
    co_return IoResult{ec, n};
}

void TcpStream::shutdown() noexcept {
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

void TcpStream::close() noexcept {
    std::error_code ignored;
    socket_.close(ignored);
}

Result<Endpoint> TcpStream::remote_endpoint() const {
    std::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    if (ec) return fail(ec);
    return from_asio(remote);
}

void TcpStream::set_no_delay() noexcept {
    std::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

}  // namespace bt::net
