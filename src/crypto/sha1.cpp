#include "crypto/sha1.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace bt::crypto {

struct Sha1::Context {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(md); }
};

namespace {
void check(int ok) {
    // EVP only fails on allocation failure or a broken OpenSSL install: not a recoverable input error.
    if (ok != 1) throw std::runtime_error("OpenSSL SHA-1 failed");
}
}  // namespace

Sha1::Sha1() : ctx_(std::make_unique<Context>()) {
    if (ctx_->md == nullptr) throw std::bad_alloc();
    check(EVP_DigestInit_ex(ctx_->md, EVP_sha1(), nullptr));
}
Sha1::~Sha1() = default;
Sha1::Sha1(Sha1&&) noexcept = default;
Sha1& Sha1::operator=(Sha1&&) noexcept = default;

void Sha1::update(std::span<const std::uint8_t> data) {
    check(EVP_DigestUpdate(ctx_->md, data.data(), data.size()));
}

void Sha1::update(std::string_view data) { check(EVP_DigestUpdate(ctx_->md, data.data(), data.size())); }

Sha1Digest Sha1::finish() {
    Sha1Digest digest{};
    unsigned int size = 0;
    check(EVP_DigestFinal_ex(ctx_->md, digest.data(), &size));
    check(EVP_DigestInit_ex(ctx_->md, EVP_sha1(), nullptr));
    return digest;
}

Sha1Digest sha1(std::span<const std::uint8_t> data) {
    Sha1 hasher;
    hasher.update(data);
    return hasher.finish();
}

Sha1Digest sha1(std::string_view data) {
    Sha1 hasher;
    hasher.update(data);
    return hasher.finish();
}

}  // namespace bt::crypto
