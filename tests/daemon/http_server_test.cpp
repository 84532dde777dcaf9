// The daemon's HTTP server over real loopback sockets (127.0.0.1, and ::1 where the host has it): each
// check with its status and headers, the session-id dance, auth and the login slow-down, web files and
// traversal attempts, the size and time limits, the connection cap, pipelining and chunked bodies. The
// server runs on its own thread; the test is a plain blocking client.
#include "daemon/http_server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bt::daemon {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
namespace fs = std::filesystem;

constexpr std::string_view kIndexPage = "<!doctype html><title>bitveil</title>";

asio::awaitable<std::string> echo_rpc(std::string body) {
    co_return "{\"result\":\"success\",\"echo\":\"" + body + "\"}";
}

HttpServerConfig base_config() {
    HttpServerConfig config;
    config.listen = "127.0.0.1:0";
    config.index_page = kIndexPage;
    config.rpc_handler = echo_rpc;
    return config;
}

// A server on a thread of its own, stopped and joined at the end of the test.
class Served {
  public:
    explicit Served(HttpServerConfig config) : server_(io_, std::move(config)) {
        auto listening = server_.listen();
        EXPECT_TRUE(listening) << listening.error();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~Served() {
        asio::post(io_, [this] { server_.stop(); });
        guard_.reset();
        thread_.join();
    }
    std::uint16_t port() const { return server_.port(); }
    const std::string& session_id() const { return server_.session_id(); }
    std::size_t connection_count() {
        std::promise<std::size_t> count;
        asio::post(io_, [&] { count.set_value(server_.connection_count()); });
        return count.get_future().get();
    }

  private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
    HttpServer server_;
    std::thread thread_;
};

struct Reply {
    int status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

class Client {
  public:
    // `from`: the local address to connect from (any of 127.0.0.0/8 on loopback).
    explicit Client(std::uint16_t port, const char* address = "127.0.0.1", const char* from = nullptr)
        : socket_(io_) {
        const tcp::endpoint server(asio::ip::make_address(address), port);
        if (from) {
            socket_.open(server.protocol());
            socket_.bind(tcp::endpoint(asio::ip::make_address(from), 0));
        }
        socket_.connect(server);
    }
    // Errors are left to the next read: the server may have closed the connection already.
    void send(std::string_view bytes) {
        std::error_code ignored;
        asio::write(socket_, asio::buffer(bytes), ignored);
    }
    // The next reply, or nullopt when the connection ends first. `head_only`: a reply to HEAD.
    std::optional<Reply> read_reply(bool head_only = false) {
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) return std::nullopt;
        }
        Reply reply;
        std::string_view head(buffer_.data(), end + 2);
        const std::size_t line_end = head.find("\r\n");
        reply.status = std::stoi(std::string(head.substr(9, 3)));
        head.remove_prefix(line_end + 2);
        while (!head.empty()) {
            const std::size_t eol = head.find("\r\n");
            const std::string_view line = head.substr(0, eol);
            const std::size_t colon = line.find(':');
            std::string name(line.substr(0, colon));
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            reply.headers[name] = std::string(line.substr(colon + 2));
            head.remove_prefix(eol + 2);
        }
        buffer_.erase(0, end + 4);
        const std::size_t length =
            head_only
                ? 0
                : std::stoul(reply.header("content-length").empty() ? "0" : reply.header("content-length"));
        while (buffer_.size() < length) {
            if (!fill()) return std::nullopt;
        }
        reply.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        return reply;
    }
    Reply exchange(std::string_view request, bool head_only = false) {
        send(request);
        auto reply = read_reply(head_only);
        EXPECT_TRUE(reply) << "no reply to " << request;
        return reply.value_or(Reply{});
    }
    // True when the server closed the connection (without sending anything more).
    bool closed_by_server() { return !fill() && buffer_.empty(); }
    std::size_t available() { return socket_.available(); }

  private:
    bool fill() {
        std::array<char, 4096> chunk;
        std::error_code ec;
        const std::size_t n = socket_.read_some(asio::buffer(chunk), ec);
        if (ec) return false;
        buffer_.append(chunk.data(), n);
        return true;
    }
    asio::io_context io_;
    tcp::socket socket_;
    std::string buffer_;
};

std::string request(std::string_view method, std::string_view target, const std::vector<std::string>& headers,
                    std::string_view body = {}) {
    std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
    for (const auto& h : headers) out += h + "\r\n";
    if (!body.empty() || method == "POST") out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return out + "\r\n" + std::string(body);
}

std::string rpc_post(const Served& served, std::string_view body, std::vector<std::string> extra = {}) {
    extra.push_back("Host: 127.0.0.1:" + std::to_string(served.port()));
    extra.push_back("X-Transmission-Session-Id: " + served.session_id());
    return request("POST", "/transmission/rpc/", extra, body);
}

