#include "daemon/http_server.hpp"

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "core/endpoint.hpp"
#include "core/log.hpp"
#include "crypto/random.hpp"
#include "http/access_rules.hpp"
#include "http/request_parser.hpp"
#include "http/web_path.hpp"
#include "net/asio_endpoint.hpp"

namespace bt::daemon {

namespace {

using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::string_view kWebPrefix = "/transmission/web/";
// 3.00 matched the prefix, so "/transmission/rpc/" (transmission-remote) and "/transmission/rpc" (the web
// UI) both reach the RPC.
constexpr std::string_view kRpcPrefix = "/transmission/rpc";
constexpr std::size_t kSessionIdLength = 48;  // as Transmission's
// The web UI's largest file is about 100 KiB; more is not ours to serve from the network thread.
constexpr std::uintmax_t kMaxWebFile = 4 * 1024 * 1024;
// After an error reply that closes the connection, how long and how much of the rest of the request we read
// and drop, so that closing does not reset the connection before the client has read the reply.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr std::size_t kReadSize = 16 * 1024;
// A chunked body's room in the body budget grows by this much at a time.
constexpr std::size_t kChunkedRoomStep = 64 * 1024;

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool close = false;
};

std::string_view reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 301:
            return "Moved Permanently";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 413:
            return "Content Too Large";
        case 421:
            return "Misdirected Request";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        default:
            return "Service Unavailable";
    }
}

// Error replies are one line of plain text: transmission-remote prints the body as it is.
Response text(int status, std::string_view why) {
    Response response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "text/plain; charset=UTF-8");
    response.body =
        std::to_string(status) + " " + std::string(reason(status)) + ": " + std::string(why) + "\n";
    return response;
}

Response method_not_allowed(std::string_view allowed) {
    Response response = text(405, "this resource takes " + std::string(allowed) + " only");
    response.headers.emplace_back("Allow", allowed);
    return response;
}

Response unauthorized_address(const std::string& address) {
    return text(403, "unauthorized IP address " + address +
                         ": either disable the IP address whitelist or add your address to it");
}

// The reply to a request the parser refused; the connection closes after it.
Response parse_failure(const http::RequestParser& parser) {
    using Failure = http::RequestParser::Failure;
    const Failure failure = parser.failure();
    Response response = text(failure == Failure::head_too_large   ? 431
                             : failure == Failure::body_too_large ? 413
                                                                  : 400,
                             parser.error());
    response.close = true;
    return response;
}

Response unauthorized() {
    // Without this header curl (CURLAUTH_ANY, as transmission-remote uses) never sends the credentials.
    Response response = text(401, "this server needs a user name and password");
    response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Transmission\"");
    return response;
}

std::string serialise(const Response& response, bool head_only) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      std::string(reason(response.status)) +
                      "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n";
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    if (response.close) out += "Connection: close\r\n";
    out += "\r\n";
    if (!head_only) out += response.body;
    return out;
}

std::string make_session_id() {
    static constexpr std::string_view kAlphabet =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    crypto::SystemRandom rng;
    std::string id;
    for (std::size_t i = 0; i < kSessionIdLength; ++i)
        id += kAlphabet[crypto::uniform_below(rng, static_cast<std::uint32_t>(kAlphabet.size()))];
    return id;
}

bool inside(const fs::path& root, const fs::path& file) {
    const std::string& r = root.native();
    const std::string& f = file.native();
    if (f == r) return true;
    return r.ends_with('/') ? f.starts_with(r) : f.starts_with(r + "/");
}

// The real path of `path` when it exists inside the real `root`; symbolic links that lead out are refused.
std::optional<fs::path> confined(const fs::path& root, const fs::path& path) {
    std::error_code ec;
    fs::path real = fs::canonical(path, ec);
    if (ec || !inside(root, real)) return std::nullopt;
    return real;
}

struct Connection {
    Connection(tcp::socket s, const Endpoint& p)
        : socket(std::move(s)), timer(socket.get_executor()), peer(p), address(p.address_string()) {}
    tcp::socket socket;
    asio::steady_timer timer;  // the current deadline; also paces a throttled login
    Endpoint peer;
    std::string address;  // the peer's: the key of the per-address limits
    // Set while the connection waits for a request's head (since it was accepted, or since its last reply):
    // at the cap, the one waiting longest is closed to make room for a new one. 256 slow-loris or idle
    // connections must not lock every client out until their head timeout, again and again.
    std::optional<Clock::time_point> waiting_since = Clock::now();
};

