#include "wire/handshake.hpp"

#include <algorithm>
#include <cstring>

namespace bt::wire {
namespace {

std::uint8_t* write_handshake(const Handshake& h, std::uint8_t* out) noexcept {
    std::memcpy(out, kProtocolString.data(), kProtocolString.size());
    std::memcpy(out + kReservedOffset, h.reserved.data(), h.reserved.size());
    std::memcpy(out + kInfoHashOffset, h.info_hash.data(), h.info_hash.size());
    std::memcpy(out + kPeerIdOffset, h.peer_id.data(), h.peer_id.size());
    return out + kHandshakeSize;
}

template <class Buffer>
void append_handshake(const Handshake& h, Buffer& out) {
    const auto old = out.size();
    out.resize(old + kHandshakeSize);
    write_handshake(h, reinterpret_cast<std::uint8_t*>(out.data() + old));
}

}  // namespace

std::array<std::uint8_t, kHandshakeSize> encode_handshake(const Handshake& h) noexcept {
    std::array<std::uint8_t, kHandshakeSize> out{};
    write_handshake(h, out.data());
    return out;
}

void encode_handshake(const Handshake& h, std::vector<std::uint8_t>& out) {
    append_handshake(h, out);
}
void encode_handshake(const Handshake& h, std::string& out) {
    append_handshake(h, out);
}

Result<std::size_t> HandshakeParser::feed(std::span<const std::uint8_t> in) {
    if (error_) return fail(error_);
    const std::size_t take = std::min(in.size(), kHandshakeSize - received_);
    for (std::size_t i = 0; i < take; ++i) {
        const std::size_t at = received_ + i;
        if (at < kProtocolString.size() && in[i] != static_cast<std::uint8_t>(kProtocolString[at])) {
            error_ = make_error_code(Errc::bad_protocol_string);
            return fail(error_);
        }
    }
    std::copy_n(in.begin(), take, bytes_.begin() + static_cast<std::ptrdiff_t>(received_));
    received_ += take;
    return take;
}

Result<std::size_t> HandshakeParser::feed(std::string_view in) {
    return feed(std::span(reinterpret_cast<const std::uint8_t*>(in.data()), in.size()));
}

std::optional<Reserved> HandshakeParser::reserved() const noexcept {
    if (received_ < kInfoHashOffset) return std::nullopt;
    Reserved r;
    std::copy_n(bytes_.begin() + kReservedOffset, r.size(), r.begin());
    return r;
}

std::optional<InfoHashBytes> HandshakeParser::info_hash() const noexcept {
    if (received_ < kPeerIdOffset) return std::nullopt;
    InfoHashBytes h;
    std::copy_n(bytes_.begin() + kInfoHashOffset, h.size(), h.begin());
    return h;
}

std::optional<Handshake> HandshakeParser::handshake() const noexcept {
    if (!is_complete()) return std::nullopt;
    Handshake h;
    h.reserved = *reserved();
    h.info_hash = *info_hash();
    std::copy_n(bytes_.begin() + kPeerIdOffset, h.peer_id.size(), h.peer_id.begin());
    return h;
}

}  // namespace bt::wire