bool has_cors_headers(const Reply& reply) {
    for (const auto& [name, value] : reply.headers) {
        if (name.starts_with("access-control-")) return true;
    }
    return false;
}

std::string basic(std::string_view user_and_password) {
    static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < user_and_password.size(); i += 3) {
        const auto n = (static_cast<unsigned char>(user_and_password[i]) << 16) |
                       (static_cast<unsigned char>(user_and_password[i + 1]) << 8) |
                       static_cast<unsigned char>(user_and_password[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += kDigits[(n >> shift) & 63];
    }
    if (const std::size_t rest = user_and_password.size() - i; rest > 0) {
        unsigned n = static_cast<unsigned char>(user_and_password[i]) << 16;
        if (rest == 2) n |= static_cast<unsigned char>(user_and_password[i + 1]) << 8;
        out += kDigits[(n >> 18) & 63];
        out += kDigits[(n >> 12) & 63];
        out += rest == 2 ? kDigits[(n >> 6) & 63] : '=';
        out += '=';
    }
    return "Authorization: Basic " + out;
}

TEST(HttpServer, TheSessionIdDance) {
    Served served(base_config());
    EXPECT_EQ(served.session_id().size(), 48u);
    Client client(served.port());
    const std::string host = "Host: 127.0.0.1:" + std::to_string(served.port());

    const Reply conflict = client.exchange(request("POST", "/transmission/rpc/", {host}, "{}"));
    EXPECT_EQ(conflict.status, 409);
    EXPECT_EQ(conflict.header("x-transmission-session-id"), served.session_id());
    EXPECT_FALSE(conflict.body.empty());
    EXPECT_EQ(conflict.header("content-type"), "text/plain; charset=UTF-8");

    const Reply stale = client.exchange(
        request("POST", "/transmission/rpc/", {host, "X-Transmission-Session-Id: 0123456789"}, "{}"));
    EXPECT_EQ(stale.status, 409);

    // With the id, every request is answered, however many (transmission-remote retries a 409 forever).
    for (int i = 0; i < 20; ++i) {
        const Reply ok = client.exchange(rpc_post(served, "{\"method\":\"session-get\"}"));
        ASSERT_EQ(ok.status, 200) << i;
        EXPECT_EQ(ok.header("content-type"), "application/json; charset=UTF-8");
        EXPECT_EQ(ok.header("x-transmission-session-id"), served.session_id());
        EXPECT_EQ(ok.body, "{\"result\":\"success\",\"echo\":\"{\"method\":\"session-get\"}\"}");
        EXPECT_FALSE(has_cors_headers(ok));
    }
    EXPECT_FALSE(has_cors_headers(conflict));
}

TEST(HttpServer, EachServerStartHasItsOwnSessionId) {
    Served a(base_config());
    Served b(base_config());
    EXPECT_NE(a.session_id(), b.session_id());
}

TEST(HttpServer, RpcTakesPostOnlyAndAnySuffix) {
    Served served(base_config());
    Client client(served.port());
    const std::string host = "Host: 127.0.0.1:" + std::to_string(served.port());
    const std::string id = "X-Transmission-Session-Id: " + served.session_id();
    EXPECT_EQ(client.exchange(request("POST", "/transmission/rpc", {host, id}, "x")).status, 200);
    EXPECT_EQ(client.exchange(request("POST", "/transmission/rpc/extra?q=1", {host, id}, "x")).status, 200);
    const Reply get = client.exchange(request("GET", "/transmission/rpc/", {host, id}));
    EXPECT_EQ(get.status, 405);
    EXPECT_EQ(get.header("allow"), "POST");
    // Any Content-Type: transmission-remote sends a form type, the web UI "json".
    EXPECT_EQ(client.exchange(rpc_post(served, "x", {"Content-Type: json"})).status, 200);
    EXPECT_EQ(
        client.exchange(rpc_post(served, "x", {"Content-Type: application/x-www-form-urlencoded"})).status,
        200);
}

TEST(HttpServer, TheIpAllowList) {
    {
        HttpServerConfig config = base_config();
        config.rpc_whitelist = "10.0.0.1, 192.168.*.*";
        Served served(config);
        Client client(served.port());
        const Reply reply = client.exchange(rpc_post(served, "x"));
        EXPECT_EQ(reply.status, 403);
        EXPECT_NE(reply.body.find("127.0.0.1"), std::string::npos);
        EXPECT_EQ(reply.header("connection"), "close");
        // Before everything else, the web files and our page included.
        Client page(served.port());
        EXPECT_EQ(page.exchange(request("GET", "/", {})).status, 403);
    }
    for (const char* list : {"127.0.0.*", "*", "10.0.0.1,127.0.0.1"}) {
        HttpServerConfig config = base_config();
        config.rpc_whitelist = list;
        Served served(config);
        Client client(served.port());
        EXPECT_EQ(client.exchange(rpc_post(served, "x")).status, 200) << list;
    }
    HttpServerConfig config = base_config();
    config.rpc_whitelist = "10.0.0.1";
    config.whitelist_enabled = false;
    Served served(config);
    Client client(served.port());
    EXPECT_EQ(client.exchange(rpc_post(served, "x")).status, 200);
}

TEST(HttpServer, TheAllowListIsCheckedBeforeAnythingIsRead) {
    HttpServerConfig config = base_config();
    config.rpc_whitelist = "10.0.0.1";
    Served served(config);
    {
        // The refusal comes before the client sent a byte.
        Client silent(served.port());
        const auto reply = silent.read_reply();
        ASSERT_TRUE(reply);
        EXPECT_EQ(reply->status, 403);
        EXPECT_TRUE(silent.closed_by_server());
    }
    // A large body is never read: 403 (the first check), not 413 (a limit) nor a wait for the body.
    for (const char* length : {"100000000", "1000000"}) {
        Client client(served.port());
        client.send(std::string("POST /transmission/rpc/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ") +
                    length + "\r\n\r\n");
        const auto reply = client.read_reply();
        ASSERT_TRUE(reply) << length;
        EXPECT_EQ(reply->status, 403) << length;
        EXPECT_TRUE(client.closed_by_server()) << length;
    }
}

TEST(HttpServer, AnIpv4MappedPeerIsComparedAsIpv4) {
    HttpServerConfig config = base_config();
    config.listen = "[::]:0";
    config.rpc_whitelist = "127.0.0.1";
    asio::io_context probe;
    tcp::acceptor v6(probe);
    std::error_code ec;
    v6.open(tcp::v6(), ec);
    if (ec) GTEST_SKIP() << "no IPv6 on this host";
    Served served(config);
    Client client(served.port(), "127.0.0.1");
    EXPECT_EQ(client.exchange(rpc_post(served, "x")).status, 200);
}

TEST(HttpServer, BasicAuthThenTheSessionId) {
    HttpServerConfig config = base_config();
    config.auth = HttpCredentials{"user", "pass word"};
    Served served(config);
    Client client(served.port());
    const std::string host = "Host: 127.0.0.1:" + std::to_string(served.port());

    const Reply anonymous = client.exchange(request("POST", "/transmission/rpc/", {host}, "x"));
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(anonymous.header("www-authenticate"), "Basic realm=\"Transmission\"");
    EXPECT_EQ(client.exchange(request("GET", "/", {})).status, 401);  // auth comes before routing

    const Reply logged_in =
        client.exchange(request("POST", "/transmission/rpc/", {host, basic("user:pass word")}, "x"));
    EXPECT_EQ(logged_in.status, 409);
    const Reply ok = client.exchange(rpc_post(served, "x", {basic("user:pass word")}));
    EXPECT_EQ(ok.status, 200);

    EXPECT_EQ(client.exchange(rpc_post(served, "x", {basic("user:wrong")})).status, 401);
    EXPECT_EQ(client.exchange(rpc_post(served, "x", {basic("someone:pass word")})).status, 401);
}

// The head decides every refusal: with a body announced but never sent, each refusal still comes (the old
// server waited for the body first, then timed out without a reply), and a client that expects
// `100 Continue` gets the refusal instead. Each reply closes the connection: its body was not read.
TEST(HttpServer, RequestsAreCheckedOnTheirHeadBeforeTheBodyIsRead) {
    HttpServerConfig config = base_config();
    config.auth = HttpCredentials{"user", "secret"};
    config.login_throttle.first_delay = 10ms;  // the wrong guesses below are slowed down, not by much
    config.login_throttle.max_delay = 10ms;
    Served served(config);
    const std::string host = "Host: 127.0.0.1:" + std::to_string(served.port());
    const std::string id = "X-Transmission-Session-Id: " + served.session_id();
    const std::string login = basic("user:secret");
    struct Case {
        std::vector<std::string> headers;
        int status;
    };
    const std::vector<Case> cases{
        {{host, id}, 401},                                        // no credentials
        {{host, id, basic("user:wrong")}, 401},                   // wrong ones
        {{host, login}, 409},                                     // no session id
        {{host, id, login, "Origin: http://evil.example"}, 403},  // another site's page
    };
    for (const auto& [headers, status] : cases) {
        for (const char* length : {"1000000", "100000000"}) {  // under and over the body limit
            for (const bool expect_continue : {false, true}) {
                std::string head =
                    "POST /transmission/rpc/ HTTP/1.1\r\nContent-Length: " + std::string(length) + "\r\n";
                for (const auto& h : headers) head += h + "\r\n";
                if (expect_continue) head += "Expect: 100-continue\r\n";
                Client client(served.port());
                client.send(head + "\r\n");
                const auto reply = client.read_reply();
                ASSERT_TRUE(reply) << head;
                EXPECT_EQ(reply->status, status) << head;
                EXPECT_EQ(reply->header("connection"), "close") << head;
                EXPECT_TRUE(client.closed_by_server()) << head;
            }
        }
    }
    // Routing too: a POST to our page is refused before its body.
    Client page(served.port());
    page.send("POST / HTTP/1.1\r\n" + login + "\r\nContent-Length: 1000000\r\n\r\n");
    const auto refused = page.read_reply();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 405);
    // A request that passes every check has its body read.
    Client client(served.port());
    client.send("POST /transmission/rpc/ HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n" + host +
                "\r\n" + id + "\r\n" + login + "\r\n\r\n");
    const auto interim = client.read_reply();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    EXPECT_EQ(client.exchange("body").status, 200);
}