// The body bytes one request has reserved from the server's budget; given back when it ends.
class BodyHold {
  public:
    BodyHold(std::size_t& in_use, std::size_t limit, asio::steady_timer& freed)
        : in_use_(in_use), limit_(limit), freed_(freed) {}
    ~BodyHold() {
        if (held_ == 0) return;
        in_use_ -= held_;
        freed_.cancel();  // wakes the requests waiting for room
    }
    BodyHold(const BodyHold&) = delete;
    BodyHold& operator=(const BodyHold&) = delete;

    // Raises the reservation to `bytes`; false when the budget has no room for that now.
    bool reserve(std::size_t bytes) {
        if (bytes <= held_) return true;
        if (bytes - held_ > limit_ - in_use_) return false;
        in_use_ += bytes - held_;
        held_ = bytes;
        return true;
    }

  private:
    std::size_t& in_use_;
    std::size_t limit_;
    asio::steady_timer& freed_;
    std::size_t held_ = 0;
};

enum class BodyRead { done, gone, no_room };

// Bytes read, or 0 when the connection failed, ended, or `deadline` passed first.
asio::awaitable<std::size_t> read_before(Connection& c, asio::mutable_buffer buffer,
                                         Clock::time_point deadline) {
    c.timer.expires_at(deadline);
    auto event = co_await (c.socket.async_read_some(buffer, use_nothrow) || c.timer.async_wait(use_nothrow));
    if (event.index() == 1) co_return 0;
    const auto [ec, n] = std::get<0>(event);
    co_return ec ? 0 : n;
}

asio::awaitable<bool> write_before(Connection& c, std::string_view bytes, Clock::time_point deadline) {
    c.timer.expires_at(deadline);
    auto event = co_await (asio::async_write(c.socket, asio::buffer(bytes), use_nothrow) ||
                           c.timer.async_wait(use_nothrow));
    co_return event.index() == 0 && !std::get<0>(std::get<0>(event));
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& io, HttpServerConfig c)
        : config(std::move(c)),
          allow_list(http::split_list(config.rpc_whitelist)),
          host_names(http::split_list(config.host_whitelist)),
          session_id(make_session_id()),
          throttle(config.login_throttle),
          acceptor(io),
          accept_pause(io),
          body_room_freed(io, Clock::time_point::max()) {}

    asio::awaitable<void> accept_loop();
    bool admit(const std::string& address);
    void drop(const std::shared_ptr<Connection>& c);
    asio::awaitable<void> serve(std::shared_ptr<Connection> c);
    asio::awaitable<std::optional<Response>> answer_head(Connection& c, const http::RequestParser& request,
                                                         Clock::time_point deadline);
    asio::awaitable<std::optional<Response>> check_login(Connection& c, const http::RequestParser& request,
                                                         Clock::time_point deadline);
    std::optional<Response> check_rpc(const http::RequestParser& request) const;
    asio::awaitable<BodyRead> read_body(Connection& c, http::RequestParser& parser, BodyHold& hold,
                                        std::span<char> buffer, Clock::time_point deadline);
    asio::awaitable<bool> make_room(Connection& c, BodyHold& hold, std::size_t bytes,
                                    Clock::time_point deadline);
    asio::awaitable<Response> call_rpc(http::RequestParser& request);
    Response web_file(const http::RequestParser& request) const;
    asio::awaitable<void> send_last(Connection& c, Response response, bool head_only, bool drain);
    asio::awaitable<void> linger(Connection& c);
    void stop();

    HttpServerConfig config;
    std::vector<std::string> allow_list;
    std::vector<std::string> host_names;
    std::string session_id;
    http::LoginThrottle throttle;
    tcp::acceptor acceptor;
    asio::steady_timer accept_pause;
    std::set<std::shared_ptr<Connection>> connections;
    std::map<std::string, std::size_t> connections_by_address;
    std::size_t body_bytes = 0;          // reserved by the requests whose bodies are read or handled
    asio::steady_timer body_room_freed;  // never expires: cancelled when body bytes are given back
    std::uint16_t port = 0;
    bool stopped = false;
};

