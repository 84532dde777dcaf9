#include "dht/rate_limiter.hpp"

#include <algorithm>
#include <chrono>

namespace bt::dht {

namespace {
constexpr std::uint64_t kMilli = 1000;
}  // namespace

RateLimiter::RateLimiter(std::uint32_t per_address_per_second, std::uint32_t global_per_second,
                         std::size_t max_tracked)
    : per_address_rate_(per_address_per_second),
      global_rate_(global_per_second),
      per_address_(std::max<std::size_t>(max_tracked, 1)) {}

void RateLimiter::refill(Bucket& bucket, std::uint32_t per_second, TimePoint now) {
    const std::uint64_t capacity = std::uint64_t{per_second} * kMilli;
    if (!bucket.started) {
        bucket = Bucket{.milli_tokens = capacity, .refilled = now, .started = true};
        return;
    }
    if (now <= bucket.refilled) return;
    const auto elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - bucket.refilled).count();
    if (elapsed_ms >= 1000) {  // a full bucket (and no overflow whatever the gap)
        bucket.milli_tokens = capacity;
        bucket.refilled = now;
        return;
    }
    // Whole milliseconds only, so that frequent calls still add up.
    bucket.milli_tokens =
        std::min(capacity, bucket.milli_tokens + static_cast<std::uint64_t>(elapsed_ms) * per_second);
    bucket.refilled += std::chrono::milliseconds(elapsed_ms);
}

bool RateLimiter::allow(const Endpoint& source, TimePoint now) {
    Endpoint address = source;
    address.port = 0;
    Bucket& own = per_address_.try_emplace(address).first;
    refill(own, per_address_rate_, now);
    if (own.milli_tokens < kMilli) return false;
    refill(global_, global_rate_, now);
    if (global_.milli_tokens < kMilli) return false;
    own.milli_tokens -= kMilli;
    global_.milli_tokens -= kMilli;
    return true;
}

}  // namespace bt::dht
