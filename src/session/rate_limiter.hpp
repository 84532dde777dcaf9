#pragma once
// The session's rate limits at run time: bandwidth::Allocator (the pure half: channels, fair shares) plus
// the waiting. A peer connection asks before each read or write through a Waiter of its own; while anybody
// waits, a ticker hands out quota every kTickInterval. With no limit set, nothing waits and no timer runs.
//
// The allocator and the waiters' table live in a shared state that the ticker holds too, so a ticker still
// queued when the session is destroyed finds the state, not freed memory.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "bandwidth/allocator.hpp"

namespace bt::session {

class RateLimiter {
  public:
    static constexpr std::chrono::milliseconds kTickInterval{50};
    struct State;  // rate_limiter.cpp

    explicit RateLimiter(asio::any_io_executor executor);
    ~RateLimiter();
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    // A limit in bytes per second; 0: none.
    bandwidth::ChannelId add_channel(std::uint64_t bytes_per_second);
    void set_limit(bandwidth::ChannelId channel, std::uint64_t bytes_per_second);
    void remove_channel(bandwidth::ChannelId channel);
    std::uint64_t limit(bandwidth::ChannelId channel) const;
    // Whether a transfer through `channels` must ask at all (one of them has a limit).
    bool limits(std::span<const bandwidth::ChannelId> channels) const;

    // One direction of one connection: at most one wait at a time. Destroying it (or cancel()) ends its
    // wait; acquire() then returns 0.
    class Waiter {
      public:
        Waiter(RateLimiter& limiter, asio::any_io_executor executor);
        ~Waiter();
        Waiter(const Waiter&) = delete;
        Waiter& operator=(const Waiter&) = delete;

        // Waits until at least one byte may move through `channels`; returns how many may (at most
        // `wanted`), or 0 when cancelled.
        asio::awaitable<std::uint64_t> acquire(std::span<const bandwidth::ChannelId> channels,
                                               std::uint64_t wanted);
        void cancel();

      private:
        friend struct State;
        std::shared_ptr<State> state_;
        asio::steady_timer wake_;
        std::optional<bandwidth::RequestId> request_;
        std::uint64_t granted_ = 0;
    };

    // Bytes granted and not moved go back to the channels.
    void refund(std::span<const bandwidth::ChannelId> channels, std::uint64_t bytes);

  private:
    std::shared_ptr<State> state_;
};

}  // namespace bt::session
