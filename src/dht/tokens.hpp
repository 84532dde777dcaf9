#pragma once
// Write tokens (BEP 5): get_peers hands the querier a token that it must return in announce_peer, from the
// same IP. A token is SHA-1(secret || IP bytes) cut to kTokenSize bytes; the secret changes every rotation,
// and tokens made with the current or the previous secret are accepted (so a token lives one to two
// rotations; BEP 5 suggests 5 minutes and accepting 10-minute-old tokens).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/endpoint.hpp"
#include "dht/krpc.hpp"
#include "dht/rng.hpp"
#include "dht/time.hpp"

namespace bt::dht {

inline constexpr std::size_t kTokenSize = 8;

class TokenIssuer {
  public:
    TokenIssuer(Rng& rng, std::chrono::nanoseconds rotation, TimePoint now);

    // The token for the IP address of `requester` (its port is ignored).
    Token make(const Endpoint& requester, TimePoint now);
    bool check(const Token& token, const Endpoint& requester, TimePoint now);
    // When the secret next rotates.
    TimePoint next_rotation() const noexcept { return rotated_ + rotation_; }

  private:
    using Secret = std::array<std::uint8_t, 16>;
    void rotate_if_due(TimePoint now);
    static Token token_for(const Secret& secret, const Endpoint& requester);

    Rng& rng_;
    std::chrono::nanoseconds rotation_;
    TimePoint rotated_;
    Secret current_{};
    Secret previous_{};
};

}  // namespace bt::dht
