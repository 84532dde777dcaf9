#pragma once
// Errors of the tracker protocol code. A tracker that answers "failure reason" (HTTP) or action 3 (UDP)
// is not an error here: that is a response carrying the tracker's text, which the caller shows.
#include <cstdint>
#include <string>
#include <system_error>

namespace bt::tracker {

enum class Errc : std::uint8_t {
    malformed_bencode = 1,  // the HTTP body is not bencode
    not_a_dictionary,       // the HTTP body is bencode but not a dictionary
    invalid_field,          // a field we rely on has the wrong type or an impossible value
    invalid_peers,          // compact peers whose length is not a multiple of 6 (v4) or 18 (v6)
    packet_too_short,       // a UDP packet shorter than its action requires
    invalid_packet,         // a UDP packet with an unknown action, bad protocol id or stray bytes
    invalid_request,        // the caller asked for something the protocol cannot carry
    timed_out,              // a UDP transaction got no answer after its last retransmission
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

struct Error {
    Errc code;
    std::string detail;  // what was wrong and where, e.g. "peers: 13 bytes is not a multiple of 6"
    // "<code text>: <detail>"
    std::string message() const;
    std::error_code error_code() const { return make_error_code(code); }
};

}  // namespace bt::tracker

template <>
struct std::is_error_code_enum<bt::tracker::Errc> : std::true_type {};
