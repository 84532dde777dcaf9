#pragma once
// The BitTorrent handshake (BEP 3): "The handshake starts with character nineteen (decimal) followed by the
// string 'BitTorrent protocol'. [...] After the fixed headers come eight reserved bytes, which are all zero
// in all current implementations. [...] Next comes the 20 byte sha1 hash of the bencoded form of the info
// value from the metainfo file. [...] After the download side sends its handshake, it sends its own peer id."
// https://www.bittorrent.org/beps/bep_0003.html
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "wire/errors.hpp"

namespace bt::wire {

inline constexpr std::string_view kProtocolString =
    "\x13"
    "BitTorrent protocol";
inline constexpr std::size_t kReservedOffset = 20;
inline constexpr std::size_t kInfoHashOffset = 28;
inline constexpr std::size_t kPeerIdOffset = 48;
inline constexpr std::size_t kHandshakeSize = 68;
static_assert(kProtocolString.size() == kReservedOffset);
static_assert(kHandshakeSize == 68);

using Reserved = std::array<std::uint8_t, 8>;
using InfoHashBytes =
    std::array<std::uint8_t, 20>;  // same type as crypto::Sha1Digest / metainfo::InfoHash::bytes
using PeerId = std::array<std::uint8_t, 20>;

// Reserved bits, numbered as the BEPs do (byte index into `reserved`, bit mask).
// BEP 10: "reserved_byte[5] & 0x10" (extension protocol).
constexpr bool has_extension_protocol(const Reserved& r) noexcept {
    return (r[5] & 0x10) != 0;
}
// BEP 6: "The Fast Extension is enabled by setting the third least significant bit of the last reserved
// byte".
constexpr bool has_fast_extension(const Reserved& r) noexcept {
    return (r[7] & 0x04) != 0;
}
// BEP 5: "the last bit in the 8-byte reserved flags exchanged in the BitTorrent handshake" (DHT, PORT
// message).
constexpr bool has_dht(const Reserved& r) noexcept {
    return (r[7] & 0x01) != 0;
}

constexpr void set_extension_protocol(Reserved& r, bool on = true) noexcept {
    r[5] = static_cast<std::uint8_t>(on ? (r[5] | 0x10) : (r[5] & ~0x10));
}
constexpr void set_fast_extension(Reserved& r, bool on = true) noexcept {
    r[7] = static_cast<std::uint8_t>(on ? (r[7] | 0x04) : (r[7] & ~0x04));
}
constexpr void set_dht(Reserved& r, bool on = true) noexcept {
    r[7] = static_cast<std::uint8_t>(on ? (r[7] | 0x01) : (r[7] & ~0x01));
}

struct Handshake {
    Reserved reserved{};
    InfoHashBytes info_hash{};
    PeerId peer_id{};
    friend bool operator==(const Handshake&, const Handshake&) = default;
};

std::array<std::uint8_t, kHandshakeSize> encode_handshake(const Handshake& h) noexcept;
void encode_handshake(const Handshake& h, std::vector<std::uint8_t>& out);  // appends 68 bytes
void encode_handshake(const Handshake& h, std::string& out);                // appends 68 bytes

// Incremental handshake parser. Feed it the bytes that arrive, in any split; it takes only the bytes
// that belong to the handshake and says how many it took, so the rest of the input is the start of the
// message stream. The protocol string is checked byte by byte, so a peer speaking something else (e.g.
// MSE, which starts with a random DH key) is rejected on its first wrong byte.
//
// The info-hash is known after 48 bytes (info_hash()), before the peer id arrives: a receiver can look
// the torrent up (and refuse unknown ones) at that point. Validating the info-hash is the caller's job.
class HandshakeParser {
  public:
    // Bytes of `in` consumed (0 .. 68 - bytes_received()); an error is sticky.
    Result<std::size_t> feed(std::span<const std::uint8_t> in);
    Result<std::size_t> feed(std::string_view in);

    bool is_complete() const noexcept { return received_ == kHandshakeSize; }
    std::size_t bytes_received() const noexcept { return received_; }
    // Set once the first 28 bytes arrived.
    std::optional<Reserved> reserved() const noexcept;
    // Set once the first 48 bytes arrived.
    std::optional<InfoHashBytes> info_hash() const noexcept;
    // Set once all 68 bytes arrived.
    std::optional<Handshake> handshake() const noexcept;

  private:
    std::array<std::uint8_t, kHandshakeSize> bytes_{};
    std::size_t received_ = 0;
    std::error_code error_;
};

}  // namespace bt::wire