// An RPC reply that takes its time, so that its request holds its body's room meanwhile.
asio::awaitable<std::string> slow_rpc(std::string body) {
    if (body.starts_with("slow")) {
        asio::steady_timer timer(co_await asio::this_coro::executor, 2s);
        co_await timer.async_wait(asio::use_awaitable);
    }
    co_return "{\"size\":" + std::to_string(body.size()) + "}";
}

TEST(HttpServer, BodiesHeldAtOnceStayWithinTheBudget) {
    HttpServerConfig config = base_config();
    config.rpc_handler = slow_rpc;
    config.max_buffered_body_bytes = 1024 * 1024;
    config.request_timeout = 300ms;  // how long a body waits for room
    Served served(config);
    const std::string body(800 * 1024, 'x');
    const std::string head =
        "POST /transmission/rpc/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Transmission-Session-Id: " +
        served.session_id() + "\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nExpect: 100-continue\r\n\r\n";
    Client holder(served.port());
    holder.send(head);
    const auto go = holder.read_reply();
    ASSERT_TRUE(go);
    EXPECT_EQ(go->status, 100);
    holder.send("slow" + body.substr(4));  // its 800 KiB stay reserved while the reply is made

    // No room for another 800 KiB: no `100 Continue`, and 503 once the request's time is up.
    Client late(served.port());
    late.send(head);
    const auto busy = late.read_reply();
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->status, 503);
    EXPECT_EQ(busy->header("retry-after"), "1");
    EXPECT_TRUE(late.closed_by_server());

    // Smaller bodies still fit beside it.
    Client small(served.port());
    EXPECT_EQ(small.exchange(rpc_post(served, std::string(100 * 1024, 'y'))).body, "{\"size\":102400}");

    const auto done = holder.read_reply();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->body, "{\"size\":819200}");
    // The room is given back.
    Client next(served.port());
    next.send(head);
    const auto interim = next.read_reply();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    next.send(body);
    const auto reply = next.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->body, "{\"size\":819200}");
}

