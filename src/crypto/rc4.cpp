#include "crypto/rc4.hpp"

#include <openssl/crypto.h>

#include <cassert>

namespace bt::crypto {

Rc4::Rc4(std::span<const std::uint8_t> key) noexcept {
    assert(!key.empty());
    for (unsigned k = 0; k < 256; ++k) s_[k] = static_cast<std::uint8_t>(k);
    if (key.empty()) return;
    const std::size_t len = key.size();
    unsigned j = 0;
    std::size_t pos = 0;
    for (unsigned i = 0; i < 256; ++i) {
        const std::uint8_t si = s_[i];
        j = (j + si + key[pos]) & 0xffU;
        s_[i] = s_[j];
        s_[j] = si;
        if (++pos == len) pos = 0;
    }
}

Rc4::~Rc4() {
    OPENSSL_cleanse(s_.data(), s_.size());
}

// The loops keep i and j in registers and index the byte table through a raw pointer; the state is
// written back once per call.
void Rc4::process(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    assert(out.size() >= in.size());
    std::uint8_t* s = s_.data();
    unsigned i = i_;
    unsigned j = j_;
    const std::uint8_t* src = in.data();
    std::uint8_t* dst = out.data();
    const std::size_t n = in.size();
    for (std::size_t k = 0; k < n; ++k) {
        i = (i + 1) & 0xffU;
        const unsigned si = s[i];
        j = (j + si) & 0xffU;
        const unsigned sj = s[j];
        s[i] = static_cast<std::uint8_t>(sj);
        s[j] = static_cast<std::uint8_t>(si);
        dst[k] = static_cast<std::uint8_t>(src[k] ^ s[(si + sj) & 0xffU]);
    }
    i_ = static_cast<std::uint8_t>(i);
    j_ = static_cast<std::uint8_t>(j);
}

void Rc4::process(std::span<std::uint8_t> data) noexcept {
    process(data, data);
}

void Rc4::keystream(std::span<std::uint8_t> out) noexcept {
    std::uint8_t* s = s_.data();
    unsigned i = i_;
    unsigned j = j_;
    for (auto& b : out) {
        i = (i + 1) & 0xffU;
        const unsigned si = s[i];
        j = (j + si) & 0xffU;
        const unsigned sj = s[j];
        s[i] = static_cast<std::uint8_t>(sj);
        s[j] = static_cast<std::uint8_t>(si);
        b = s[(si + sj) & 0xffU];
    }
    i_ = static_cast<std::uint8_t>(i);
    j_ = static_cast<std::uint8_t>(j);
}

void Rc4::discard(std::size_t n) noexcept {
    std::uint8_t* s = s_.data();
    unsigned i = i_;
    unsigned j = j_;
    for (std::size_t k = 0; k < n; ++k) {
        i = (i + 1) & 0xffU;
        const unsigned si = s[i];
        j = (j + si) & 0xffU;
        s[i] = s[j];
        s[j] = static_cast<std::uint8_t>(si);
    }
    i_ = static_cast<std::uint8_t>(i);
    j_ = static_cast<std::uint8_t>(j);
}

}  // namespace bt::crypto
