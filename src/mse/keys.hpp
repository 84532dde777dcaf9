#pragma once
// MSE constants and key derivation (spec/mse.md §1-§3). HASH is SHA-1 over the plain concatenation of
// its arguments; S is always the 96-byte form with leading zeros kept.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/dh.hpp"
#include "crypto/rc4.hpp"
#include "crypto/sha1.hpp"

namespace bt::mse {

using crypto::Sha1Digest;
// The stream key: a torrent's 20-byte info-hash (v1 SHA-1, or the v2 SHA-256 hash truncated to 20).
using Skey = std::array<std::uint8_t, 20>;

inline constexpr std::size_t kKeySize = crypto::kDhKeySize;  // Ya, Yb and S: 96 bytes
inline constexpr std::size_t kMaxPad = 512;                  // PadA..PadD: 0..512 bytes
inline constexpr std::size_t kVcSize = 8;                    // VC: 8 zero bytes
inline constexpr std::size_t kRc4Drop = 1024;                // RC4-drop1024
inline constexpr std::size_t kHashSize = 20;
inline constexpr std::size_t kBtHandshakeSize = 68;  // the largest IA we send or (by default) accept
// Sync bounds, counted from the first byte of the peer's stream (spec §4, §11 item 8).
inline constexpr std::size_t kReq1SyncLimit = kKeySize + kMaxPad + kHashSize;  // receiver: 628
inline constexpr std::size_t kVcSyncLimit = kKeySize + kMaxPad + kVcSize;      // initiator: 616
static_assert(kReq1SyncLimit == 628 && kVcSyncLimit == 616);

enum class CryptoMethod : std::uint32_t {
    plaintext = 0x01,  // only the handshake is obfuscated; the stream after it is raw BitTorrent
    rc4 = 0x02,        // the whole stream stays RC4
};

// A set of crypto methods, as in crypto_provide (bits 0x01 and 0x02; other bits are reserved).
struct CryptoMask {
    std::uint32_t bits = 0;

    static constexpr CryptoMask none() { return {0}; }
    static constexpr CryptoMask only(CryptoMethod m) { return {static_cast<std::uint32_t>(m)}; }
    static constexpr CryptoMask both() { return {0x03}; }

    constexpr bool has(CryptoMethod m) const { return (bits & static_cast<std::uint32_t>(m)) != 0; }
    constexpr bool empty() const { return (bits & 0x03U) == 0; }
    friend constexpr CryptoMask operator|(CryptoMask a, CryptoMask b) { return {a.bits | b.bits}; }
    friend constexpr CryptoMask operator&(CryptoMask a, CryptoMask b) { return {a.bits & b.bits}; }
    friend constexpr bool operator==(CryptoMask, CryptoMask) = default;
};

// HASH('req1', S): what B scans for after Ya.
Sha1Digest req1_hash(std::span<const std::uint8_t, kKeySize> s);
// HASH('req2', SKEY): the per-torrent value B precomputes (spec §7).
Sha1Digest req2_hash(const Skey& skey);
// HASH('req3', S)
Sha1Digest req3_hash(std::span<const std::uint8_t, kKeySize> s);
// HASH('keyA', S, SKEY) and HASH('keyB', S, SKEY): A encrypts with keyA, B with keyB.
Sha1Digest key_a(std::span<const std::uint8_t, kKeySize> s, const Skey& skey);
Sha1Digest key_b(std::span<const std::uint8_t, kKeySize> s, const Skey& skey);

// RC4 keyed with `key`, its first 1024 keystream bytes already discarded.
crypto::Rc4 make_rc4_drop1024(std::span<const std::uint8_t> key) noexcept;

}  // namespace bt::mse