TEST(HttpServer, FailedLoginsSlowTheirAddressDown) {
    HttpServerConfig config = base_config();
    config.auth = HttpCredentials{"user", "secret"};
    config.login_throttle.first_delay = 3s;
    Served served(config);
    Client guesser(served.port());
    EXPECT_EQ(guesser.exchange(rpc_post(served, "x", {basic("user:guess1")})).status, 401);  // not delayed

    // The second guess waits before it is checked; meanwhile a request without credentials (not a failed
    // login) is answered at once, so its reply comes first.
    guesser.send(rpc_post(served, "x", {basic("user:guess2")}));
    Client other(served.port());
    EXPECT_EQ(other.exchange(request("GET", "/", {})).status, 401);
    EXPECT_EQ(guesser.available(), 0u);  // still waiting
    const auto delayed = guesser.read_reply();
    ASSERT_TRUE(delayed);
    EXPECT_EQ(delayed->status, 401);
}

// The reviewer's lock-out, scaled down: one address holding every connection kept everyone else out.
TEST(HttpServer, OneAddressHoldsOnlyItsShareOfConnections) {
    HttpServerConfig config = base_config();
    config.auth = HttpCredentials{"user", "secret"};
    config.rpc_whitelist = "127.0.0.*";
    config.max_connections = 8;
    config.max_connections_per_address = 4;
    Served served(config);
    std::vector<std::unique_ptr<Client>> crowd;
    for (int i = 0; i < 20; ++i) {
        crowd.push_back(std::make_unique<Client>(served.port(), "127.0.0.1", "127.0.0.1"));
        crowd.back()->send("POST /transmission/rpc/ HTTP/1.1\r\n");  // heads that never end
    }
    Client other(served.port(), "127.0.0.1", "127.0.0.2");
    EXPECT_EQ(other.exchange(rpc_post(served, "x", {basic("user:secret")})).status, 200);
    EXPECT_EQ(served.connection_count(), 5u);  // 4 from 127.0.0.1, the rest closed at accept
    std::size_t refused = 0;
    for (std::size_t i = 4; i < crowd.size(); ++i) refused += crowd[i]->closed_by_server() ? 1 : 0;
    EXPECT_EQ(refused, 16u);
}

