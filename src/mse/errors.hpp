#pragma once
// Error codes of the MSE handshake, each naming the step that failed (spec/mse.md §8 lists the
// early-termination rules they implement).
#include <cstdint>
#include <system_error>

namespace bt::mse {

enum class Errc : std::uint8_t {
    invalid_params =
        1,  // our own Params are unusable (bad private key, pad > 512, IA > 68, no method, no SKEY)
    peer_key_invalid,  // the peer's Y is outside [2, P-2] (0, 1, P-1 or >= P)
    plaintext_reply,   // initiator: the peer answered Ya with a plain "\x13BitTorrent protocol" header
    req1_not_found,    // receiver: HASH('req1', S) did not start within 512 bytes after Ya (628 from start)
    unknown_skey,      // receiver: HASH('req2', SKEY) matches none of our torrents
    bad_vc,            // receiver: the decrypted verification constant is not 8 zero bytes
    vc_not_found,      // initiator: E_B(VC) did not start within 512 bytes after Yb (616 from start)
    no_common_method,  // receiver: crypto_provide shares no method with what we allow
    invalid_select,    // initiator: crypto_select is not exactly one method that we offered
    pad_too_long,      // len(PadC) or len(PadD) above 512
    ia_too_long,       // receiver: len(IA) above our limit (68 by default)
    handshake_incomplete,  // finish() before done()
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

}  // namespace bt::mse

template <>
struct std::is_error_code_enum<bt::mse::Errc> : std::true_type {};
