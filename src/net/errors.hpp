#pragma once
// Error codes of net's peer connections: why an outgoing connect or a handshake (plaintext or MSE, either
// direction) failed. Each message is the short, stable reason that the logs and the --stats-json counters
// ("connections_closed", "incoming_handshake_failures") show, so the texts must not change.
#include <cstdint>
#include <system_error>

namespace bt::net {

enum class Errc : std::uint8_t {
    connect_failed = 1,            // the TCP connect failed (refused, unreachable, ...)
    connect_timeout,               // the connect deadline closed the socket
    handshake_timeout,             // the handshake deadline closed the socket
    closed_during_handshake,       // EOF or reset before the handshake ended
    handshake_error,               // another socket error: "handshake: <cause>"
    handshake_timeout_before_key,  // incoming: the socket ended after 1-19 bytes, too few to tell MSE from
                                   // plain
    not_bittorrent,                // the peer's bytes are not a BitTorrent handshake
    wrong_info_hash,               // outgoing: the peer answered for another torrent
    unknown_info_hash,             // incoming: the peer asked for a torrent we do not serve
    plaintext_refused,             // incoming plaintext under --encryption require
    mse_refused,                   // incoming MSE under --encryption disable
    // MSE: the socket failed while reading the peer's MSE bytes.
    mse_closed_during_handshake,
    mse_handshake_timeout,
    mse_handshake_error,    // another socket error: "mse: handshake: <cause>"
    mse_timeout_before_ya,  // incoming: the socket ended before the 96 bytes of the peer's key
    // MSE: the peer broke the protocol (the mse::Errc cause says which rule).
    mse_invalid_public_key,
    mse_plaintext_reply,
    mse_no_sync,  // req1 (628 bytes) or VC (616 bytes) not found within its bound
    mse_unknown_torrent,
    mse_bad_vc,
    mse_no_common_method,
    mse_invalid_select,
    mse_pad_too_long,
    mse_ia_too_long,
    mse_error,  // any other MSE error: "mse: <cause>"
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

// A deadline ended it: connect_timeout, handshake_timeout, handshake_timeout_before_key,
// mse_handshake_timeout or mse_timeout_before_ya.
bool is_timeout(const std::error_code& ec) noexcept;

}  // namespace bt::net

template <>
struct std::is_error_code_enum<bt::net::Errc> : std::true_type {};