// Parallel wrong guesses used to queue without bound (the Nth waited N delays, past any deadline); a wait
// that would outlast the request is now refused at once. The test would wait an hour otherwise.
TEST(HttpServer, ALoginWaitPastTheDeadlineIsRefusedAtOnce) {
    HttpServerConfig config = base_config();
    config.auth = HttpCredentials{"user", "secret"};
    config.rpc_whitelist = "127.0.0.*";
    config.login_throttle.first_delay = 1h;
    config.login_throttle.max_delay = 1h;
    Served served(config);
    Client guesser(served.port(), "127.0.0.1", "127.0.0.1");
    EXPECT_EQ(guesser.exchange(rpc_post(served, "x", {basic("user:guess")})).status, 401);
    for (int i = 0; i < 3; ++i) {
        Client next(served.port(), "127.0.0.1", "127.0.0.1");
        EXPECT_EQ(next.exchange(rpc_post(served, "x", {basic("user:guess")})).status, 401);
    }
    // Even the right password is refused unchecked from that address for now; other addresses log in.
    EXPECT_EQ(guesser.exchange(rpc_post(served, "x", {basic("user:secret")})).status, 401);
    Client owner(served.port(), "127.0.0.1", "127.0.0.2");
    EXPECT_EQ(owner.exchange(rpc_post(served, "x", {basic("user:secret")})).status, 200);
}

TEST(HttpServer, AtTheCapAnIdleConnectionMakesRoom) {
    HttpServerConfig config = base_config();
    config.max_connections = 4;
    Served served(config);
    std::vector<std::unique_ptr<Client>> kept;
    for (int i = 0; i < 4; ++i) {
        kept.push_back(std::make_unique<Client>(served.port()));
        EXPECT_EQ(kept.back()->exchange(request("GET", "/", {})).status, 200);  // then idle, kept alive
    }
    Client newcomer(served.port());
    EXPECT_EQ(newcomer.exchange(request("GET", "/", {})).status, 200);
    EXPECT_TRUE(kept.front()->closed_by_server());  // the one idle the longest
    EXPECT_EQ(kept[1]->exchange(request("GET", "/", {})).status, 200);
    EXPECT_LE(served.connection_count(), 4u);
}

TEST(HttpServer, RoutesAndOurPage) {
    Served served(base_config());
    Client client(served.port());
    const Reply page = client.exchange(request("GET", "/", {}));
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.header("content-type"), "text/html; charset=UTF-8");
    EXPECT_EQ(page.body, kIndexPage);
    const Reply head = client.exchange(request("HEAD", "/", {}), true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-length"), std::to_string(kIndexPage.size()));
    EXPECT_EQ(client.exchange(request("POST", "/", {}, "x")).status, 405);
    for (const char* target :
         {"/transmission", "/transmission/", "/transmission/web", "/favicon.ico", "/x/y?z"}) {
        const Reply moved = client.exchange(request("GET", target, {}));
        EXPECT_EQ(moved.status, 301) << target;
        EXPECT_EQ(moved.header("location"), "/transmission/web/") << target;
    }
}

TEST(HttpServer, TheHostCheck) {
    HttpServerConfig config = base_config();
    config.host_whitelist = "*.lan";
    Served served(config);
    Client client(served.port());
    const std::string id = "X-Transmission-Session-Id: " + served.session_id();
    for (const char* host : {"127.0.0.1:9091", "[::1]:9091", "localhost:9091", "localhost.", "nas.lan:9091"})
        EXPECT_EQ(
            client.exchange(request("POST", "/transmission/rpc/", {std::string("Host: ") + host, id}, "x"))
                .status,
            200)
            << host;
    for (const char* host : {"evil.example", "127.0.0.1.evil.example:9091", ""}) {
        const Reply reply =
            client.exchange(request("POST", "/transmission/rpc/", {std::string("Host: ") + host, id}, "x"));
        EXPECT_EQ(reply.status, 421) << host;
    }
    EXPECT_EQ(client.exchange(request("POST", "/transmission/rpc/", {id}, "x")).status, 421);  // no Host
    // The Host check comes before the session id: a rebinding page never learns it.
    const Reply rebinding =
        client.exchange(request("POST", "/transmission/rpc/", {"Host: evil.example"}, "x"));
    EXPECT_EQ(rebinding.status, 421);
    EXPECT_TRUE(rebinding.header("x-transmission-session-id").empty());

    // Skipped with a password.
    HttpServerConfig with_auth = base_config();
    with_auth.auth = HttpCredentials{"u", "p"};
    Served protected_server(with_auth);
    Client other(protected_server.port());
    EXPECT_EQ(other
                  .exchange(request("POST", "/transmission/rpc/",
                                    {"Host: evil.example", basic("u:p"),
                                     "X-Transmission-Session-Id: " + protected_server.session_id()},
                                    "x"))
                  .status,
              200);
}