asio::awaitable<void> HttpServer::Impl::accept_loop() {
    while (!stopped) {
        auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
        if (stopped || ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Out of file descriptors, or a client gone before we took it: pause rather than spin.
            BT_LOG(warning, "http", "accepting a connection: {}", ec.message());
            accept_pause.expires_after(std::chrono::milliseconds(100));
            co_await accept_pause.async_wait(use_nothrow);
            continue;
        }
        const auto remote = socket.remote_endpoint(ec);
        if (ec || !admit(net::from_asio(remote).address_string())) {
            std::error_code ignored;
            socket.close(ignored);
            continue;
        }
        auto connection = std::make_shared<Connection>(std::move(socket), net::from_asio(remote));
        connections.insert(connection);
        ++connections_by_address[connection->address];
        asio::co_spawn(acceptor.get_executor(), serve(connection),
                       [self = shared_from_this(), connection](const std::exception_ptr& failure) {
                           if (failure) {
                               try {
                                   std::rethrow_exception(failure);
                               } catch (const std::exception& e) {
                                   BT_LOG(error, "http", "internal error on a connection: {}", e.what());
                               } catch (...) {
                                   BT_LOG(error, "http", "internal error on a connection");
                               }
                           }
                           self->drop(connection);
                       });
    }
}

// Whether a new connection from `address` may be served. One address holds at most its share; at the cap
// the connection waiting longest for a request's head is closed to make room.
bool HttpServer::Impl::admit(const std::string& address) {
    if (const auto it = connections_by_address.find(address);
        it != connections_by_address.end() && it->second >= config.max_connections_per_address)
        return false;
    if (connections.size() < config.max_connections) return true;
    std::shared_ptr<Connection> idlest;
    for (const auto& c : connections) {
        if (c->waiting_since && (!idlest || *c->waiting_since < *idlest->waiting_since)) idlest = c;
    }
    if (!idlest) return false;
    drop(idlest);
    return true;
}

// Closes a connection and stops counting it; its coroutine ends on its next operation. Idempotent.
void HttpServer::Impl::drop(const std::shared_ptr<Connection>& c) {
    std::error_code ignored;
    c->socket.close(ignored);
    c->timer.cancel();
    if (connections.erase(c) == 0) return;
    if (const auto it = connections_by_address.find(c->address);
        it != connections_by_address.end() && --it->second == 0)
        connections_by_address.erase(it);
}

