#include "cli/rpc_client.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "cli/run_blocking.hpp"
#include "core/base64.hpp"
#include "http/response_parser.hpp"
#include "http/url.hpp"

namespace bt::cli {

namespace {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

struct Reply {
    int status = 0;
    std::string session_id;
    std::string body;
};

std::string request_head(const http::HttpUrl& url, const RpcTarget& target, const std::string& session_id,
                         std::size_t body_size) {
    std::string head =
        "POST " + url.target +
        " HTTP/1.1\r\nHost: " + (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) +
        ":" + std::to_string(url.port) + "\r\nContent-Type: application/json\r\nConnection: close\r\n";
    if (target.auth) head += "Authorization: Basic " + encode_base64(*target.auth) + "\r\n";
    if (!session_id.empty()) head += "X-Transmission-Session-Id: " + session_id + "\r\n";
    head += "Content-Length: " + std::to_string(body_size) + "\r\n\r\n";
    return head;
}

asio::awaitable<Result<Reply, std::string>> exchange(http::HttpUrl url, RpcTarget target,
                                                     std::string session_id, std::string body) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    std::error_code ec;
    const auto addresses = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                           asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(url.host + ": " + ec.message());
    tcp::socket socket(executor);
    co_await asio::async_connect(socket, addresses, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail("cannot connect to " + target.url + ": " + ec.message());
    const std::string request = request_head(url, target, session_id, body.size()) + body;
    co_await asio::async_write(socket, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail("sending to " + target.url + ": " + ec.message());
    http::ResponseParser parser;
    std::array<char, 16 * 1024> buffer{};
    while (parser.state() == http::ResponseParser::State::need_more) {
        const auto n = co_await socket.async_read_some(asio::buffer(buffer),
                                                       asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            parser.finish();
            break;
        }
        parser.feed(std::string_view(buffer.data(), n));
    }
    if (parser.state() != http::ResponseParser::State::complete)
        co_return fail(target.url + ": " + parser.error());
    co_return Reply{parser.status(), parser.header("x-transmission-session-id"), parser.take_body()};
}

asio::awaitable<Result<Reply, std::string>> exchange_in_time(http::HttpUrl url, RpcTarget target,
                                                             std::string session_id, std::string body) {
    asio::steady_timer timer(co_await asio::this_coro::executor, target.timeout);
    auto done = co_await (exchange(url, target, std::move(session_id), std::move(body)) ||
                          timer.async_wait(asio::use_awaitable));
    if (done.index() == 1)
        co_return fail(target.url + ": no answer within " + std::to_string(target.timeout.count()) + " s");
    co_return std::get<0>(std::move(done));
}

}  // namespace

Result<std::string, std::string> call_rpc(const RpcTarget& target, const std::string& body) {
    const auto url = http::parse_http_url(target.url);
    if (!url) return fail(target.url + ": not an http:// URL");
    std::string session_id;
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto reply = run_blocking(exchange_in_time(*url, target, session_id, body));
        if (!reply) return fail(reply.error());
        if (reply->status == 409 && attempt == 0 && !reply->session_id.empty()) {
            session_id = reply->session_id;
            continue;
        }
        if (reply->status == 401) return fail(target.url + ": wrong or missing user and password (HTTP 401)");
        if (reply->status != 200)
            return fail(target.url + ": answered HTTP " + std::to_string(reply->status));
        return std::move(reply->body);
    }
    return fail(target.url + ": the session id was refused twice");
}

}  // namespace bt::cli