TEST(HttpServer, ACrossSiteOriginIsRefused) {
    Served served(base_config());
    Client client(served.port());
    const std::string self = "http://127.0.0.1:" + std::to_string(served.port());
    EXPECT_EQ(client.exchange(rpc_post(served, "x", {"Origin: http://evil.example"})).status, 403);
    EXPECT_EQ(client.exchange(rpc_post(served, "x", {"Origin: null"})).status, 403);
    EXPECT_EQ(client.exchange(rpc_post(served, "x", {"Origin: http://127.0.0.1:1"})).status, 403);
    const Reply same = client.exchange(rpc_post(served, "x", {"Origin: " + self}));
    EXPECT_EQ(same.status, 200);
    EXPECT_FALSE(has_cors_headers(same));
}

class WebFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("bitveil-web-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(base_);
        root_ = base_ / "web";
        fs::create_directories(root_ / "javascript");
        fs::create_directories(root_ / "style");
        fs::create_directories(root_ / "images");
        write(root_ / "index.html", "<html>web ui</html>");
        write(root_ / "javascript" / "app.js", "var x;");
        write(root_ / "style" / "s.css", "body{}");
        write(root_ / "images" / "i.png", "PNG");
        write(root_ / "images" / "a b.svg", "<svg/>");
        write(root_ / "data.json", "{}");
        write(root_ / "f.woff2", "w2");
        write(root_ / "README", "plain");
        write(base_ / "secret.txt", "secret");
        fs::create_directories(base_ / "outside");
        write(base_ / "outside" / "index.html", "outside");
        fs::create_symlink(base_ / "secret.txt", root_ / "link.txt");
        fs::create_symlink(base_ / "outside", root_ / "linked_dir");
    }
    void TearDown() override { fs::remove_all(base_); }
    static void write(const fs::path& path, std::string_view text) { std::ofstream(path) << text; }

    fs::path base_;
    fs::path root_;
};

TEST_F(WebFiles, ServesFilesWithTheirTypesBeforeTheRpcChecks) {
    HttpServerConfig config = base_config();
    config.web_home = root_;
    Served served(config);
    Client client(served.port());
    // No session id and a foreign Host: web files come before those checks, as in 3.00.
    const Reply index = client.exchange(request("GET", "/transmission/web/", {"Host: evil.example"}));
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "<html>web ui</html>");
    EXPECT_EQ(index.header("content-type"), "text/html; charset=UTF-8");
    const std::map<std::string, std::string> types{
        {"javascript/app.js", "text/javascript; charset=UTF-8"},
        {"style/s.css", "text/css; charset=UTF-8"},
        {"images/i.png", "image/png"},
        {"images/a%20b.svg", "image/svg+xml"},
        {"data.json", "application/json"},
        {"f.woff2", "font/woff2"},
        {"README", "application/octet-stream"},
        {"index.html?v=1", "text/html; charset=UTF-8"},
    };
    for (const auto& [file, type] : types) {
        const Reply reply = client.exchange(request("GET", "/transmission/web/" + file, {}));
        EXPECT_EQ(reply.status, 200) << file;
        EXPECT_EQ(reply.header("content-type"), type) << file;
        EXPECT_FALSE(has_cors_headers(reply));
    }
    const Reply head = client.exchange(request("HEAD", "/transmission/web/javascript/app.js", {}), true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-length"), "6");
    EXPECT_EQ(client.exchange(request("GET", "/transmission/web/style/s.css", {})).body,
              "body{}");  // in sync
    const Reply post = client.exchange(request("POST", "/transmission/web/index.html", {}, "x"));
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("allow"), "GET, HEAD");
}

TEST_F(WebFiles, NothingOutsideTheWebFolder) {
    HttpServerConfig config = base_config();
    config.web_home = root_;
    Served served(config);
    Client client(served.port());
    for (const char* target :
         {"/transmission/web/../secret.txt", "/transmission/web/%2e%2e/secret.txt",
          "/transmission/web/%2E%2E/outside/index.html", "/transmission/web/..%2Fsecret.txt",
          "/transmission/web/javascript%2Fapp.js", "/transmission/web/link.txt",
          "/transmission/web/linked_dir/", "/transmission/web/linked_dir/index.html",
          "/transmission/web/..\\secret.txt", "/transmission/web/index.html%00.png",
          "/transmission/web/missing.js", "/transmission/web/images/"}) {
        const Reply reply = client.exchange(request("GET", target, {}));
        EXPECT_EQ(reply.status, 404) << target;
        EXPECT_EQ(reply.body.find("secret"), std::string::npos) << target;
        EXPECT_EQ(reply.body.find("outside"), std::string::npos) << target;
    }
}

