#include "net/errors.hpp"

#include "core/error_category.hpp"

namespace bt::net {
namespace {

const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::connect_failed:
            return "connect failed";
        case Errc::connect_timeout:
            return "connect timeout";
        case Errc::handshake_timeout:
            return "handshake timeout";
        case Errc::closed_during_handshake:
            return "closed during handshake";
        case Errc::handshake_error:
            return "handshake";
        case Errc::handshake_timeout_before_key:
            return "handshake timeout before key";
        case Errc::not_bittorrent:
            return "not a BitTorrent handshake";
        case Errc::wrong_info_hash:
            return "handshake for another torrent";
        case Errc::unknown_info_hash:
            return "unknown torrent";
        case Errc::plaintext_refused:
            return "plaintext refused (encryption required)";
        case Errc::mse_refused:
            return "mse refused (encryption disabled)";
        case Errc::mse_closed_during_handshake:
            return "mse: closed during handshake";
        case Errc::mse_handshake_timeout:
            return "mse: handshake timeout";
        case Errc::mse_handshake_error:
            return "mse: handshake";
        case Errc::mse_timeout_before_ya:
            return "mse: timeout before Ya";
        case Errc::mse_invalid_public_key:
            return "mse: invalid public key";
        case Errc::mse_plaintext_reply:
            return "mse: peer answered in plaintext";
        case Errc::mse_no_sync:
            return "mse: no sync within bound";
        case Errc::mse_unknown_torrent:
            return "mse: unknown torrent";
        case Errc::mse_bad_vc:
            return "mse: bad VC";
        case Errc::mse_no_common_method:
            return "mse: no common method";
        case Errc::mse_invalid_select:
            return "mse: invalid crypto_select";
        case Errc::mse_pad_too_long:
            return "mse: pad too long";
        case Errc::mse_ia_too_long:
            return "mse: initial payload too long";
        case Errc::mse_error:
            return "mse";
    }
    return nullptr;
}

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory<Errc> category("bt.net", describe, "unknown net error");
    return category;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

bool is_timeout(const std::error_code& ec) noexcept {
    return ec == Errc::connect_timeout || ec == Errc::handshake_timeout ||
           ec == Errc::handshake_timeout_before_key || ec == Errc::mse_handshake_timeout ||
           ec == Errc::mse_timeout_before_ya;
}

}  // namespace bt::net
