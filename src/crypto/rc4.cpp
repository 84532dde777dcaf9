#include "crypto/rc4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace bt::crypto {

namespace {

// OpenSSL's RC4 from the legacy provider, loaded once into a library context of our own so that the
// process-wide default context (SHA-1, DH) keeps its automatic default provider. Null when unavailable.
const EVP_CIPHER* openssl_rc4() noexcept {
    static const EVP_CIPHER* const cipher = []() -> const EVP_CIPHER* {
        OSSL_LIB_CTX* lib = OSSL_LIB_CTX_new();
        if (lib == nullptr) return nullptr;
        if (OSSL_PROVIDER_load(lib, "legacy") == nullptr) return nullptr;
        return EVP_CIPHER_fetch(lib, "RC4", nullptr);
    }();
    return cipher;
}

// Feeds at most INT_MAX bytes per call, the limit of EVP_EncryptUpdate's length.
void openssl_process(EVP_CIPHER_CTX* ctx, const std::uint8_t* in, std::uint8_t* out, std::size_t n) noexcept {
    while (n > 0) {
        const int chunk = static_cast<int>(std::min<std::size_t>(n, INT_MAX));
        int written = 0;
        EVP_EncryptUpdate(ctx, out, &written, in, chunk);
        in += chunk;
        out += chunk;
        n -= static_cast<std::size_t>(chunk);
    }
}

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

Rc4::Rc4(std::span<const std::uint8_t> key, Engine engine) noexcept {
    assert(!key.empty());
    if (key.empty()) return;
    const std::size_t len = std::min<std::size_t>(key.size(), 256);
    if (engine == Engine::best) {
        if (const EVP_CIPHER* cipher = openssl_rc4()) {
            ctx_ = EVP_CIPHER_CTX_new();
            if (ctx_ != nullptr && EVP_EncryptInit_ex2(ctx_, cipher, nullptr, nullptr, nullptr) == 1 &&
                EVP_CIPHER_CTX_set_key_length(ctx_, static_cast<int>(len)) == 1 &&
                EVP_EncryptInit_ex2(ctx_, nullptr, key.data(), nullptr, nullptr) == 1) {
                return;
            }
            EVP_CIPHER_CTX_free(ctx_);  // fall back to the portable engine
            ctx_ = nullptr;
        }
    }
    for (std::uint32_t k = 0; k < 256; ++k) s_[k] = k;
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
    EVP_CIPHER_CTX_free(ctx_);  // wipes OpenSSL's state
    OPENSSL_cleanse(s_.data(), sizeof(s_));
}

Rc4::Rc4(const Rc4& other) noexcept : s_(other.s_), i_(other.i_), j_(other.j_) {
    if (other.ctx_ != nullptr) {
        ctx_ = EVP_CIPHER_CTX_new();
        // A failed copy would silently change the keystream: nothing sensible remains but to stop.
        if (ctx_ == nullptr || EVP_CIPHER_CTX_copy(ctx_, other.ctx_) != 1) std::abort();
    }
}

Rc4& Rc4::operator=(const Rc4& other) noexcept {
    if (this != &other) {
        Rc4 copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Rc4::Rc4(Rc4&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)), s_(other.s_), i_(other.i_), j_(other.j_) {}

Rc4& Rc4::operator=(Rc4&& other) noexcept {
    if (this != &other) {
        EVP_CIPHER_CTX_free(ctx_);
        ctx_ = std::exchange(other.ctx_, nullptr);
        s_ = other.s_;
        i_ = other.i_;
        j_ = other.j_;
    }
    return *this;
}

// i and j live in registers for the whole call. Eight keystream bytes are gathered into one 64-bit
// word and XORed with a single load/store, which keeps the loop on the state's dependency chain.
void Rc4::process_portable(const std::uint8_t* src, std::uint8_t* dst, std::size_t n) noexcept {
    std::uint32_t* s = s_.data();
    std::uint32_t i = i_;
    std::uint32_t j = j_;
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

void Rc4::process(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    assert(out.size() >= in.size());
    if (ctx_ != nullptr) {
        openssl_process(ctx_, in.data(), out.data(), in.size());
    } else {
        process_portable(in.data(), out.data(), in.size());
    }
}

void Rc4::process(std::span<std::uint8_t> data) noexcept {
    process(data, data);
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
