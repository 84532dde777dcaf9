#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace bt::crypto {

using Sha1Digest = std::array<std::uint8_t, 20>;

// Incremental SHA-1 over OpenSSL's EVP interface (which picks the SHA-NI / AVX2 code paths).
class Sha1 {
public:
    Sha1();
    ~Sha1();
    Sha1(Sha1&&) noexcept;
    Sha1& operator=(Sha1&&) noexcept;

    void update(std::span<const std::uint8_t> data);
    void update(std::string_view data);
    // Returns the digest and resets the hasher for reuse.
    Sha1Digest finish();

private:
    struct Context;
    std::unique_ptr<Context> ctx_;
};

Sha1Digest sha1(std::span<const std::uint8_t> data);
Sha1Digest sha1(std::string_view data);

}  // namespace bt::crypto
