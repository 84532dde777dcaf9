#pragma once
// A tracker's host name to its addresses, within a deadline and abandoned when a cancel flag is set.
//
// getaddrinfo cannot be interrupted, and a name server that does not answer holds it for glibc's own
// timeout (5 s x 2 attempts per server by default). asio's resolver runs it on one background thread that
// the io_context joins when it is destroyed, and takes no per-operation cancellation (asio 1.22): with it,
// a hanging lookup delayed the announce past its deadline, every lookup queued behind it, and the exit of
// the process. Here each lookup runs on a detached thread of its own (at most kMaxLookups at once) that
// fills a shared record and touches nothing else: no executor, no io_context, so it may outlive both. The
// coroutine looks at the record on a timer (after 1 ms, then twice as long each time, up to 50 ms), so at
// the deadline or on cancel it returns at once, and nothing ever waits for an abandoned lookup.
#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "core/result.hpp"

namespace bt::net {

// How often a wait that can be cancelled looks at its cancel flag (HttpOptions::cancel and the like).
inline constexpr auto kCancelPoll = std::chrono::milliseconds(250);
// Lookups running at once, process-wide; more wait for a free slot (within their own deadline).
inline constexpr int kMaxLookups = 8;

struct ResolveFailure {
    enum class Kind { error, timed_out, cancelled };
    Kind kind = Kind::error;
    std::error_code error;  // for Kind::error; an empty answer is host_not_found
};

namespace detail {

struct Lookup {
    std::mutex mutex;
    bool done = false;
    std::error_code error;
    std::vector<asio::ip::address> addresses;  // each once, in the resolver's order
};

// Starts looking up `host` on a detached thread. Null when kMaxLookups are running (try again later);
// an error when no thread could be started.
Result<std::shared_ptr<Lookup>, std::error_code> start_lookup(const std::string& host);

}  // namespace detail

// The addresses of `host` (an address literal is returned as is, without a lookup), each once, in the
// resolver's order, with `port`. `cancel` may be null.
template <class Protocol>
asio::awaitable<Result<std::vector<typename Protocol::endpoint>, ResolveFailure>> resolve(
    std::string host, std::uint16_t port, std::chrono::steady_clock::time_point deadline,
    const std::atomic<bool>* cancel) {
    using Endpoint = typename Protocol::endpoint;
    using Clock = std::chrono::steady_clock;
    std::error_code ec;
    const auto literal = asio::ip::make_address(host, ec);
    if (!ec) co_return std::vector<Endpoint>{Endpoint(literal, port)};

    asio::steady_timer wake(co_await asio::this_coro::executor);
    std::shared_ptr<detail::Lookup> lookup;
    Clock::duration poll = std::chrono::milliseconds(1);
    for (;;) {
        if (!lookup) {
            auto started = detail::start_lookup(host);
            if (!started) co_return fail(ResolveFailure{ResolveFailure::Kind::error, started.error()});
            lookup = std::move(*started);
        }
        if (lookup) {
            const std::lock_guard lock(lookup->mutex);
            if (lookup->done) break;
        }
        const auto now = Clock::now();
        if (cancel != nullptr && cancel->load())
            co_return fail(ResolveFailure{ResolveFailure::Kind::cancelled, {}});
        if (now >= deadline) co_return fail(ResolveFailure{ResolveFailure::Kind::timed_out, {}});
        wake.expires_at(std::min(deadline, now + poll));
        co_await wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        poll = std::min<Clock::duration>(poll * 2, std::chrono::milliseconds(50));
    }
    const std::lock_guard lock(lookup->mutex);
    if (lookup->error) co_return fail(ResolveFailure{ResolveFailure::Kind::error, lookup->error});
    if (lookup->addresses.empty())
        co_return fail(
            ResolveFailure{ResolveFailure::Kind::error, make_error_code(asio::error::host_not_found)});
    std::vector<Endpoint> endpoints;
    for (const auto& address : lookup->addresses) endpoints.emplace_back(address, port);
    co_return endpoints;
}

}  // namespace bt::net
