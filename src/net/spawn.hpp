#pragma once
// Starts a coroutine on the network thread whose failure stays local: an exception that escapes it (a
// bug, or std::bad_alloc) is caught once, in its completion handler, and handed to `on_failure` with its
// message, which closes the peer or stops the torrent concerned (or restarts a receive loop). Without this,
// asio::detached rethrows it out of io_context::run() and the whole process ends.
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace bt::net {

// `on_failure(const std::string& what)`, called on the coroutine's executor.
template <class Executor, class Awaitable, class OnFailure>
void spawn(Executor&& executor, Awaitable&& awaitable, OnFailure on_failure) {
    asio::co_spawn(
        std::forward<Executor>(executor), std::forward<Awaitable>(awaitable),
        [on_failure = std::move(on_failure)](const std::exception_ptr& failure, auto&&...) mutable {
            if (!failure) return;
            std::string what = "unknown exception";
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            try {
                on_failure("internal error: " + what);
            } catch (...) {
                // Nothing sensible is left to do for this coroutine's owner.
            }
        });
}

// Runs `job` holding `owner`: an object that detached coroutines work on lives until the last has ended.
template <class Owner>
asio::awaitable<void> holding([[maybe_unused]] std::shared_ptr<Owner> owner, asio::awaitable<void> job) {
    co_await std::move(job);
}

}  // namespace bt::net