asio::awaitable<void> HttpServer::Impl::serve(std::shared_ptr<Connection> c) {
    // The allow-list comes before everything, before a byte is read.
    if (config.whitelist_enabled && !http::address_allowed(allow_list, c->peer)) {
        co_await send_last(*c, unauthorized_address(c->address), false, true);
        co_return;
    }
    http::RequestParser parser;
    std::array<char, kReadSize> buffer;
    for (bool first = true;; first = false) {
        // A request starts with its first byte: from then on the head and request time limits run; before,
        // the idle limit (or, on a new connection, the head limit: it was opened to send a request).
        Clock::time_point started{};
        if (!first) {
            if (parser.leftover_size() > 0) started = Clock::now();
            parser.next();
            if (started == Clock::time_point{}) c->waiting_since = Clock::now();
        }
        // Only the head is read before the checks.
        while (parser.state() == http::RequestParser::State::need_more && !parser.has_head()) {
            const Clock::time_point deadline =
                started == Clock::time_point{}
                    ? Clock::now() + (first ? config.head_timeout : config.idle_timeout)
                    : started + config.head_timeout;
            const std::size_t n = co_await read_before(*c, asio::buffer(buffer), deadline);
            if (n == 0 || stopped) co_return;  // closed, failed or too slow
            if (started == Clock::time_point{}) started = Clock::now();
            parser.feed(std::string_view(buffer.data(), n));
        }
        if (!parser.has_head()) {
            co_await send_last(*c, parse_failure(parser), false, true);
            co_return;
        }
        c->waiting_since.reset();  // being answered

        const bool head_only = parser.method() == "HEAD";
        const Clock::time_point deadline = started + config.request_timeout;
        std::optional<Response> answer = co_await answer_head(*c, parser, deadline);
        if (stopped) co_return;
        // The limits come after the checks: a refused request gets its refusal, not 413.
        if (parser.state() == http::RequestParser::State::failed && (!answer || answer->status < 300))
            answer = parse_failure(parser);
        Response response;
        if (answer) {
            response = std::move(*answer);
        } else {
            BodyHold hold(body_bytes, config.max_buffered_body_bytes, body_room_freed);
            switch (co_await read_body(*c, parser, hold, buffer, deadline)) {
                case BodyRead::gone:
                    co_return;
                case BodyRead::no_room:
                    response = text(503, "too many requests are being received: try again");
                    response.headers.emplace_back("Retry-After", "1");
                    break;
                case BodyRead::done:
                    if (parser.state() == http::RequestParser::State::failed)
                        response = parse_failure(parser);
                    else
                        response = co_await call_rpc(parser);
                    break;
            }
            if (stopped) co_return;
        }
        // A body left unread ends the connection: the next request would start inside it.
        if (parser.state() != http::RequestParser::State::complete) {
            co_await send_last(*c, std::move(response), head_only, true);
            co_return;
        }
        if (!parser.keep_alive() || parser.minor_version() == 0) response.close = true;
        if (!co_await write_before(*c, serialise(response, head_only), Clock::now() + config.request_timeout))
            co_return;
        if (response.close) {
            std::error_code ec;
            c->socket.shutdown(tcp::socket::shutdown_send, ec);
            co_return;
        }
    }
}

// The last reply on a connection. `drain`: request bytes are left unread; some are read and dropped after
// the reply, so that closing does not reset the connection before the client has read it.
asio::awaitable<void> HttpServer::Impl::send_last(Connection& c, Response response, bool head_only,
                                                  bool drain) {
    response.close = true;
    if (!co_await write_before(c, serialise(response, head_only), Clock::now() + config.request_timeout))
        co_return;
    if (drain) {
        co_await linger(c);
    } else {
        std::error_code ignored;
        c.socket.shutdown(tcp::socket::shutdown_send, ignored);
    }
}

// Reads the rest of an RPC request that passed every check, within the budget for bodies: the whole
// Content-Length is reserved before `100 Continue` and the first body byte; a chunked body's room grows as
// it comes.
asio::awaitable<BodyRead> HttpServer::Impl::read_body(Connection& c, http::RequestParser& parser,
                                                      BodyHold& hold, std::span<char> buffer,
                                                      Clock::time_point deadline) {
    bool sent_continue = false;
    while (parser.state() == http::RequestParser::State::need_more) {
        const auto length = parser.content_length();
        const std::size_t room = length ? static_cast<std::size_t>(*length)
                                        : (parser.body().size() + buffer.size() + kChunkedRoomStep - 1) /
                                              kChunkedRoomStep * kChunkedRoomStep;
        if (!co_await make_room(c, hold, room, deadline)) co_return BodyRead::no_room;
        if (parser.expects_continue() && !sent_continue) {
            sent_continue = true;
            if (!co_await write_before(c, "HTTP/1.1 100 Continue\r\n\r\n", deadline))
                co_return BodyRead::gone;
        }
        const std::size_t n = co_await read_before(c, asio::buffer(buffer.data(), buffer.size()), deadline);
        if (n == 0 || stopped) co_return BodyRead::gone;
        parser.feed(std::string_view(buffer.data(), n));
    }
    co_return BodyRead::done;
}

// Waits until the budget has room for `bytes`, or the deadline passes (false). Waiting rather than refusing
// at once: an honest request is then late, not lost, when other bodies are being received.
asio::awaitable<bool> HttpServer::Impl::make_room(Connection& c, BodyHold& hold, std::size_t bytes,
                                                  Clock::time_point deadline) {
    while (!hold.reserve(bytes)) {
        if (bytes > config.max_buffered_body_bytes || stopped || Clock::now() >= deadline) co_return false;
        c.timer.expires_at(deadline);
        co_await (c.timer.async_wait(use_nothrow) || body_room_freed.async_wait(use_nothrow));
    }
    co_return true;
}

