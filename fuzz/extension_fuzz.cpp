// BEP 10 extended handshake fuzz target: the input is the payload of extended message 0. Oracles:
//   - decoding never crashes or throws; an error is well formed (its kind matches its details);
//   - a decoded handshake re-encodes within the size bound, and that encoding decodes to the same values
//     and is canonical (encoding it again gives the same bytes);
//   - PeerExtensions stays within its bounds whatever handshakes it is given;
//   - the client name as logged (printable_client_name) carries no control characters.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "core/printable.hpp"
#include "wire/extension.hpp"

namespace {

using bt::wire::ExtensionHandshakeError;

void check(bool ok) {
    if (!ok) std::abort();
}

void check_error(const ExtensionHandshakeError& e, std::size_t size) {
    check(e.size == size);
    check(!e.message().empty());
    check((size > bt::wire::kMaxExtensionHandshakeSize) ==
          (e.kind == ExtensionHandshakeError::Kind::too_large));
    check(e.bencode_error.has_value() == (e.kind == ExtensionHandshakeError::Kind::bad_bencode));
    check(e.found_type.has_value() == (e.kind == ExtensionHandshakeError::Kind::not_a_dictionary));
    if (e.bencode_error) check(e.bencode_error->offset <= size);
}

void check_state(const bt::wire::PeerExtensions& p) {
    check(p.request_queue() >= 1);
    check(p.messages().size() <= bt::wire::kMaxExtensionMessages);
    check(p.client().size() <= bt::wire::kMaxClientNameSize);
    for (const auto& [name, id] : p.messages()) {
        check(id != 0);
        check(p.message_id(name) == id);
    }
    // The client name as logged: no control byte survives, every input byte shows as itself or as \xNN, and
    // the result is already printable (escaping it again changes nothing).
    const auto shown = bt::wire::printable_client_name(p.client());
    check(shown.size() >= p.client().size() && shown.size() <= 4 * p.client().size());
    check(std::none_of(shown.begin(), shown.end(), [](char c) { return (c >= 0 && c < 0x20) || c == 0x7F; }));
    check(bt::printable(shown) == shown);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto decoded = bt::wire::decode_extension_handshake(std::span<const std::uint8_t>(data, size));
    if (!decoded) {
        check_error(decoded.error(), size);
        return 0;
    }
    const auto& h = *decoded;
    check(h.messages.size() <= bt::wire::kMaxExtensionMessages);
    check(!h.client || h.client->size() <= bt::wire::kMaxClientNameSize);
    check(!h.request_queue || *h.request_queue >= 1);
    check(!h.listen_port || *h.listen_port >= 1);
    check(!h.metadata_size || *h.metadata_size >= 1);
    check(!h.ipv4 || h.ipv4->is_v4());
    check(!h.ipv6 || h.ipv6->is_v6());

    const std::string encoded = bt::wire::encode_extension_handshake(h);
    check(encoded.size() <= bt::wire::kMaxExtensionHandshakeSize);
    auto again = bt::wire::decode_extension_handshake(encoded);
    check(again.has_value());
    check(*again == h);
    check(bt::wire::encode_extension_handshake(*again) == encoded);

    // The same handshake twice (BEP 10 allows repeats), then one that disables everything it enabled.
    bt::wire::PeerExtensions peer;
    peer.apply(h);
    check_state(peer);
    peer.apply(h);
    check_state(peer);
    if (h.request_queue) check(peer.request_queue() == *h.request_queue);
    bt::wire::ExtensionHandshake off;
    for (const auto& [name, id] : h.messages) off.messages.emplace(name, 0);
    peer.apply(off);
    check_state(peer);
    for (const auto& [name, id] : h.messages) check(!peer.message_id(name).has_value());
    return 0;
}
