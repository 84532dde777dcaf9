#pragma once
// The DHT's deterministic random numbers (SplitMix64): the node is pure, so its randomness comes from the
// seed it is given, and a test or fuzz run replays exactly. The seed should come from a CSPRNG in
// production (token secrets and transaction ids are derived from it).
#include <cstdint>
#include <span>

namespace bt::dht {

class Rng {
  public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, bound) for bound > 0 (the modulo bias is below 2^-32 for the bounds used here).
    std::uint64_t below(std::uint64_t bound) noexcept { return next() % bound; }
    void fill(std::span<std::uint8_t> out) noexcept {
        for (auto& byte : out) byte = static_cast<std::uint8_t>(next());
    }

  private:
    std::uint64_t state_;
};

}  // namespace bt::dht
