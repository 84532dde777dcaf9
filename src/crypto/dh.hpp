#pragma once
// Diffie-Hellman over the 768-bit MSE group (spec/mse.md §1): P is the MSE prime (NOT Oakley group 1,
// §11 item 1), G = 2. Public keys and shared secrets are always exactly 96 big-endian bytes with
// leading zero bytes kept (§11 item 2). Backed by OpenSSL BIGNUM with a cached Montgomery context.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>

#include "core/result.hpp"

namespace bt::crypto {

class RandomSource;

inline constexpr std::size_t kDhKeySize = 96;  // bytes in P, Y and S
inline constexpr std::size_t kDhPrivateKeySize =
    20;  // 160-bit exponents, as libtorrent/Transmission/aria2 use

using DhKey = std::array<std::uint8_t, kDhKeySize>;  // a public key Y or a shared secret S

// The MSE prime P as 96 big-endian bytes.
const DhKey& mse_prime() noexcept;

enum class Errc : std::uint8_t {
    invalid_public_key = 1,  // the peer's Y is outside [2, P-2]
    invalid_private_key,     // the exponent is 0 or 1, longer than 96 bytes, or gives a degenerate Y
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

class Dh {
  public:
    // Uses the big-endian exponent `x` (1..96 bytes). Fails with invalid_private_key if x < 2 or
    // G^x mod P falls outside [2, P-2].
    static Result<Dh> from_private_key(std::span<const std::uint8_t> x);
    // A fresh 160-bit exponent from `rng` (the production path).
    static Dh generate(RandomSource& rng);

    Dh(Dh&&) noexcept;
    Dh& operator=(Dh&&) noexcept;
    ~Dh();  // clears the private exponent

    // Y = G^x mod P, 96 bytes.
    const DhKey& public_key() const noexcept { return public_key_; }

    // S = peer^x mod P, 96 bytes. Fails with invalid_public_key unless 2 <= peer <= P-2 (so 0, 1,
    // P-1 and anything >= P are refused).
    Result<DhKey> shared_secret(std::span<const std::uint8_t, kDhKeySize> peer_public) const;

  private:
    struct Exponent;
    explicit Dh(std::unique_ptr<Exponent> x);
    std::unique_ptr<Exponent> x_;
    DhKey public_key_{};
};

}  // namespace bt::crypto

template <>
struct std::is_error_code_enum<bt::crypto::Errc> : std::true_type {};
