#include "net/http_client.hpp"

#include <algorithm>
#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cstdlib>
#include <memory>
#include <vector>

#include "http/response_parser.hpp"
#include "http/url.hpp"
#include "net/curl_library.hpp"
#include "net/offload.hpp"
#include "net/resolve.hpp"

namespace bt::net {

namespace {

struct Sink {
    std::string body;
    std::size_t limit;
    bool overflowed = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const std::size_t n = size * count;
    if (sink->body.size() + n > sink->limit) {
        sink->overflowed = true;
        return 0;  // makes curl abort the transfer
    }
    sink->body.append(data, n);
    return n;
}

// libcurl calls this at least once a second during a transfer; non-zero aborts it.
int on_progress(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Reply = Result<HttpResponse, std::string>;

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
// How long a connection attempt may take before the next address of the host is tried: room for one
// lost SYN (retransmitted after 1 s).
constexpr auto kConnectAttempt = std::chrono::seconds(3);

// The proxy variables libcurl reads for an http:// URL (it ignores HTTP_PROXY in upper case, which a CGI
// environment lets a client set).
bool proxy_configured() {
    for (const char* name : {"http_proxy", "all_proxy", "ALL_PROXY"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') return true;
    }
    return false;
}

std::string host_and_port(const http::HttpUrl& url) {
    const bool v6 = url.host.find(':') != std::string::npos;
    return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

struct Exchange {
    int status = 0;
    std::string location;
    std::string body;
};

// One request and its response on a fresh connection. Runs until done; http_get bounds it in time.
asio::awaitable<Result<Exchange, std::string>> exchange(const http::HttpUrl& url, const HttpOptions& options,
                                                        Clock::time_point deadline) {
    auto executor = co_await asio::this_coro::executor;
    // The deadline and cancel flag are the watchdog's business in http_get; resolve() watches them too,
    // because a lookup cannot be interrupted by it.
    auto resolved = co_await resolve<tcp>(url.host, url.port, deadline, options.cancel);
    if (!resolved) {
        const auto& why = resolved.error();
        if (why.kind == ResolveFailure::Kind::error)
            co_return fail("cannot resolve " + url.host + ": " + why.error.message());
        co_return fail(std::string(why.kind == ResolveFailure::Kind::cancelled
                                       ? "cancelled (shutting down)"
                                       : "timed out resolving the host name"));
    }
    const std::vector<tcp::endpoint>& targets = *resolved;

    // Every address but the last gets an equal share of the time left, at most kConnectAttempt, so one
    // that never answers (a black-holed IPv6 route) does not use up the time of the others.
    tcp::socket socket(executor);
    asio::steady_timer timer(executor);
    std::string connect_error;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        socket = tcp::socket(executor);
        const auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
        const bool last = i + 1 == targets.size();
        timer.expires_after(
            last ? left
                 : std::min<Clock::duration>(left / static_cast<long>(targets.size() - i), kConnectAttempt));
        auto event =
            co_await (socket.async_connect(targets[i], use_nothrow) || timer.async_wait(use_nothrow));
        std::error_code connect_ec =
            event.index() == 1 ? make_error_code(asio::error::timed_out) : std::get<0>(std::get<0>(event));
        if (!connect_ec) {
            connect_error.clear();
            break;
        }
        connect_error = network_error(connect_ec);
    }
    if (!connect_error.empty())
        co_return fail("cannot connect to " + host_and_port(url) + ": " + connect_error);

    const std::string request = http::format_get_request(url, options.user_agent);
    auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(request), use_nothrow);
    if (write_ec) co_return fail("sending the request: " + network_error(write_ec));

    http::ResponseParser parser(http::ResponseLimits{.max_body = options.max_body});
    std::array<char, 16 * 1024> buffer;
    while (parser.state() == http::ResponseParser::State::need_more) {
        auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_nothrow);
        parser.feed(std::string_view(buffer.data(), n));
        if (read_ec == asio::error::eof) {
            parser.finish();
        } else if (read_ec && parser.state() == http::ResponseParser::State::need_more) {
            co_return fail("receiving the response: " + network_error(read_ec));
        }
    }
    if (parser.state() == http::ResponseParser::State::failed) co_return fail(parser.error());
    co_return Exchange{parser.status(), parser.location(), parser.take_body()};
}

// Completes when the deadline passes or `cancel` becomes true, with the reason.
asio::awaitable<std::string> watchdog(Clock::time_point deadline, std::chrono::seconds timeout,
                                      const std::atomic<bool>* cancel) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        if (cancel != nullptr && cancel->load()) co_return "cancelled (shutting down)";
        const auto now = Clock::now();
        if (now >= deadline) co_return "timed out after " + std::to_string(timeout.count()) + " s";
        timer.expires_at(cancel != nullptr ? std::min(deadline, now + kCancelPoll) : deadline);
        auto [ec] = co_await timer.async_wait(use_nothrow);
        if (ec == asio::error::operation_aborted) co_return std::string();  // the exchange finished first
    }
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

asio::awaitable<Reply> curl_get(asio::any_io_executor pool, std::string url, HttpOptions options) {
    struct Request {
        std::string url;
        HttpOptions options;
    };
    // The request reaches the worker through a plain pointer, owned by the worker function: g++ 12 relocates
    // closures passed into coroutines bitwise, which breaks std::string members (ASan: free of a pointer
    // into the coroutine frame). A raw pointer survives that.
    auto* request = new Request{std::move(url), std::move(options)};
    co_return co_await run_on(pool, [request] {
        const std::unique_ptr<Request> owned(request);
        return curl_get_blocking(owned->url, owned->options);
    });
}

}  // namespace

