#pragma once
// SplitMix64 (Steele, Lea, Flood 2014): a UniformRandomBitGenerator with 8 bytes of state. Every torrent's
// picker and choker keep one; std::mt19937_64 keeps 2.5 KiB each, which at ten thousand torrents is 50 MB
// spent on shuffling peers and pieces. Not for anything that must be unpredictable (keys, tokens).
#include <cstdint>
#include <limits>

namespace bt {

class SmallRng {
  public:
    using result_type = std::uint64_t;

    explicit SmallRng(std::uint64_t seed = 0) noexcept : state_(seed) {}
    void seed(std::uint64_t seed) noexcept { state_ = seed; }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    result_type operator()() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

  private:
    std::uint64_t state_;
};

}  // namespace bt
