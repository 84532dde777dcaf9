#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace bt::crypto {

void SystemRandom::fill(std::span<std::uint8_t> out) {
    // RAND_bytes takes an int length: hand it at most INT_MAX bytes at a time.
    while (!out.empty()) {
        const std::size_t n = std::min<std::size_t>(out.size(), INT_MAX);
        if (RAND_bytes(out.data(), static_cast<int>(n)) != 1)
            throw std::runtime_error("OpenSSL RAND_bytes failed (no entropy source?)");
        out = out.subspan(n);
    }
}

void FixedRandom::fill(std::span<std::uint8_t> out) {
    if (bytes_.empty()) {
        std::fill(out.begin(), out.end(), std::uint8_t{0});
        return;
    }
    for (auto& b : out) {
        b = bytes_[next_];
        next_ = (next_ + 1) % bytes_.size();
    }
}

std::uint32_t uniform_below(RandomSource& rng, std::uint32_t bound) {
    if (bound <= 1) return 0;
    // Reject the top partial block of 2^32 so that every residue is equally likely. A real CSPRNG
    // is rejected with probability < bound / 2^32 per draw; the attempt cap only stops a degenerate
    // test source (say, all 0xff) from looping forever.
    const std::uint32_t limit = UINT32_MAX - (UINT32_MAX % bound + 1) % bound;
    std::uint32_t v = 0;
    for (int attempt = 0; attempt < 64; ++attempt) {
        std::uint8_t raw[4];
        rng.fill(raw);
        v = (std::uint32_t{raw[0]} << 24) | (std::uint32_t{raw[1]} << 16) | (std::uint32_t{raw[2]} << 8) |
            std::uint32_t{raw[3]};
        if (v <= limit) break;
    }
    return v % bound;
}

std::vector<std::uint8_t> random_bytes(RandomSource& rng, std::size_t n) {
    std::vector<std::uint8_t> out(n);
    rng.fill(out);
    return out;
}

}  // namespace bt::crypto
