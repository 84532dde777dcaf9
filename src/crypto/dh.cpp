#include "crypto/dh.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include <new>
#include <stdexcept>
#include <string>

#include "core/error_category.hpp"
#include "crypto/random.hpp"

namespace bt::crypto {
namespace {

// spec/mse.md §1. The tail ...A63A3621 00000000 00090563 is what distinguishes it from Oakley group 1.
constexpr DhKey kPrime = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34,
    0xC4, 0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74,
    0x02, 0x0B, 0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD,
    0xEF, 0x95, 0x19, 0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37,
    0x4F, 0xE1, 0x35, 0x6D, 0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6,
    0xF4, 0x4C, 0x42, 0xE9, 0xA6, 0x3A, 0x36, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x05, 0x63,
};

const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::invalid_public_key:
            return "Diffie-Hellman public key outside [2, P-2]";
        case Errc::invalid_private_key:
            return "unusable Diffie-Hellman private exponent";
    }
    return nullptr;
}

// Allocation failures and internal OpenSSL errors are not input errors: they throw, as in sha1.cpp.
void check(int ok) {
    if (ok != 1) throw std::runtime_error("OpenSSL BIGNUM operation failed");
}
template <class T>
T* check_ptr(T* p) {
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

struct BnFree {
    void operator()(BIGNUM* b) const noexcept { BN_clear_free(b); }
};
struct CtxFree {
    void operator()(BN_CTX* c) const noexcept { BN_CTX_free(c); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using CtxPtr = std::unique_ptr<BN_CTX, CtxFree>;

BnPtr bn_from(std::span<const std::uint8_t> bytes) {
    return BnPtr(check_ptr(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr)));
}

// The group constants, built once. BN_mod_exp_mont only reads the Montgomery context, so sharing it
// between threads is safe after the (thread-safe) static initialisation.
struct Group {
    BnPtr p;
    BnPtr p_minus_1;
    BnPtr g;
    BN_MONT_CTX* mont = nullptr;

    Group() : p(bn_from(kPrime)), p_minus_1(check_ptr(BN_dup(p.get()))), g(check_ptr(BN_new())) {
        check(BN_sub_word(p_minus_1.get(), 1));
        check(BN_set_word(g.get(), 2));
        CtxPtr ctx(check_ptr(BN_CTX_new()));
        mont = check_ptr(BN_MONT_CTX_new());
        check(BN_MONT_CTX_set(mont, p.get(), ctx.get()));
    }
    ~Group() { BN_MONT_CTX_free(mont); }
    Group(const Group&) = delete;
    Group& operator=(const Group&) = delete;

    // 2 <= y <= P-2, i.e. 1 < y < P-1.
    bool in_range(const BIGNUM* y) const {
        return BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, p_minus_1.get()) < 0;
    }
};

const Group& group() {
    static const Group g;
    return g;
}

DhKey to_key(const BIGNUM* v) {
    DhKey out{};
    // bn2binpad keeps the leading zero bytes that BN_bn2bin would drop.
    if (BN_bn2binpad(v, out.data(), static_cast<int>(out.size())) != static_cast<int>(out.size()))
        throw std::runtime_error("DH value wider than 96 bytes");
    return out;
}

// base^x mod P with the exponent marked constant-time (BN_mod_exp_mont then takes the consttime path).
BnPtr mod_exp(const BIGNUM* base, const BIGNUM* x) {
    const Group& grp = group();
    CtxPtr ctx(check_ptr(BN_CTX_new()));
    BnPtr r(check_ptr(BN_new()));
    check(BN_mod_exp_mont(r.get(), base, x, grp.p.get(), ctx.get(), grp.mont));
    return r;
}

}  // namespace

const DhKey& mse_prime() noexcept {
    return kPrime;
}

const std::error_category& error_category() noexcept {
    static const ErrorCategory<Errc> category("bt.crypto", describe, "unknown crypto error");
    return category;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

struct Dh::Exponent {
    BnPtr x;
};

Dh::Dh(std::unique_ptr<Exponent> x) : x_(std::move(x)) {
    public_key_ = to_key(mod_exp(group().g.get(), x_->x.get()).get());
}
Dh::Dh(Dh&&) noexcept = default;
Dh& Dh::operator=(Dh&&) noexcept = default;
Dh::~Dh() = default;

Result<Dh> Dh::from_private_key(std::span<const std::uint8_t> x) {
    if (x.empty() || x.size() > kDhKeySize) return fail(make_error_code(Errc::invalid_private_key));
    auto exponent = std::make_unique<Exponent>();
    exponent->x = bn_from(x);
    if (BN_cmp(exponent->x.get(), BN_value_one()) <= 0)
        return fail(make_error_code(Errc::invalid_private_key));
    BN_set_flags(exponent->x.get(), BN_FLG_CONSTTIME);
    Dh dh(std::move(exponent));
    BnPtr y = bn_from(dh.public_key_);
    if (!group().in_range(y.get())) return fail(make_error_code(Errc::invalid_private_key));
    return dh;
}

Dh Dh::generate(RandomSource& rng) {
    std::array<std::uint8_t, kDhPrivateKeySize> x{};
    for (int attempt = 0;; ++attempt) {
        rng.fill(x);
        // Only x in {0, 1} can fail for a 160-bit exponent (probability 2^-159). Draw again; a
        // degenerate test source that keeps repeating such bytes gets its top bit forced instead.
        if (attempt >= 8) x[0] |= 0x80;
        auto dh = from_private_key(x);
        OPENSSL_cleanse(x.data(), x.size());
        if (dh) return std::move(*dh);
    }
}

Result<DhKey> Dh::shared_secret(std::span<const std::uint8_t, kDhKeySize> peer_public) const {
    BnPtr y = bn_from(peer_public);
    if (!group().in_range(y.get())) return fail(make_error_code(Errc::invalid_public_key));
    return to_key(mod_exp(y.get(), x_->x.get()).get());
}

}  // namespace bt::crypto
