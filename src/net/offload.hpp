#pragma once
// Runs a blocking function (disk I/O, hashing, a libcurl request) on a worker pool and resumes the calling
// coroutine on its own executor with the result. Only the plain function runs on the pool: coroutine
// frames never move between threads.
//
// Capture only references, pointers and trivially copyable values in `fn`: g++ 12 mishandles a closure
// with non-trivial members (a std::string, a shared_ptr) created inside a co_await expression; it was seen
// both relocating one bitwise (a freed SSO buffer) and destroying one twice (a double free under ASan).
// Build such values in the caller's frame and capture a reference to them.
#include <asio/async_result.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace bt::net {

namespace detail {
// The completion signature for a function returning R: void(R), or void() when it returns nothing.
template <class R>
struct Completion {
    using type = void(R);
};
template <>
struct Completion<void> {
    using type = void();
};
}  // namespace detail

template <class Executor, class Fn>
asio::awaitable<std::invoke_result_t<Fn&>> run_on(Executor pool, Fn fn) {
    using R = std::invoke_result_t<Fn&>;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                            typename detail::Completion<R>::type>(
        [pool](auto handler, Fn work_fn) {
            auto work = asio::make_work_guard(asio::get_associated_executor(handler));
            asio::post(pool, [handler = std::move(handler), work = std::move(work),
                              work_fn = std::move(work_fn)]() mutable {
                auto executor = work.get_executor();
                if constexpr (std::is_void_v<R>) {
                    work_fn();
                    asio::post(executor, [handler = std::move(handler)]() mutable { std::move(handler)(); });
                } else {
                    R result = work_fn();
                    asio::post(executor,
                               [handler = std::move(handler), result = std::move(result)]() mutable {
                                   std::move(handler)(std::move(result));
                               });
                }
            });
        },
        asio::use_awaitable, std::move(fn));
}

}  // namespace bt::net