TEST(HttpServer, NoWebFolderServesNoFiles) {
    Served served(base_config());
    Client client(served.port());
    EXPECT_EQ(client.exchange(request("GET", "/transmission/web/", {})).status, 404);
}

TEST(HttpServer, AHugeContentLengthIsRefusedWithoutTheBody) {
    Served served(base_config());
    Client client(served.port());
    // A request that passes every check: a refused one gets its refusal first.
    client.send("POST /transmission/rpc/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n" +
                ("X-Transmission-Session-Id: " + served.session_id()) + "\r\n\r\n");
    const auto reply = client.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 413);
    EXPECT_EQ(reply->header("connection"), "close");
    EXPECT_TRUE(client.closed_by_server());
}

TEST(HttpServer, AnOversizedHeadIs431) {
    Served served(base_config());
    Client client(served.port());
    client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
    const auto reply = client.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 431);
    EXPECT_TRUE(client.closed_by_server());
}

TEST(HttpServer, AMalformedRequestIs400AndCloses) {
    Served served(base_config());
    Client client(served.port());
    client.send("GET / HTTP/1.1\r\nBad header\r\n\r\n");
    const auto reply = client.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 400);
    EXPECT_TRUE(client.closed_by_server());
}

TEST(HttpServer, SlowAndIdleClientsAreDisconnected) {
    HttpServerConfig config = base_config();
    config.head_timeout = 300ms;
    config.request_timeout = 600ms;
    config.idle_timeout = 300ms;
    Served served(config);
    {
        Client silent(served.port());
        EXPECT_TRUE(silent.closed_by_server());
    }
    {
        Client slow(served.port());
        slow.send("GET / HTTP/1.1\r\n");
        for (int i = 0; i < 3; ++i) {
            std::this_thread::sleep_for(150ms);
            slow.send("X: 1\r\n");  // a slow-loris: each byte in time, the head never
        }
        EXPECT_TRUE(slow.closed_by_server());
    }
    {
        Client body_never_sent(served.port());
        body_never_sent.send("POST /transmission/rpc/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n" +
                             ("X-Transmission-Session-Id: " + served.session_id()) + "\r\n\r\nabc");
        EXPECT_TRUE(body_never_sent.closed_by_server());
    }
    {
        Client idle(served.port());
        EXPECT_EQ(idle.exchange(request("GET", "/", {})).status, 200);
        EXPECT_TRUE(idle.closed_by_server());  // keep-alive ends after the idle time
    }
}

TEST(HttpServer, ConnectionsBeyondTheCapAreClosedAndTheServerStaysUp) {
    HttpServerConfig config = base_config();
    config.max_connections = 50;
    Served served(config);
    {
        std::vector<std::unique_ptr<Client>> crowd;
        for (int i = 0; i < 1000; ++i) crowd.push_back(std::make_unique<Client>(served.port()));
        EXPECT_LE(served.connection_count(), 50u);
        // Those held are served.
        std::size_t answered = 0;
        std::size_t closed = 0;
        for (int i = 0; i < 1000; i += 50) {
            crowd[static_cast<std::size_t>(i)]->send(request("GET", "/", {}));
            const auto reply = crowd[static_cast<std::size_t>(i)]->read_reply();
            (reply ? answered : closed) += 1;
        }
        EXPECT_GE(answered, 1u);
        EXPECT_GE(closed, 1u);
        EXPECT_LE(served.connection_count(), 50u);
    }
    for (int i = 0; i < 200 && served.connection_count() > 0; ++i) std::this_thread::sleep_for(10ms);
    Client client(served.port());
    EXPECT_EQ(client.exchange(rpc_post(served, "after")).status, 200);
}

