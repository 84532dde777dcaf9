#pragma once
// Runs one coroutine to its end on an io_context of its own, for the few network steps a command takes
// before its session exists (looking up --peer names, fetching a .torrent URL). An exception thrown by the
// coroutine is rethrown here.
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <exception>
#include <optional>
#include <utility>

namespace bt::cli {

namespace detail {
template <class T>
asio::awaitable<void> store_result(asio::awaitable<T> task, std::optional<T>& out) {
    out.emplace(co_await std::move(task));
}
}  // namespace detail

template <class T>
T run_blocking(asio::awaitable<T> task) {
    asio::io_context io;
    std::optional<T> result;
    std::exception_ptr failure;
    asio::co_spawn(io, detail::store_result(std::move(task), result),
                   [&failure](std::exception_ptr e) { failure = std::move(e); });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
}

}  // namespace bt::cli
