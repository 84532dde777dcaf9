#include "session/rate_limiter.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <map>

#include "core/log.hpp"
#include "net/spawn.hpp"

namespace bt::session {

namespace {
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;
}  // namespace

struct RateLimiter::State {
    explicit State(asio::any_io_executor executor) : ticker(std::move(executor)) {}

    bandwidth::Allocator allocator;
    std::map<bandwidth::RequestId, Waiter*> waiters;
    asio::steady_timer ticker;
    bool ticking = false;
    bool closed = false;
    // Quota accrues for the time since the last tick, also across spells when nobody waited and the
    // ticker slept (the allocator caps what an idle channel keeps).
    Clock::time_point last_tick = Clock::now();

    void wake(Waiter& waiter, std::uint64_t granted) {
        waiter.granted_ = granted;
        waiter.request_.reset();
        waiter.wake_.cancel();
    }

    void start_ticker(const std::shared_ptr<State>& self) {
        if (ticking) return;
        ticking = true;
        net::spawn(
            ticker.get_executor(), [self]() { return self->tick_loop(self); },
            [self](const std::string& what) {
                self->ticking = false;
                BT_LOG(error, "session", "rate limiter: {}", what);
            });
    }

    // `self` keeps the state alive while the loop waits.
    asio::awaitable<void> tick_loop([[maybe_unused]] std::shared_ptr<State> self) {
        while (!closed && allocator.has_waiting()) {
            ticker.expires_after(kTickInterval);
            co_await ticker.async_wait(use_nothrow);
            if (closed) break;
            const auto now = Clock::now();
            const auto grants = allocator.tick(now - last_tick);
            last_tick = now;
            for (const auto& grant : grants) {
                const auto it = waiters.find(grant.request);
                if (it == waiters.end()) continue;
                auto* waiter = it->second;
                waiters.erase(it);
                wake(*waiter, grant.bytes);
            }
        }
        ticking = false;
    }
};

RateLimiter::RateLimiter(asio::any_io_executor executor)
    : state_(std::make_shared<State>(std::move(executor))) {}

RateLimiter::~RateLimiter() {
    state_->closed = true;
    state_->ticker.cancel();
    for (auto& [id, waiter] : state_->waiters) state_->wake(*waiter, 0);
    state_->waiters.clear();
}

bandwidth::ChannelId RateLimiter::add_channel(std::uint64_t bytes_per_second) {
    return state_->allocator.add_channel(bytes_per_second);
}

void RateLimiter::set_limit(bandwidth::ChannelId channel, std::uint64_t bytes_per_second) {
    state_->allocator.set_limit(channel, bytes_per_second);
}

void RateLimiter::remove_channel(bandwidth::ChannelId channel) {
    state_->allocator.remove_channel(channel);
}

std::uint64_t RateLimiter::limit(bandwidth::ChannelId channel) const {
    return state_->allocator.limit(channel);
}

bool RateLimiter::limits(std::span<const bandwidth::ChannelId> channels) const {
    for (const auto channel : channels) {
        if (state_->allocator.limit(channel) > 0) return true;
    }
    return false;
}

void RateLimiter::refund(std::span<const bandwidth::ChannelId> channels, std::uint64_t bytes) {
    if (bytes > 0) state_->allocator.refund(channels, bytes);
}

RateLimiter::Waiter::Waiter(RateLimiter& limiter, asio::any_io_executor executor)
    : state_(limiter.state_), wake_(std::move(executor), Clock::time_point::max()) {}

RateLimiter::Waiter::~Waiter() {
    cancel();
}

asio::awaitable<std::uint64_t> RateLimiter::Waiter::acquire(std::span<const bandwidth::ChannelId> channels,
                                                            std::uint64_t wanted) {
    if (state_->closed) co_return 0;
    const auto answer = state_->allocator.request(channels, wanted);
    if (const auto* bytes = std::get_if<std::uint64_t>(&answer)) co_return *bytes;
    request_ = std::get<bandwidth::RequestId>(answer);
    granted_ = 0;
    state_->waiters[*request_] = this;
    state_->start_ticker(state_);
    wake_.expires_at(Clock::time_point::max());
    co_await wake_.async_wait(use_nothrow);
    const auto granted = granted_;
    granted_ = 0;
    co_return granted;
}

void RateLimiter::Waiter::cancel() {
    if (!request_) return;
    state_->allocator.cancel(*request_);
    state_->waiters.erase(*request_);
    state_->wake(*this, 0);
}

}  // namespace bt::session