// Idle or slow-loris connections at the cap must not lock the RPC out until they time out.
TEST(HttpServer, AtTheCapTheConnectionLongestWithoutAReplyMakesRoom) {
    HttpServerConfig config = base_config();
    config.max_connections = 3;
    Served served(config);
    std::vector<std::unique_ptr<Client>> held;
    for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<Client>(served.port()));
    for (int i = 0; i < 200 && served.connection_count() < 3; ++i) std::this_thread::sleep_for(5ms);
    ASSERT_EQ(served.connection_count(), 3u);
    // Answered just now: the first is no longer the one that has gone longest without a reply.
    EXPECT_EQ(held[0]->exchange(request("GET", "/", {})).status, 200);
    held[2]->send("GET / HTTP/1.1\r\n");  // a slow-loris's first bytes are no reply either

    const auto t0 = std::chrono::steady_clock::now();
    Client newcomer(served.port());
    EXPECT_EQ(newcomer.exchange(rpc_post(served, "in")).status, 200);
    EXPECT_TRUE(held[1]->closed_by_server());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);  // not by the 10 s head timeout
    EXPECT_LE(served.connection_count(), 3u);

    Client another(served.port());
    EXPECT_EQ(another.exchange(rpc_post(served, "in again")).status, 200);
    EXPECT_TRUE(held[2]->closed_by_server());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    EXPECT_EQ(held[0]->exchange(request("GET", "/", {})).status, 200);
}

// While every connection held is being answered, a new one is closed at accept, and the answers arrive.
TEST(HttpServer, AtTheCapConnectionsBeingAnsweredAreKept) {
    HttpServerConfig config = base_config();
    config.max_connections = 2;
    config.rpc_handler = [](std::string body) -> asio::awaitable<std::string> {
        asio::steady_timer slow(co_await asio::this_coro::executor, 500ms);
        co_await slow.async_wait(asio::use_awaitable);
        co_return body;
    };
    Served served(config);
    Client first(served.port());
    Client second(served.port());
    first.send(rpc_post(served, "one"));
    second.send(rpc_post(served, "two"));
    std::this_thread::sleep_for(100ms);
    Client third(served.port());
    EXPECT_TRUE(third.closed_by_server());
    const auto one = first.read_reply();
    const auto two = second.read_reply();
    ASSERT_TRUE(one && two);
    EXPECT_EQ(one->body, "one");
    EXPECT_EQ(two->body, "two");
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
    Served served(base_config());
    Client client(served.port());
    client.send(request("GET", "/", {}) + rpc_post(served, "one") + rpc_post(served, "two") +
                request("GET", "/nowhere", {"Connection: close"}) + request("GET", "/", {}));
    const auto first = client.read_reply();
    const auto second = client.read_reply();
    const auto third = client.read_reply();
    const auto fourth = client.read_reply();
    ASSERT_TRUE(first && second && third && fourth);
    EXPECT_EQ(first->body, kIndexPage);
    EXPECT_NE(second->body.find("one"), std::string::npos);
    EXPECT_NE(third->body.find("two"), std::string::npos);
    EXPECT_EQ(fourth->status, 301);
    EXPECT_EQ(fourth->header("connection"), "close");
    EXPECT_TRUE(client.closed_by_server());  // the fifth is never answered
}

TEST(HttpServer, ChunkedBodiesAndExpectContinue) {
    Served served(base_config());
    Client client(served.port());
    const std::string head =
        "POST /transmission/rpc/ HTTP/1.1\r\nHost: localhost\r\nX-Transmission-Session-Id: " +
        served.session_id() + "\r\n";
    const Reply chunked =
        client.exchange(head + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n");
    EXPECT_EQ(chunked.status, 200);
    EXPECT_NE(chunked.body.find("\"abcde\""), std::string::npos);

    client.send(head + "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    const auto interim = client.read_reply();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    const Reply final_reply = client.exchange("body");
    EXPECT_EQ(final_reply.status, 200);
    EXPECT_NE(final_reply.body.find("\"body\""), std::string::npos);
}

TEST(HttpServer, Http10ClosesAfterTheReply) {
    Served served(base_config());
    Client client(served.port());
    const Reply reply = client.exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.header("connection"), "close");
    EXPECT_TRUE(client.closed_by_server());
}

TEST(HttpServer, ListenReportsAPortInUse) {
    Served first(base_config());
    HttpServerConfig config = base_config();
    config.listen = "127.0.0.1:" + std::to_string(first.port());
    asio::io_context io;
    HttpServer second(io, config);
    const auto result = second.listen();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().find('\n'), std::string::npos);
    EXPECT_TRUE(result.error().starts_with("cannot listen on 127.0.0.1:")) << result.error();

    config.listen = "localhost:9091";
    HttpServer third(io, config);
    EXPECT_FALSE(third.listen());
}

TEST(HttpServer, StopClosesConnections) {
    asio::io_context io;
    HttpServer server(io, base_config());
    ASSERT_TRUE(server.listen());
    std::thread thread([&] { io.run(); });
    Client client(server.port());
    client.send("GET / HTTP/1.1\r\n");  // a request in progress
    std::this_thread::sleep_for(50ms);
    asio::post(io, [&] { server.stop(); });
    EXPECT_TRUE(client.closed_by_server());
    thread.join();  // nothing left to run once stopped
}

}  // namespace
}  // namespace bt::daemon
