#pragma once
// Cryptographically secure random bytes behind a small interface, so that protocol code takes a
// RandomSource& (never a global RNG) and tests can inject fixed bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bt::crypto {

class RandomSource {
  public:
    virtual ~RandomSource() = default;
    // Fills `out` completely.
    virtual void fill(std::span<std::uint8_t> out) = 0;
};

// OpenSSL RAND_bytes (the system CSPRNG). Thread-safe and stateless; throws std::runtime_error only if
// OpenSSL cannot seed itself, which is a broken system rather than bad input.
class SystemRandom final : public RandomSource {
  public:
    void fill(std::span<std::uint8_t> out) override;
};

// Test double: hands out the given bytes in order and repeats them from the start when they run out
// (all zeros if constructed empty). Deterministic, not random.
class FixedRandom final : public RandomSource {
  public:
    explicit FixedRandom(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
    void fill(std::span<std::uint8_t> out) override;

  private:
    std::vector<std::uint8_t> bytes_;
    std::size_t next_ = 0;
};

// A uniformly distributed integer in [0, bound) drawn from `rng` without modulo bias (bound > 0).
std::uint32_t uniform_below(RandomSource& rng, std::uint32_t bound);

// `n` bytes from `rng`.
std::vector<std::uint8_t> random_bytes(RandomSource& rng, std::size_t n);

}  // namespace bt::crypto
