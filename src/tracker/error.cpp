#include "tracker/error.hpp"

#include "core/error_category.hpp"

namespace bt::tracker {

namespace {

const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::malformed_bencode:
            return "tracker response is not valid bencode";
        case Errc::not_a_dictionary:
            return "tracker response is not a dictionary";
        case Errc::invalid_field:
            return "invalid field in tracker response";
        case Errc::invalid_peers:
            return "invalid compact peer list";
        case Errc::packet_too_short:
            return "UDP tracker packet too short";
        case Errc::invalid_packet:
            return "invalid UDP tracker packet";
        case Errc::invalid_request:
            return "invalid tracker request";
        case Errc::timed_out:
            return "tracker did not answer";
    }
    return nullptr;
}

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory<Errc> category("tracker", describe, "unknown tracker error");
    return category;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

std::string Error::message() const {
    std::string out = make_error_code(code).message();
    if (!detail.empty()) out += ": " + detail;
    return out;
}

}  // namespace bt::tracker
