#pragma once
// A tracker's host name to its addresses, within a deadline and abandoned when a cancel flag is set.
//
// asio runs getaddrinfo on a background thread that cannot be interrupted, and its resolver takes no
// per-operation cancellation (asio 1.22), so `co_await (resolver.async_resolve(..) || timer)` still waits
// for the lookup however long the name server takes. Here the lookup reports into shared state and the
// coroutine waits on a timer: at the deadline or on cancel it returns at once, and the lookup ends in the
// background (or never starts, when it was still queued behind another).
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
#include <string>
#include <system_error>
#include <vector>

#include "core/result.hpp"

namespace bt::net {

// How often a wait that can be cancelled looks at its cancel flag (HttpOptions::cancel and the like).
inline constexpr auto kCancelPoll = std::chrono::milliseconds(250);

struct ResolveFailure {
    enum class Kind { error, timed_out, cancelled };
    Kind kind = Kind::error;
    std::error_code error;  // for Kind::error; an empty answer is host_not_found
};

// The addresses of `host` (an address literal is returned as is, without a lookup), each once, in the
// resolver's order. `cancel` may be null; it is looked at every 250 ms. The calling coroutine's executor
// must not run handlers concurrently (one thread, or a strand): the lookup's handler shares state with it.
template <class Protocol>
asio::awaitable<Result<std::vector<typename Protocol::endpoint>, ResolveFailure>> resolve(
    std::string host, std::uint16_t port, std::chrono::steady_clock::time_point deadline,
    const std::atomic<bool>* cancel) {
    using Endpoint = typename Protocol::endpoint;
    using Resolver = typename Protocol::resolver;
    std::error_code ec;
    const auto literal = asio::ip::make_address(host, ec);
    if (!ec) co_return std::vector<Endpoint>{Endpoint(literal, port)};

    auto executor = co_await asio::this_coro::executor;
    struct Lookup {
        explicit Lookup(const asio::any_io_executor& executor) : wake(executor) {}
        asio::steady_timer wake;
        bool done = false;
        std::error_code error;
        std::vector<Endpoint> endpoints;
    };
    // Shared with the completion handler, which may run after this coroutine has returned.
    auto lookup = std::make_shared<Lookup>(executor);
    Resolver resolver(executor);
    const std::string service = std::to_string(port);
    resolver.async_resolve(host, service, [lookup](const std::error_code& error, auto results) {
        lookup->done = true;
        lookup->error = error;
        for (const auto& entry : results) {
            if (std::find(lookup->endpoints.begin(), lookup->endpoints.end(), entry.endpoint()) ==
                lookup->endpoints.end())
                lookup->endpoints.push_back(entry.endpoint());
        }
        lookup->wake.cancel();
    });
    while (!lookup->done) {
        const auto now = std::chrono::steady_clock::now();
        if (cancel != nullptr && cancel->load())
            co_return fail(ResolveFailure{ResolveFailure::Kind::cancelled, {}});
        if (now >= deadline) co_return fail(ResolveFailure{ResolveFailure::Kind::timed_out, {}});
        lookup->wake.expires_at(cancel != nullptr ? std::min(deadline, now + kCancelPoll) : deadline);
        co_await lookup->wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
    if (lookup->error) co_return fail(ResolveFailure{ResolveFailure::Kind::error, lookup->error});
    if (lookup->endpoints.empty())
        co_return fail(
            ResolveFailure{ResolveFailure::Kind::error, make_error_code(asio::error::host_not_found)});
    co_return std::move(lookup->endpoints);
}

}  // namespace bt::net
