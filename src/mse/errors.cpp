#include "mse/errors.hpp"

#include <string>

#include "core/error_category.hpp"

namespace bt::mse {
namespace {

const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::invalid_params:
            return "invalid MSE handshake parameters";
        case Errc::peer_key_invalid:
            return "peer's Diffie-Hellman key is degenerate";
        case Errc::plaintext_reply:
            return "peer answered with a plaintext BitTorrent handshake";
        case Errc::req1_not_found:
            return "MSE sync: req1 hash not found within 628 bytes";
        case Errc::unknown_skey:
            return "MSE: unknown info-hash (SKEY)";
        case Errc::bad_vc:
            return "MSE: verification constant is not zero";
        case Errc::vc_not_found:
            return "MSE sync: verification constant not found within 616 bytes";
        case Errc::no_common_method:
            return "MSE: no common crypto method";
        case Errc::invalid_select:
            return "MSE: crypto_select is not a single offered method";
        case Errc::pad_too_long:
            return "MSE: padding longer than 512 bytes";
        case Errc::ia_too_long:
            return "MSE: initial payload too long";
        case Errc::handshake_incomplete:
            return "MSE handshake not finished";
    }
    return nullptr;
}

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory<Errc> category("bt.mse", describe, "unknown MSE error");
    return category;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace bt::mse
