#include "wire/errors.hpp"

#include <string>

#include "core/error_category.hpp"

namespace bt::wire {
namespace {

const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::bad_protocol_string:
            return "handshake protocol string is not 'BitTorrent protocol'";
        case Errc::message_too_long:
            return "message length exceeds the bound for its type";
        case Errc::bad_length_for_type:
            return "message length does not match its type";
        case Errc::bad_bitfield_length:
            return "bitfield length does not match the piece count";
        case Errc::piece_index_out_of_range:
            return "piece index out of range";
        case Errc::request_too_large:
            return "requested block larger than 16 KiB";
        case Errc::empty_block:
            return "zero-length block";
    }
    return nullptr;
}

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory<Errc> category("wire", describe, "unknown wire error");
    return category;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace bt::wire
