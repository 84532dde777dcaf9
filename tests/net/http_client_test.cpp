// The HTTP client against in-process servers on 127.0.0.1 (and ::1 where the host has it): which transport a
// URL takes, redirects, time limits, cancellation and broken servers. ctest runs each case in a process of
// its own, so "libcurl is not loaded" is a property of that one case.
#include "net/http_client.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/curl_library.hpp"

namespace bt::net {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using Reply = Result<HttpResponse, std::string>;

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// Serves one connection per entry of `responses`, in order: reads the request head, records it, sends the
// entry and closes. An entry "" keeps the connection open without answering until the server is closed.
struct Server {
    explicit Server(asio::io_context& io, const char* address = "127.0.0.1")
        : acceptor(io, tcp::endpoint(asio::ip::make_address(address), 0)) {}
    std::string url(const std::string& path = "/announce") const {
        const auto endpoint = acceptor.local_endpoint();
        const auto address = endpoint.address();
        const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
        return "http://" + host + ":" + std::to_string(endpoint.port()) + path;
    }
    asio::awaitable<void> run() {
        for (const auto& response : responses) {
            auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
            if (ec) co_return;
            asio::streambuf head;
            auto [read_ec, n] = co_await asio::async_read_until(socket, head, "\r\n\r\n", use_nothrow);
            if (read_ec) co_return;
            requests.emplace_back(asio::buffers_begin(head.data()), asio::buffers_begin(head.data()) + n);
            if (response.empty()) {
                held.push_back(std::move(socket));
                continue;
            }
            co_await asio::async_write(socket, asio::buffer(response), use_nothrow);
        }
    }
    tcp::acceptor acceptor;
    std::vector<std::string> responses;
    std::vector<std::string> requests;
    std::vector<tcp::socket> held;
};

std::string response(const std::string& status, const std::string& body, const std::string& extra = "") {
    return "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
           "Connection: close\r\n\r\n" + body;
}

HttpOptions quick() {
    HttpOptions options;
    options.timeout = 5s;
    options.user_agent = "bitveil-test/1";
    return options;
}

asio::awaitable<void> call(std::optional<Reply>& out, asio::any_io_executor pool, std::string url,
                           HttpOptions options, Server* server) {
    out = co_await http_get(pool, std::move(url), std::move(options));
    if (server != nullptr) {
        server->acceptor.close();
        server->held.clear();
    }
}

Reply get(asio::io_context& io, Server* server, const std::string& url,
          const HttpOptions& options = quick()) {
    asio::thread_pool pool(1);
    std::optional<Reply> out;
    if (server != nullptr) asio::co_spawn(io, server->run(), asio::detached);
    asio::co_spawn(io, call(out, pool.get_executor(), url, options, server), asio::detached);
    io.run();
    pool.join();
    if (!out) return fail(std::string("the request never finished"));
    return std::move(*out);
}

TEST(HttpClient, APlainHttpUrlIsFetchedWithoutLoadingLibcurl) {
    asio::io_context io;
    Server server(io);
    server.responses = {response("200 OK", "d8:intervali60ee")};
    auto reply = get(io, &server, server.url("/announce?info_hash=%AB"));
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "d8:intervali60ee");
    EXPECT_FALSE(curl_library_loaded());
    ASSERT_EQ(server.requests.size(), 1u);
    const std::string& head = server.requests[0];
    EXPECT_TRUE(head.starts_with("GET /announce?info_hash=%AB HTTP/1.1\r\n")) << head;
    EXPECT_NE(head.find("\r\nHost: 127.0.0.1:"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\nUser-Agent: bitveil-test/1\r\n"), std::string::npos) << head;
}

TEST(HttpClient, ReadsChunkedAndCloseDelimitedBodies) {
    {
        asio::io_context io;
        Server server(io);
        server.responses = {
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n "
            "world\r\n0\r\n\r\n"};
        auto reply = get(io, &server, server.url());
        ASSERT_TRUE(reply) << reply.error();
        EXPECT_EQ(reply->body, "hello world");
    }
    {
        asio::io_context io;
        Server server(io);
        server.responses = {"HTTP/1.0 200 OK\r\n\r\nuntil the end"};
        auto reply = get(io, &server, server.url());
        ASSERT_TRUE(reply) << reply.error();
        EXPECT_EQ(reply->body, "until the end");
    }
}

TEST(HttpClient, FollowsRedirectsRelativeAndAbsolute) {
    asio::io_context io;
    Server server(io);
    const std::string absolute = server.url("/final?x=1");
    server.responses = {response("302 Found", "", "Location: moved/here?y=2\r\n"),
                        response("301 Moved Permanently", "", "Location: " + absolute + "\r\n"),
                        response("200 OK", "done")};
    auto reply = get(io, &server, server.url("/a/announce"));
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->body, "done");
    ASSERT_EQ(server.requests.size(), 3u);
    EXPECT_TRUE(server.requests[1].starts_with("GET /a/moved/here?y=2 HTTP/1.1\r\n")) << server.requests[1];
    EXPECT_TRUE(server.requests[2].starts_with("GET /final?x=1 HTTP/1.1\r\n")) << server.requests[2];
    EXPECT_FALSE(curl_library_loaded());
}

TEST(HttpClient, StopsAfterMaxRedirects) {
    asio::io_context io;
    Server server(io);
    auto options = quick();
    options.max_redirects = 2;
    server.responses.assign(3, response("307 Temporary Redirect", "", "Location: /again\r\n"));
    auto reply = get(io, &server, server.url(), options);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "more than 2 redirects");
    EXPECT_EQ(server.requests.size(), 3u);
}

