#pragma once
// RC4 (ARCFOUR) stream cipher for MSE. RC4 is broken as a cipher; MSE uses it for obfuscation only
// (spec/mse.md §10). Encryption and decryption are the same operation: XOR with the keystream.
//
// Two engines give the same keystream: OpenSSL's RC4 (assembly, about twice as fast as ours on x86-64),
// used whenever OpenSSL 3's "legacy" provider can be loaded, and our portable implementation otherwise.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

struct evp_cipher_ctx_st;

namespace bt::crypto {

class Rc4 {
  public:
    enum class Engine : std::uint8_t { best, portable };

    // Key schedule over `key` (1..256 bytes; bytes past 256 have no effect). An empty key is a
    // programming error (asserted).
    explicit Rc4(std::span<const std::uint8_t> key, Engine engine = Engine::best) noexcept;

    // XORs the keystream into `data` in place.
    void process(std::span<std::uint8_t> data) noexcept;
    // Writes in[k] ^ keystream[k] to out[k]; `out` must be at least as long as `in` (may alias exactly).
    void process(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept;
    // Writes the next out.size() keystream bytes.
    void keystream(std::span<std::uint8_t> out) noexcept;
    // Advances the keystream by n bytes (RC4-dropN).
    void discard(std::size_t n) noexcept;

    // True when this instance runs on OpenSSL's RC4.
    bool uses_openssl() const noexcept { return ctx_ != nullptr; }

    // Wipes the state.
    ~Rc4();
    Rc4(const Rc4& other) noexcept;
    Rc4& operator=(const Rc4& other) noexcept;
    Rc4(Rc4&& other) noexcept;
    Rc4& operator=(Rc4&& other) noexcept;

  private:
    void process_portable(const std::uint8_t* in, std::uint8_t* out, std::size_t n) noexcept;

    evp_cipher_ctx_st* ctx_ = nullptr;  // OpenSSL's RC4 state, or null for the portable state below
    // The permutation holds byte values in 32-bit cells: on x86-64 this measured ~1.3-1.5x faster than
    // a byte table (no partial-register merges or byte store-forwarding stalls); 1 KiB stays in L1.
    std::array<std::uint32_t, 256> s_{};
    std::uint32_t i_ = 0;
    std::uint32_t j_ = 0;
};

}  // namespace bt::crypto