asio::awaitable<void> HttpServer::Impl::linger(Connection& c) {
    std::error_code ec;
    c.socket.shutdown(tcp::socket::shutdown_send, ec);
    const Clock::time_point deadline = Clock::now() + kLingerTime;
    std::array<char, 16 * 1024> buffer;
    for (std::size_t dropped = 0; dropped < kLingerBytes && !stopped;) {
        const std::size_t n = co_await read_before(c, asio::buffer(buffer), deadline);
        if (n == 0) break;
        dropped += n;
    }
}

// The reply that the head alone decides, with the checks in their order after the allow-list: Basic auth,
// routing (our page, web files), then for the RPC Origin, Host and the session id. nullopt for an RPC call
// that passed them all: only its body is read.
asio::awaitable<std::optional<Response>> HttpServer::Impl::answer_head(Connection& c,
                                                                       const http::RequestParser& request,
                                                                       Clock::time_point deadline) {
    if (config.auth) {
        if (auto refusal = co_await check_login(c, request, deadline)) co_return refusal;
    }
    const std::string_view target = request.target();
    const std::string_view path = target.substr(0, std::min(target.find('?'), target.size()));
    const bool get_or_head = request.method() == "GET" || request.method() == "HEAD";
    if (path == "/") {
        if (!get_or_head) co_return method_not_allowed("GET, HEAD");
        Response response;
        response.headers.emplace_back("Content-Type", "text/html; charset=UTF-8");
        response.body = config.index_page;
        co_return response;
    }
    // Served before the Host and session-id checks, as 3.00 does: the page must load to learn the id.
    if (path.starts_with(kWebPrefix)) co_return web_file(request);
    if (path.starts_with(kRpcPrefix)) co_return check_rpc(request);
    Response response = text(301, "the web interface is at /transmission/web/");
    response.headers.emplace_back("Location", kWebPrefix);
    co_return response;
}

asio::awaitable<std::optional<Response>> HttpServer::Impl::check_login(Connection& c,
                                                                       const http::RequestParser& request,
                                                                       Clock::time_point deadline) {
    const auto authorization = request.header("authorization");
    std::string user;
    std::string password;
    if (!authorization || !http::parse_basic_credentials(*authorization, user, password))
        co_return unauthorized();
    // Guessing is slowed down per address: the wait comes before the check, so that parallel attempts
    // queue up too. One whose wait would outlast its request is refused unchecked, so waits cannot pile up.
    const Clock::time_point now = Clock::now();
    const auto wait = throttle.wait_within(c.address, now, std::max(deadline - now, Clock::duration::zero()));
    if (!wait) co_return unauthorized();
    if (*wait > Clock::duration::zero()) {
        c.timer.expires_after(*wait);
        co_await c.timer.async_wait(use_nothrow);
    }
    // Both compared, always, so the time does not tell which was wrong.
    const bool user_ok = http::constant_time_equals(user, config.auth->user);
    const bool password_ok = http::constant_time_equals(password, config.auth->password);
    if (!user_ok || !password_ok) {
        throttle.on_failure(c.address, Clock::now());
        BT_LOG(info, "http", "failed login from {}", c.address);
        co_return unauthorized();
    }
    throttle.on_success(c.address);
    co_return std::nullopt;
}

std::optional<Response> HttpServer::Impl::check_rpc(const http::RequestParser& request) const {
    const std::string_view host = request.header("host").value_or("");
    if (const auto origin = request.header("origin"); origin && !http::origin_matches_host(*origin, host))
        return text(403, "requests from another site's pages are not allowed");
    // Against DNS rebinding: a page of evil.example resolved to 127.0.0.1 still sends "Host: evil.example".
    if (!config.auth && config.host_whitelist_enabled && !http::host_allowed(host, host_names))
        return text(
            421, "unauthorized Host header: use an IP address, localhost, or a name of the host whitelist");
    const auto id = request.header("x-transmission-session-id");
    if (!id || !http::constant_time_equals(*id, session_id)) {
        Response response =
            text(409, "repeat the request with the X-Transmission-Session-Id header of this reply");
        response.headers.emplace_back("X-Transmission-Session-Id", session_id);
        return response;
    }
    if (request.method() != "POST") return method_not_allowed("POST");
    if (!config.rpc_handler) return text(503, "the RPC is not available");
    return std::nullopt;
}

