#include "net/tracker_client.hpp"

#include <algorithm>
#include <array>
#include <asio/ip/udp.hpp>
#include <asio/this_coro.hpp>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "core/log.hpp"
#include "crypto/random.hpp"
#include "net/asio_endpoint.hpp"
#include "net/http_client.hpp"
#include "net/resolve.hpp"
#include "net/udp_mux.hpp"
#include "tracker/display_text.hpp"
#include "tracker/http_response.hpp"
#include "tracker/udp_transaction.hpp"
#include "tracker/url.hpp"

namespace bt::net {

namespace {

using Clock = std::chrono::steady_clock;
using Reply = Result<tracker::AnnounceResponse, std::string>;
using asio::ip::udp;

// URLs come from the .torrent: printable and bounded in error lines too.
constexpr std::size_t kMaxUrlInMessage = 512;

// The process-wide connection-id cache and its lock (sessions may run on different threads).
struct SharedCache {
    std::mutex mutex;
    tracker::UdpConnectionCache cache;
};
SharedCache& shared_cache() {
    static SharedCache shared;
    return shared;
}

std::optional<tracker::UdpConnection> cache_find(const TrackerOptions& options, const Endpoint& tracker,
                                                 Clock::time_point now) {
    if (options.udp_connections) return options.udp_connections->find(tracker, now);
    auto& shared = shared_cache();
    const std::lock_guard lock(shared.mutex);
    return shared.cache.find(tracker, now);
}

void cache_store(const TrackerOptions& options, const Endpoint& tracker,
                 const tracker::UdpConnection& connection, Clock::time_point now) {
    if (options.udp_connections) return options.udp_connections->store(tracker, connection, now);
    auto& shared = shared_cache();
    const std::lock_guard lock(shared.mutex);
    shared.cache.store(tracker, connection, now);
}

void cache_forget(const TrackerOptions& options, const Endpoint& tracker) {
    if (options.udp_connections) return options.udp_connections->forget(tracker);
    auto& shared = shared_cache();
    const std::lock_guard lock(shared.mutex);
    shared.cache.forget(tracker);
}

std::uint64_t fresh_seed() {
    std::array<std::uint8_t, 8> bytes{};
    crypto::SystemRandom().fill(bytes);
    std::uint64_t seed = 0;
    for (auto b : bytes) seed = (seed << 8) | b;
    return seed;
}

// "udp://host:port", brackets around an IPv6 literal; no path or query (they may hold a passkey).
std::string udp_tracker_name(const tracker::UdpTrackerUrl& url) {
    const bool v6 = url.host.find(':') != std::string::npos;
    return "udp://" + (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

// Strips the tracker's text of anything that should not reach a log line.
void clean_texts(tracker::AnnounceResponse& response) {
    if (response.warning_message) response.warning_message = tracker::display_text(*response.warning_message);
    if (response.tracker_id) response.tracker_id = tracker::display_text(*response.tracker_id);
}

using Transaction = tracker::UdpTrackerTransaction;
using TransactionRequest = std::variant<Transaction::Announce, Transaction::Scrape>;

const std::optional<std::string>& failure_of(const Transaction::Reply& reply) {
    return std::visit([](const auto& r) -> const std::optional<std::string>& { return r.failure_reason; },
                      reply);
}

struct Attempt {
    Result<Transaction::Reply, std::string> reply;  // the error without the tracker's name
    bool try_next_address = false;  // this address failed at the network level; another may work
};

// One BEP 15 exchange with one tracker address through `mux`, bounded by `deadline`.
asio::awaitable<Attempt> udp_exchange(UdpMux& mux, const udp::endpoint& target, const std::string& where,
                                      const TransactionRequest& request, const TrackerOptions& options,
                                      Clock::time_point deadline) {
    const Endpoint key = from_asio(target);
    UdpMux::Receiver receiver = mux.receiver();

    tracker::UdpTransactionSettings settings;
    settings.base_timeout = options.udp_base_timeout;
    settings.family = key.family;
    settings.limits = options.limits;
    auto now = Clock::now();
    const auto cached = cache_find(options, key, now);
    Transaction transaction(request, settings, fresh_seed(), now, cached);
    const std::string timed_out = "timed out after " + describe_duration(options.timeout);
    for (;;) {
        auto output = transaction.take_output();
        if (!output.empty()) {
            // Claimed before sending, so that the reply cannot arrive unclaimed.
            const auto claimed = receiver.claim(key, transaction.transaction_id());
            if (claimed == UdpMux::ClaimResult::table_full)
                co_return Attempt{fail(std::string("too many UDP tracker requests in flight")), false};
            if (claimed == UdpMux::ClaimResult::already_claimed)
                co_return Attempt{fail(std::string("transaction id already in use, will retry")), false};
        }
        for (const auto& datagram : output) {
            if (const auto send_ec = co_await receiver.send_to(key, datagram)) {
                cache_forget(options, key);
                co_return Attempt{fail(network_error(send_ec)), true};
            }
        }
        if (transaction.done()) break;
        now = Clock::now();
        if (now >= deadline) {
            cache_forget(options, key);
            co_return Attempt{fail(timed_out), false};
        }
        auto event = co_await receiver.receive(std::min(*transaction.next_deadline(), deadline));
        now = Clock::now();
        if (!event) {
            if (now >= deadline) continue;  // the top of the loop reports the timeout; no last resend
            const unsigned before = transaction.retransmits();
            transaction.on_timer(now);
            if (transaction.retransmits() != before)
                BT_LOG(debug, "tracker", "{}: no answer, retransmission {}", where,
                       transaction.retransmits());
            continue;
        }
        if (!*event) {  // an ICMP error about the tracker's address, or the mux closed
            cache_forget(options, key);
            co_return Attempt{fail(network_error(event->error())), true};
        }
        transaction.feed(**event, now);
    }

    const auto& result = *transaction.result();
    if (!result) {
        cache_forget(options, key);
        if (result.error().code == tracker::Errc::timed_out) co_return Attempt{fail(timed_out), false};
        if (result.error().code == tracker::Errc::invalid_request)
            co_return Attempt{fail(tracker::display_text(result.error().message())), false};
        co_return Attempt{fail("malformed reply: " + tracker::display_text(result.error().message())), false};
    }
    if (const auto& failure = failure_of(*result)) {
        // The id may be why it refused (a restarted tracker): get a fresh one next time.
        cache_forget(options, key);
        co_return Attempt{fail("tracker error: " + tracker::display_text(*failure)), false};
    }
    if (const auto connection = transaction.connection()) cache_store(options, key, *connection, now);
    co_return Attempt{*result, false};
}

// Resolves a udp:// tracker and runs `request` with each of its addresses in turn until one answers or
// options.timeout is spent. Announce requests get the URL's BEP 41 data here.
asio::awaitable<Result<Transaction::Reply, TrackerFailure>> udp_request(const std::string& url,
                                                                        TransactionRequest request,
                                                                        const TrackerOptions& options) {
    const auto parsed = tracker::parse_udp_tracker_url(url);
    if (!parsed)
        co_return fail(TrackerFailure{tracker::display_text(url, kMaxUrlInMessage),
                                      "not a valid UDP tracker URL (udp://host:port[/path])", true});
    if (std::holds_alternative<Transaction::Announce>(request))
        std::get<Transaction::Announce>(request).url_data = parsed->url_data;
    const std::string where = udp_tracker_name(*parsed);
    const auto deadline = Clock::now() + options.timeout;
    auto resolved = co_await resolve<udp>(parsed->host, parsed->port, deadline, nullptr);
    if (!resolved) {
        if (resolved.error().kind == ResolveFailure::Kind::timed_out)
            co_return fail(TrackerFailure{
                where, "timed out after " + describe_duration(options.timeout) + " resolving the host name"});
        co_return fail(
            TrackerFailure{where, "cannot resolve host name: " + resolved.error().error.message()});
    }
    const std::vector<udp::endpoint>& targets = *resolved;
    // Without the session's mux, a private one for this request (ephemeral ports).
    std::shared_ptr<UdpMux> mux = options.udp_mux;
    if (!mux) {
        auto opened = UdpMux::open(co_await asio::this_coro::executor, asio::ip::address_v4::any(), 0);
        if (!opened) co_return fail(TrackerFailure{where, opened.error()});
        mux = std::make_shared<UdpMux>(std::move(*opened));
    }

    std::string last = "no address to try";
    for (const auto& target : targets) {
        if (Clock::now() >= deadline) break;
        auto attempt = co_await udp_exchange(*mux, target, where, request, options, deadline);
        if (attempt.reply) co_return std::move(*attempt.reply);
        if (!attempt.try_next_address)
            co_return fail(TrackerFailure{where, std::move(attempt.reply).error()});
        if (targets.size() > 1)
            BT_LOG(debug, "tracker", "{} ({}): {}", where, from_asio(target).to_string(),
                   attempt.reply.error());
        last = std::move(attempt.reply).error();
    }
    co_return fail(TrackerFailure{where, std::move(last)});
}

// GETs `url` (a built announce or scrape URL) and returns the body of a 200 answer; the error without the
// tracker's name.
asio::awaitable<Result<std::string, std::string>> http_body(asio::any_io_executor http_pool, std::string url,
                                                            const TrackerOptions& options) {
    HttpOptions http;
    // libcurl counts whole seconds; never round a short timeout down to "no timeout" (0).
    http.timeout =
        std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(options.timeout));
    http.user_agent = options.user_agent;
    http.max_body = options.max_http_body;
    http.cancel = options.cancel;
    auto response = co_await http_get(std::move(http_pool), std::move(url), http);
    if (!response) co_return fail(tracker::display_text(response.error()));
    if (response->status != 200) co_return fail("HTTP status " + std::to_string(response->status));
    co_return std::move(response->body);
}

bool is_http(std::string_view url) {
    return url.starts_with("http://") || url.starts_with("https://");
}

}  // namespace

std::string describe_duration(std::chrono::milliseconds duration) {
    const auto ms = duration.count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    if (ms < 1000) return std::to_string(ms) + " ms";
    std::string text = std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 + 1000).substr(1);
    while (text.back() == '0') text.pop_back();
    return text + " s";
}

std::string TrackerFailure::line() const {
    return tracker + ": " + reason;
}

asio::awaitable<Reply> announce_udp(std::string url, tracker::AnnounceRequest request,
                                    TrackerOptions options) {
    // Named, not a temporary in the co_await expression: GCC 12 mishandles a braced temporary there.
    TransactionRequest announce_request = Transaction::Announce{std::move(request), {}};
    auto reply = co_await udp_request(url, std::move(announce_request), options);
    if (!reply) co_return fail(reply.error().line());
    auto response = std::get<tracker::AnnounceResponse>(std::move(*reply));
    clean_texts(response);
    co_return response;
}

asio::awaitable<Reply> announce_http(asio::any_io_executor http_pool, std::string url,
                                     tracker::AnnounceRequest request, TrackerOptions options) {
    const std::string where = tracker::display_text(url, kMaxUrlInMessage);
    auto body = co_await http_body(std::move(http_pool), tracker::build_announce_url(url, request), options);
    if (!body) co_return fail(where + ": " + body.error());
    auto parsed = tracker::parse_announce_response(*body, options.limits);
    if (!parsed)
        co_return fail(where + ": malformed reply: " + tracker::display_text(parsed.error().message()));
    if (parsed->failure_reason)
        co_return fail(where + ": tracker error: " + tracker::display_text(*parsed->failure_reason));
    clean_texts(*parsed);
    co_return std::move(*parsed);
}

asio::awaitable<Reply> announce(asio::any_io_executor http_pool, std::string url,
                                tracker::AnnounceRequest request, TrackerOptions options) {
    if (is_http(url))
        co_return co_await announce_http(std::move(http_pool), std::move(url), std::move(request),
                                         std::move(options));
    if (url.starts_with("udp://"))
        co_return co_await announce_udp(std::move(url), std::move(request), std::move(options));
    co_return fail(tracker::display_text(url, kMaxUrlInMessage) +
                   ": unsupported tracker protocol (http, https and udp are supported)");
}

asio::awaitable<ScrapeReply> scrape(asio::any_io_executor http_pool, std::string url,
                                    std::vector<tracker::InfoHashBytes> info_hashes, TrackerOptions options) {
    const std::string where = tracker::display_text(url, kMaxUrlInMessage);
    if (info_hashes.empty() || info_hashes.size() > tracker::kUdpMaxScrapeHashes)
        co_return fail(TrackerFailure{where, "a scrape asks about 1 to " +
                                                 std::to_string(tracker::kUdpMaxScrapeHashes) +
                                                 " torrents, not " + std::to_string(info_hashes.size())});
    if (url.starts_with("udp://")) {
        TransactionRequest scrape_request = Transaction::Scrape{std::move(info_hashes)};
        auto reply = co_await udp_request(url, std::move(scrape_request), options);
        if (!reply) co_return fail(std::move(reply).error());
        co_return std::get<tracker::ScrapeResponse>(std::move(*reply));
    }
    if (!is_http(url))
        co_return fail(TrackerFailure{
            where, "cannot be scraped: unsupported tracker protocol (http, https and udp are supported)",
            true});
    const auto scrape_url = tracker::scrape_url_from_announce(url);
    if (!scrape_url)
        co_return fail(TrackerFailure{
            where, "cannot be scraped: the last part of its path is not \"announce\" (BEP 48)", true});
    auto body = co_await http_body(std::move(http_pool), tracker::build_scrape_url(*scrape_url, info_hashes),
                                   options);
    if (!body) co_return fail(TrackerFailure{where, std::move(body).error()});
    auto parsed = tracker::parse_scrape_response(*body, options.limits, info_hashes);
    if (!parsed)
        co_return fail(
            TrackerFailure{where, "malformed reply: " + tracker::display_text(parsed.error().message())});
    if (parsed->failure_reason)
        co_return fail(
            TrackerFailure{where, "tracker error: " + tracker::display_text(*parsed->failure_reason)});
    co_return std::move(*parsed);
}

}  // namespace bt::net
