#include "crypto/rc4.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

namespace bt::crypto {

Rc4::Rc4(std::span<const std::uint8_t> key) noexcept {
    assert(!key.empty());
    if (key.empty()) return;
    const std::size_t len = std::min<std::size_t>(key.size(), 256);
    for (std::size_t k = 0; k < 256; ++k) s_[k] = static_cast<std::uint8_t>(k);
    std::uint8_t j = 0;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < 256; ++i) {
        const std::uint8_t si = s_[i];
        j = static_cast<std::uint8_t>(j + si + key[pos]);
        s_[i] = s_[j];
        s_[j] = si;
        if (++pos == len) pos = 0;
    }
}

Rc4::~Rc4() {
    OPENSSL_cleanse(s_.data(), sizeof(s_));
}

// i and j live in registers for the whole call. Eight keystream bytes are gathered into one 64-bit
// word and XORed with a single load/store, which keeps the loop on the state's dependency chain.
void Rc4::process(std::span<std::uint8_t> data) noexcept {
    std::uint8_t i = i_;
    std::uint8_t j = j_;
    // One RC4 step: advances i and j and returns the next keystream byte. It indexes the member table
    // directly: through a local pointer, g++ 12 computed each address separately, about 8% slower.
    const auto next_byte = [this, &i, &j]() noexcept -> std::uint64_t {
        ++i;
        const std::uint8_t si = s_[i];
        j = static_cast<std::uint8_t>(j + si);
        const std::uint8_t sj = s_[j];
        s_[j] = si;
        s_[i] = sj;
        return s_[static_cast<std::uint8_t>(si + sj)];
    };
    std::uint8_t* p = data.data();
    const std::size_t n = data.size();
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        std::uint64_t ks = 0;
#pragma GCC unroll 8
        for (unsigned b = 0; b < 8; ++b) ks |= next_byte() << (8 * b);
        if constexpr (std::endian::native == std::endian::big) ks = __builtin_bswap64(ks);
        std::uint64_t word;
        std::memcpy(&word, p + k, sizeof word);
        word ^= ks;
        std::memcpy(p + k, &word, sizeof word);
    }
    for (; k < n; ++k) p[k] ^= static_cast<std::uint8_t>(next_byte());
    i_ = i;
    j_ = j;
}

void Rc4::keystream(std::span<std::uint8_t> out) noexcept {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    process(out);
}

void Rc4::discard(std::size_t n) noexcept {
    std::array<std::uint8_t, 1024> scratch;
    while (n > 0) {
        const std::size_t chunk = std::min(n, scratch.size());
        keystream(std::span(scratch).first(chunk));
        n -= chunk;
    }
    OPENSSL_cleanse(scratch.data(), scratch.size());
}

}  // namespace bt::crypto