asio::awaitable<Response> HttpServer::Impl::call_rpc(http::RequestParser& request) {
    Response response;
    try {
        response.body = co_await config.rpc_handler(request.take_body());
    } catch (const std::exception& e) {
        BT_LOG(error, "http", "RPC handler failed: {}", e.what());
        co_return text(500, "the request could not be handled");
    }
    response.headers.emplace_back("Content-Type", "application/json; charset=UTF-8");
    response.headers.emplace_back("X-Transmission-Session-Id", session_id);
    co_return response;
}

Response HttpServer::Impl::web_file(const http::RequestParser& request) const {
    if (request.method() != "GET" && request.method() != "HEAD") return method_not_allowed("GET, HEAD");
    const Response not_found = text(404, "no such file");
    if (config.web_home.empty()) return not_found;
    const auto relative = http::decode_web_path(std::string_view(request.target()).substr(kWebPrefix.size()));
    if (!relative) return not_found;
    std::error_code ec;
    const fs::path root = fs::canonical(config.web_home, ec);
    if (ec) return not_found;
    auto file = confined(root, root / *relative);
    if (file && fs::is_directory(*file, ec)) file = confined(root, *file / "index.html");
    if (!file || !fs::is_regular_file(*file, ec)) return not_found;
    const std::uintmax_t size = fs::file_size(*file, ec);
    if (ec || size > kMaxWebFile) return not_found;
    std::ifstream in(*file, std::ios::binary);
    Response response;
    response.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) return not_found;
    response.headers.emplace_back("Content-Type", http::mime_type(file->filename().native()));
    return response;
}

void HttpServer::Impl::stop() {
    if (stopped) return;
    stopped = true;
    std::error_code ignored;
    acceptor.close(ignored);
    accept_pause.cancel();
    body_room_freed.cancel();
    for (const auto& c : connections) {
        c->socket.close(ignored);
        c->timer.cancel();
    }
}

HttpServer::HttpServer(asio::io_context& io, HttpServerConfig config)
    : impl_(std::make_shared<Impl>(io, std::move(config))) {}

HttpServer::~HttpServer() {
    stop();
}

Result<void, std::string> HttpServer::listen() {
    Impl& impl = *impl_;
    const std::string where = "cannot listen on " + impl.config.listen + ": ";
    const auto endpoint = parse_endpoint(impl.config.listen);
    if (!endpoint) return fail(where + "not an address and port like 127.0.0.1:9091 or [::1]:9091");
    const tcp::endpoint local = net::to_asio(*endpoint);
    std::error_code ec;
    impl.acceptor.open(local.protocol(), ec);
    if (!ec) impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    // "[::]" takes IPv4 clients too (as IPv4-mapped addresses, which the checks read as IPv4).
    if (!ec && local.address().is_v6() && local.address().is_unspecified())
        impl.acceptor.set_option(asio::ip::v6_only(false), ec);
    if (!ec) impl.acceptor.bind(local, ec);
    if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) impl.port = impl.acceptor.local_endpoint(ec).port();
    if (ec) {
        std::error_code ignored;
        impl.acceptor.close(ignored);
        return fail(where + ec.message());
    }
    asio::co_spawn(impl.acceptor.get_executor(), impl.accept_loop(),
                   [self = impl_](const std::exception_ptr& failure) {
                       if (failure) BT_LOG(error, "http", "the RPC server stopped accepting connections");
                   });
    BT_LOG(info, "http", "RPC server listening on {}", impl.config.listen);
    return {};
}

void HttpServer::stop() {
    impl_->stop();
}

std::uint16_t HttpServer::port() const noexcept {
    return impl_->port;
}

const std::string& HttpServer::session_id() const noexcept {
    return impl_->session_id;
}

std::size_t HttpServer::connection_count() const noexcept {
    return impl_->connections.size();
}

}  // namespace bt::daemon
