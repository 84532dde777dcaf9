#pragma once
// Peer-wire messages: BEP 3 core messages, BEP 5 PORT, BEP 6 fast extension messages and the BEP 10
// extended-message envelope, as one std::variant, plus their encoder.
//
// Frame layout (BEP 3): "<length prefix><message ID><payload>. The length prefix is a four byte big-endian
// value." A length of 0 is a keep-alive and has no ID.
//
// Messages carrying bytes (Bitfield, Piece, Extended) hold std::span views, not copies: from a
// MessageReader they point into the reader's buffer (see message_reader.hpp for their lifetime); to
// encode, point them at the caller's data.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ids.hpp"

namespace bt::wire {

enum class MessageId : std::uint8_t {
    choke = 0,
    unchoke = 1,
    interested = 2,
    not_interested = 3,
    have = 4,
    bitfield = 5,
    request = 6,
    piece = 7,
    cancel = 8,
    port = 9,               // BEP 5
    suggest_piece = 0x0D,   // BEP 6
    have_all = 0x0E,        // BEP 6
    have_none = 0x0F,       // BEP 6
    reject_request = 0x10,  // BEP 6
    allowed_fast = 0x11,    // BEP 6
    extended = 20,          // BEP 10
};

// BEP 3: "All current implementations use 2^14 (16 kiB), and close connections which request an amount
// greater than that."
inline constexpr std::uint32_t kMaxBlockSize = 16 * 1024;
inline constexpr std::size_t kLengthPrefixSize = 4;
// <len=0009+X><id=7><index><begin>: the bytes before a PIECE message's block.
inline constexpr std::size_t kPieceHeaderSize = 13;

namespace detail {
inline bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    return std::ranges::equal(a, b);
}
}  // namespace detail

struct KeepAlive {
    friend bool operator==(KeepAlive, KeepAlive) = default;
};
struct Choke {
    friend bool operator==(Choke, Choke) = default;
};
struct Unchoke {
    friend bool operator==(Unchoke, Unchoke) = default;
};
struct Interested {
    friend bool operator==(Interested, Interested) = default;
};
struct NotInterested {
    friend bool operator==(NotInterested, NotInterested) = default;
};
struct Have {
    PieceIndex index;
    friend bool operator==(Have, Have) = default;
};
// Raw wire bytes; validate with bt::Bitfield::from_bytes(bytes, num_pieces) (the reader checks the length).
struct Bitfield {
    std::span<const std::uint8_t> bytes;
    friend bool operator==(const Bitfield& a, const Bitfield& b) {
        return detail::same_bytes(a.bytes, b.bytes);
    }
};
struct Request {
    PieceIndex index;
    std::uint32_t begin = 0;
    std::uint32_t length = 0;
    friend bool operator==(Request, Request) = default;
};
struct Piece {
    PieceIndex index;
    std::uint32_t begin = 0;
    std::span<const std::uint8_t> block;
    friend bool operator==(const Piece& a, const Piece& b) {
        return a.index == b.index && a.begin == b.begin && detail::same_bytes(a.block, b.block);
    }
};
struct Cancel {
    PieceIndex index;
    std::uint32_t begin = 0;
    std::uint32_t length = 0;
    friend bool operator==(Cancel, Cancel) = default;
};
struct Port {
    std::uint16_t port = 0;
    friend bool operator==(Port, Port) = default;
};
struct HaveAll {
    friend bool operator==(HaveAll, HaveAll) = default;
};
struct HaveNone {
    friend bool operator==(HaveNone, HaveNone) = default;
};
struct SuggestPiece {
    PieceIndex index;
    friend bool operator==(SuggestPiece, SuggestPiece) = default;
};
struct RejectRequest {
    PieceIndex index;
    std::uint32_t begin = 0;
    std::uint32_t length = 0;
    friend bool operator==(RejectRequest, RejectRequest) = default;
};
struct AllowedFast {
    PieceIndex index;
    friend bool operator==(AllowedFast, AllowedFast) = default;
};
// BEP 10: id 0 is the extended handshake, other ids are the ones the receiver assigned in its 'm' dictionary.
struct Extended {
    std::uint8_t id = 0;
    std::span<const std::uint8_t> payload;
    friend bool operator==(const Extended& a, const Extended& b) {
        return a.id == b.id && detail::same_bytes(a.payload, b.payload);
    }
};

using Message =
    std::variant<KeepAlive, Choke, Unchoke, Interested, NotInterested, Have, Bitfield, Request, Piece, Cancel,
                 Port, HaveAll, HaveNone, SuggestPiece, RejectRequest, AllowedFast, Extended>;

// The wire ID of a message; nullopt for KeepAlive, which has none.
std::optional<MessageId> id_of(const Message& m) noexcept;
std::string_view name_of(const Message& m) noexcept;  // "choke", "piece", "keep-alive", ... for trace logs

// Bytes encode_to writes for `m`, length prefix included.
std::size_t encoded_size(const Message& m) noexcept;
// Writes the frame of `m` (encoded_size(m) bytes) at `out`; returns the end of what was written.
std::uint8_t* encode_to(const Message& m, std::uint8_t* out) noexcept;

template <class Buffer>
concept ByteBuffer = requires(Buffer& b, std::size_t n) {
    b.resize(n);
    { b.size() } -> std::convertible_to<std::size_t>;
    b.data();
}
&&sizeof(typename Buffer::value_type) == 1;

// Appends the frame of `m` to `out` (std::vector<std::uint8_t>, std::vector<std::byte>, std::string, ...).
template <ByteBuffer Buffer>
void encode(const Message& m, Buffer& out) {
    const auto old = out.size();
    out.resize(old + encoded_size(m));
    encode_to(m, reinterpret_cast<std::uint8_t*>(out.data() + old));
}

std::vector<std::uint8_t> to_bytes(const Message& m);

// Scatter/gather fast path for uploads: the 13 bytes that precede a PIECE message's block, so that the
// block itself can be written from the disk buffer without copying it into a send buffer.
std::array<std::uint8_t, kPieceHeaderSize> encode_piece_header(PieceIndex index, std::uint32_t begin,
                                                               std::uint32_t block_length) noexcept;

}  // namespace bt::wire
