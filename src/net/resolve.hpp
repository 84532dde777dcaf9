#pragma once
// A tracker's host name to its addresses, within a deadline and abandoned when a cancel flag is set.
//
// getaddrinfo cannot be interrupted, and a name server that does not answer holds it for glibc's own
// timeout (5 s x 2 attempts per server by default). asio's resolver runs it on one background thread that
// the io_context joins when it is destroyed, and takes no per-operation cancellation (asio 1.22): with it,
// a hanging lookup delayed the announce past its deadline, every lookup queued behind it, and the exit of
// the process. Here each lookup runs on a detached thread of its own and reports back through a post to
// the caller's executor; the coroutine waits on a timer, so at the deadline or on cancel it returns at
// once. From then on the lookup is abandoned: its thread posts nothing and ends on its own (or with the
// process), and nothing waits for it.
#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/post.hpp>
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
#include <thread>
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
    // Shared with the lookup's thread, which may outlive this coroutine and its io_context.
    struct Lookup {
        std::mutex mutex;
        bool abandoned = false;              // this coroutine is gone: post nothing, touch nothing of it
        asio::steady_timer* wake = nullptr;  // this coroutine's; valid while not abandoned
        bool done = false;
        std::error_code error;
        std::vector<Endpoint> endpoints;
    };
    auto lookup = std::make_shared<Lookup>();
    asio::steady_timer wake(executor);
    lookup->wake = &wake;
    // Runs however this coroutine ends, including its destruction with the io_context.
    struct Abandon {
        std::shared_ptr<Lookup> lookup;
        ~Abandon() {
            const std::lock_guard lock(lookup->mutex);
            lookup->abandoned = true;
        }
    } abandon{lookup};
    try {
        std::thread([lookup, executor, host, port] {
            std::error_code error;
            std::vector<Endpoint> endpoints;
            {
                asio::io_context own;  // a synchronous resolve runs getaddrinfo right here
                Resolver resolver(own);
                for (const auto& entry : resolver.resolve(host, std::to_string(port), error)) {
                    if (std::find(endpoints.begin(), endpoints.end(), entry.endpoint()) == endpoints.end())
                        endpoints.push_back(entry.endpoint());
                }
            }
            const std::lock_guard posting(lookup->mutex);  // the io_context lives while not abandoned
            if (lookup->abandoned) return;
            asio::post(executor, [lookup, error, endpoints = std::move(endpoints)]() mutable {
                const std::lock_guard lock(lookup->mutex);
                if (lookup->abandoned) return;
                lookup->done = true;
                lookup->error = error;
                lookup->endpoints = std::move(endpoints);
                lookup->wake->cancel();
            });
        }).detach();
    } catch (const std::system_error& e) {  // no thread to be had
        co_return fail(ResolveFailure{ResolveFailure::Kind::error, e.code()});
    }
    while (!lookup->done) {
        const auto now = std::chrono::steady_clock::now();
        if (cancel != nullptr && cancel->load())
            co_return fail(ResolveFailure{ResolveFailure::Kind::cancelled, {}});
        if (now >= deadline) co_return fail(ResolveFailure{ResolveFailure::Kind::timed_out, {}});
        wake.expires_at(cancel != nullptr ? std::min(deadline, now + kCancelPoll) : deadline);
        co_await wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
    if (lookup->error) co_return fail(ResolveFailure{ResolveFailure::Kind::error, lookup->error});
    if (lookup->endpoints.empty())
        co_return fail(
            ResolveFailure{ResolveFailure::Kind::error, make_error_code(asio::error::host_not_found)});
    co_return std::move(lookup->endpoints);
}

}  // namespace bt::net