TEST(HttpClient, ARedirectToAnotherSchemeIsRefused) {
    asio::io_context io;
    Server server(io);
    server.responses = {response("302 Found", "", "Location: ftp://127.0.0.1/x\r\n")};
    auto reply = get(io, &server, server.url());
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "redirected to an unsupported location");
}

TEST(HttpClient, ARedirectWithoutLocationIsTheResponse) {
    asio::io_context io;
    Server server(io);
    server.responses = {response("302 Found", "no location")};
    auto reply = get(io, &server, server.url());
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->status, 302);
}

TEST(HttpClient, ASilentServerTimesOut) {
    asio::io_context io;
    Server server(io);
    server.responses = {""};
    auto options = quick();
    options.timeout = 1s;
    auto reply = get(io, &server, server.url(), options);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "timed out after 1 s");
}

TEST(HttpClient, CancellingAbandonsTheRequest) {
    asio::io_context io;
    Server server(io);
    server.responses = {""};
    std::atomic<bool> cancel = false;
    auto options = quick();
    options.timeout = 60s;
    options.cancel = &cancel;
    std::thread canceller([&] {
        std::this_thread::sleep_for(300ms);
        cancel = true;
    });
    auto reply = get(io, &server, server.url(), options);
    canceller.join();
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "cancelled (shutting down)");
}

TEST(HttpClient, BrokenServersAreOneLineErrors) {
    struct Case {
        std::string response;
        std::string error;
    };
    const Case cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
         "connection closed before the whole body arrived"},
        {"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nxx",
         "unsupported content coding \"gzip\" (none was asked for)"},
        {"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x response (\"SSH-2.0-OpenSSH\")"},
    };
    for (const auto& c : cases) {
        asio::io_context io;
        Server server(io);
        server.responses = {c.response};
        auto reply = get(io, &server, server.url());
        ASSERT_FALSE(reply) << c.response;
        EXPECT_EQ(reply.error(), c.error);
    }
}

TEST(HttpClient, ABodyOverTheLimitIsRefused) {
    asio::io_context io;
    Server server(io);
    server.responses = {"HTTP/1.1 200 OK\r\n\r\n" + std::string(100'000, 'x')};
    auto options = quick();
    options.max_body = 4096;
    auto reply = get(io, &server, server.url(), options);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "response larger than 4096 bytes");
}

TEST(HttpClient, NothingListeningIsConnectionRefused) {
    asio::io_context io;
    std::uint16_t port = 0;
    {
        tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = probe.local_endpoint().port();
    }
    auto reply = get(io, nullptr, "http://127.0.0.1:" + std::to_string(port) + "/announce");
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "cannot connect to 127.0.0.1:" + std::to_string(port) +
                                 ": connection refused (nothing listens on that port)");
}

