#pragma once
// Error codes of the peer-wire codec (handshake parser and message reader).
#include <cstdint>
#include <system_error>

namespace bt::wire {

enum class Errc : std::uint8_t {
    bad_protocol_string = 1,  // handshake does not start with "\x13BitTorrent protocol"
    message_too_long,         // length prefix above the bound for its message type (or for any message)
    bad_length_for_type,      // a fixed-size message of the wrong size, or a message too short for its fields
    bad_bitfield_length,      // BITFIELD payload is not ceil(num_pieces / 8) bytes
    piece_index_out_of_range,  // piece index >= num_pieces
    request_too_large,         // REQUEST / CANCEL / REJECT for more than 16 KiB (BEP 3)
    empty_block,               // REQUEST / CANCEL / REJECT for 0 bytes, or PIECE without data
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

}  // namespace bt::wire

template <>
struct std::is_error_code_enum<bt::wire::Errc> : std::true_type {};