std::string network_error(const std::error_code& ec) {
    if (ec == asio::error::connection_refused) return "connection refused (nothing listens on that port)";
    return ec.message();
}

Result<HttpResponse, std::string> curl_get_blocking(const std::string& url, const HttpOptions& options) {
    auto loaded = CurlLibrary::load();
    if (!loaded) return fail(loaded.error());
    const CurlLibrary& lib = **loaded;
    // Declared before the handle: curl may still use its buffers while curl_easy_cleanup runs.
    Sink sink{{}, options.max_body};
    char error_text[CURL_ERROR_SIZE] = {};
    std::unique_ptr<CURL, void (*)(CURL*)> curl(lib.easy_init(), lib.easy_cleanup);
    if (!curl) return fail(std::string("cannot initialise libcurl"));
    CURL* h = curl.get();
    lib.easy_setopt(h, CURLOPT_URL, url.c_str());
    lib.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    lib.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    lib.easy_setopt(h, CURLOPT_MAXREDIRS, options.max_redirects);
    lib.easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(options.timeout.count()));
    lib.easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                    static_cast<long>(std::min<long>(options.timeout.count(), 15)));
    lib.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    lib.easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
    lib.easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_data);
    lib.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    lib.easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
    if (options.cancel != nullptr) {
        lib.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        lib.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
        lib.easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(options.cancel));
    }
    const CURLcode rc = lib.easy_perform(h);
    if (rc == CURLE_ABORTED_BY_CALLBACK) return fail(std::string("cancelled (shutting down)"));
    if (sink.overflowed) {
        return fail("response larger than " + std::to_string(options.max_body) + " bytes");
    }
    if (rc != CURLE_OK) {
        return fail(std::string(error_text[0] != '\0' ? error_text : lib.easy_strerror(rc)));
    }
    HttpResponse response;
    lib.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    response.body = std::move(sink.body);
    return response;
}

asio::awaitable<Reply> http_get(asio::any_io_executor pool, std::string url, HttpOptions options) {
    const auto deadline = Clock::now() + options.timeout;
    const bool through_proxy = proxy_configured();
    for (long redirects = 0;; ++redirects) {
        const auto plain = through_proxy ? std::nullopt : http::parse_http_url(url);
        if (!plain && !through_proxy && http::has_scheme(url, "http") && !http::has_user_info(url))
            co_return fail(std::string("not a valid http:// URL"));
        if (!plain) {
            // libcurl counts whole seconds; what is left of ours, at least one.
            options.timeout = std::max(std::chrono::seconds(1),
                                       std::chrono::ceil<std::chrono::seconds>(deadline - Clock::now()));
            options.max_redirects -= redirects;
            co_return co_await curl_get(pool, std::move(url), std::move(options));
        }
        auto outcome = co_await (exchange(*plain, options, deadline) ||
                                 watchdog(deadline, options.timeout, options.cancel));
        if (outcome.index() == 1) co_return fail(std::move(std::get<1>(outcome)));
        auto response = std::move(std::get<0>(outcome));
        if (!response) co_return fail(std::move(response.error()));
        if (!is_redirect(response->status) || response->location.empty())
            co_return HttpResponse{response->status, std::move(response->body)};
        if (redirects >= options.max_redirects)
            co_return fail("more than " + std::to_string(options.max_redirects) + " redirects");
        auto next = http::resolve_reference(url, response->location);
        if (!next || !(http::has_scheme(*next, "http") || http::has_scheme(*next, "https")))
            co_return fail("redirected to an unsupported location");
        url = std::move(*next);
    }
}

}  // namespace bt::net