TEST(HttpClient, SpeaksIpv6) {
    asio::io_context io;
    std::optional<Server> server;
    try {
        server.emplace(io, "::1");
    } catch (const std::system_error&) {
        GTEST_SKIP() << "no IPv6 loopback here";
    }
    server->responses = {response("200 OK", "six")};
    auto reply = get(io, &*server, server->url());
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->body, "six");
    EXPECT_NE(server->requests[0].find("\r\nHost: [::1]:"), std::string::npos) << server->requests[0];
}

TEST(HttpClient, ResolvesAHostName) {
    // Where "localhost" also resolves to ::1, that address is refused (the server listens on 127.0.0.1)
    // and the next one is tried.
    asio::io_context io;
    Server server(io);
    server.responses = {response("200 OK", "by name")};
    const auto port = std::to_string(server.acceptor.local_endpoint().port());
    auto reply = get(io, &server, "http://localhost:" + port + "/announce");
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->body, "by name");
    EXPECT_NE(server.requests[0].find("\r\nHost: localhost:" + port + "\r\n"), std::string::npos)
        << server.requests[0];
}

TEST(HttpClient, AMalformedHttpUrlIsRefusedWithoutLibcurl) {
    asio::io_context io;
    auto reply = get(io, nullptr, "http://127.0.0.1:99999/announce");
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "not a valid http:// URL");
    EXPECT_FALSE(curl_library_loaded());
}

TEST(HttpClient, UserInformationGoesThroughLibcurl) {
    asio::io_context io;
    Server server(io);
    server.responses = {response("200 OK", "authorised")};
    const auto port = std::to_string(server.acceptor.local_endpoint().port());
    auto reply = get(io, &server, "http://user:secret@127.0.0.1:" + port + "/announce");
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->body, "authorised");
    EXPECT_TRUE(curl_library_loaded());
    ASSERT_EQ(server.requests.size(), 1u);
    EXPECT_NE(server.requests[0].find("\r\nAuthorization: Basic dXNlcjpzZWNyZXQ=\r\n"), std::string::npos)
        << server.requests[0];
}

TEST(HttpClient, HttpsGoesThroughLibcurl) {
    asio::io_context io;
    auto reply = get(io, nullptr, "https://127.0.0.1:1/announce");
    ASSERT_FALSE(reply);
    EXPECT_TRUE(curl_library_loaded());
}

TEST(HttpClient, ARedirectToHttpsHandsOverToLibcurl) {
    asio::io_context io;
    Server server(io);
    server.responses = {response("301 Moved Permanently", "", "Location: https://127.0.0.1:1/announce\r\n")};
    auto reply = get(io, &server, server.url());
    ASSERT_FALSE(reply);  // nothing listens on port 1
    EXPECT_EQ(server.requests.size(), 1u);
    EXPECT_TRUE(curl_library_loaded());
}

TEST(HttpClient, AProxyInTheEnvironmentGoesThroughLibcurl) {
    asio::io_context io;
    Server server(io);
    server.responses = {response("200 OK", "via the proxy")};
    // The server plays the proxy: a proxied request names the whole URL in its request line.
    ASSERT_EQ(setenv("http_proxy", server.url("").c_str(), 1), 0);
    auto reply = get(io, &server, "http://tracker.invalid/announce");
    unsetenv("http_proxy");
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->body, "via the proxy");
    EXPECT_TRUE(curl_library_loaded());
    ASSERT_EQ(server.requests.size(), 1u);
    EXPECT_TRUE(server.requests[0].starts_with("GET http://tracker.invalid/announce HTTP/1.1\r\n"))
        << server.requests[0];
}

}  // namespace
}  // namespace bt::net
