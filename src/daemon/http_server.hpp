#pragma once
// The daemon's HTTP/1.1 server: Transmission's RPC at /transmission/rpc, its web files at
// /transmission/web/, and our own page at /. Each request passes the checks of Transmission 3.00 in its
// order (spec section 7) with our fixes: the IP allow-list (403), Basic auth (401; failed logins slow their
// address down instead of locking everyone out), routing (301, web files, 405), then for the RPC the
// Origin (403), Host (421) and X-Transmission-Session-Id (409) checks. No CORS headers, ever.
//
// The allow-list is checked at accept: a refused address gets its 403 before anything is read. Every other
// check runs on the head alone, before `100 Continue` and before any body byte is read: only an RPC request
// that passed them all has its body read, within a budget for the bodies of all connections together.
//
// Runs on one io_context thread; every limit holds whatever clients do: head and body sizes (431, 413),
// time to send a head or a request and idle keep-alive time (the connection is closed), the bytes of
// bodies held at once (503 when no room is freed in time), and connections: per address and in all (extra
// ones are closed at accept, unless closing a connection idle between requests makes room).
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/login_throttle.hpp"

namespace bt::daemon {

struct HttpCredentials {
    std::string user;
    std::string password;
};

struct HttpServerConfig {
    // "127.0.0.1:9091", "[::1]:9091", "0.0.0.0:9091" or "[::]:9091" (both families); port 0 picks one.
    std::string listen = "127.0.0.1:9091";
    // Transmission's rpc-whitelist: comma-separated addresses, '*' as a wildcard, "*" for everyone.
    std::string rpc_whitelist = "127.0.0.1,::1";
    bool whitelist_enabled = true;
    std::optional<HttpCredentials> auth;
    // Transmission's rpc-host-whitelist: names (with '*') accepted in the Host header besides IP literals
    // and localhost. The check is skipped when auth is on.
    std::string host_whitelist;
    bool host_whitelist_enabled = true;
    std::filesystem::path web_home;  // Transmission's web UI folder; empty serves none
    std::string_view index_page;     // our page at /: must outlive the server
    std::size_t max_connections = 256;
    // So that one address cannot take every connection (and lock everyone else out).
    std::size_t max_connections_per_address = 16;
    // Request bodies held in memory at once, all connections together. A body that does not fit waits for
    // room until its request's deadline, then gets 503.
    std::size_t max_buffered_body_bytes = 64 * 1024 * 1024;
    std::chrono::milliseconds head_timeout = std::chrono::seconds(10);     // from a request's first byte
    std::chrono::milliseconds request_timeout = std::chrono::seconds(30);  // the whole request, and a reply
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);     // between keep-alive requests
    // A login whose throttle wait would end past its request's deadline is refused (401) without waiting.
    http::LoginThrottleSettings login_throttle;
    // Takes a request body, returns the JSON reply body (sent as 200).
    std::function<asio::awaitable<std::string>(std::string body)> rpc_handler;
};

class HttpServer {
  public:
    HttpServer(asio::io_context& io, HttpServerConfig config);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts accepting; the error is one line ("cannot listen on 127.0.0.1:9091: Address already
    // in use").
    Result<void, std::string> listen();
    // Stops accepting and closes every connection. Idempotent; the destructor calls it.
    void stop();

    // The bound port (useful with port 0); 0 before listen().
    std::uint16_t port() const noexcept;
    // The CSRF token clients must echo in X-Transmission-Session-Id: 48 random characters, fixed for the
    // life of the server (transmission-remote retries a 409 forever, so it is never rotated).
    const std::string& session_id() const noexcept;
    std::size_t connection_count() const noexcept;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;  // shared with the connections' coroutines, which may end after stop()
};

}  // namespace bt::daemon
