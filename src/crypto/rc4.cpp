#include "crypto/rc4.hpp"

#include <openssl/crypto.h>

#include <bit>
#include <cassert>
#include <cstring>

namespace bt::crypto {

Rc4::Rc4(std::span<const std::uint8_t> key) noexcept {
    assert(!key.empty());
    for (std::uint32_t k = 0; k < 256; ++k) s_[k] = k;
    if (key.empty()) return;
    const std::size_t len = key.size();
    std::uint32_t j = 0;
    std::size_t pos = 0;
    for (std::uint32_t i = 0; i < 256; ++i) {
        const std::uint32_t si = s_[i];
        j = (j + si + key[pos]) & 0xffU;
        s_[i] = s_[j];
        s_[j] = si;
        if (++pos == len) pos = 0;
    }
}

Rc4::~Rc4() {
    OPENSSL_cleanse(s_.data(), sizeof(s_));
}

namespace {

// One RC4 step over the state `s`: advances i and j and returns the next keystream byte.
inline std::uint32_t next_byte(std::uint32_t* s, std::uint32_t& i, std::uint32_t& j) noexcept {
    i = (i + 1) & 0xffU;
    const std::uint32_t si = s[i];
    j = (j + si) & 0xffU;
    const std::uint32_t sj = s[j];
    s[i] = sj;
    s[j] = si;
    return s[(si + sj) & 0xffU];
}

}  // namespace

// i and j live in registers for the whole call. Eight keystream bytes are gathered into one 64-bit
// word and XORed with a single load/store, which keeps the loop on the state's dependency chain.
void Rc4::process(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    assert(out.size() >= in.size());
    std::uint32_t* s = s_.data();
    std::uint32_t i = i_;
    std::uint32_t j = j_;
    const std::uint8_t* src = in.data();
    std::uint8_t* dst = out.data();
    const std::size_t n = in.size();
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        std::uint64_t ks = 0;
        for (unsigned b = 0; b < 8; ++b) ks |= std::uint64_t{next_byte(s, i, j)} << (8 * b);
        if constexpr (std::endian::native == std::endian::big) ks = __builtin_bswap64(ks);
        std::uint64_t word;
        std::memcpy(&word, src + k, sizeof word);
        word ^= ks;
        std::memcpy(dst + k, &word, sizeof word);
    }
    for (; k < n; ++k) dst[k] = static_cast<std::uint8_t>(src[k] ^ next_byte(s, i, j));
    i_ = i;
    j_ = j;
}

void Rc4::process(std::span<std::uint8_t> data) noexcept {
    process(data, data);
}

void Rc4::keystream(std::span<std::uint8_t> out) noexcept {
    std::uint32_t* s = s_.data();
    std::uint32_t i = i_;
    std::uint32_t j = j_;
    for (auto& b : out) b = static_cast<std::uint8_t>(next_byte(s, i, j));
    i_ = i;
    j_ = j;
}

void Rc4::discard(std::size_t n) noexcept {
    std::uint32_t* s = s_.data();
    std::uint32_t i = i_;
    std::uint32_t j = j_;
    for (std::size_t k = 0; k < n; ++k) (void)next_byte(s, i, j);
    i_ = i;
    j_ = j;
}

}  // namespace bt::crypto
