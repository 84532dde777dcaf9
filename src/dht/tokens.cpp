#include "dht/tokens.hpp"

#include <algorithm>

#include "crypto/sha1.hpp"

namespace bt::dht {

TokenIssuer::TokenIssuer(Rng& rng, std::chrono::nanoseconds rotation, TimePoint now)
    : rng_(rng), rotation_(std::max(rotation, std::chrono::nanoseconds(1))), rotated_(now) {
    rng_.fill(current_);
    rng_.fill(previous_);
}

void TokenIssuer::rotate_if_due(TimePoint now) {
    if (now - rotated_ < rotation_) return;
    // Idle for two rotations or more: both secrets are stale.
    if (now - rotated_ < 2 * rotation_) {
        previous_ = current_;
    } else {
        rng_.fill(previous_);
    }
    rng_.fill(current_);
    rotated_ = now;
}

Token TokenIssuer::token_for(const Secret& secret, const Endpoint& requester) {
    crypto::Sha1 hasher;
    hasher.update(secret);
    hasher.update(requester.address_bytes());
    const auto digest = hasher.finish();
    return Token(reinterpret_cast<const char*>(digest.data()), kTokenSize);
}

Token TokenIssuer::make(const Endpoint& requester, TimePoint now) {
    rotate_if_due(now);
    return token_for(current_, requester);
}

bool TokenIssuer::check(const Token& token, const Endpoint& requester, TimePoint now) {
    rotate_if_due(now);
    return token.size() == kTokenSize &&
           (token == token_for(current_, requester) || token == token_for(previous_, requester));
}

}  // namespace bt::dht
