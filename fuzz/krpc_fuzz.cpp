// KRPC datagrams (BEP 5). Oracles: decode never crashes or throws; a refusal is always error 203 and invites
// a reply only with a transaction id of bounded size; whatever decodes re-encodes to canonical bencode
// (strictly decodable, sorted keys) that decodes, under the same limits, to the same Message; and re-encoding
// that message gives the same bytes again.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bencode/decode.hpp"
#include "bencode/encode.hpp"
#include "dht/krpc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view datagram(reinterpret_cast<const char*>(data), size);
    bt::dht::Limits limits;
    limits.max_values = 16;  // small, so the bound is exercised
    auto message = bt::dht::decode(datagram, limits);
    if (!message) {
        const auto& error = message.error();
        if (error.code != bt::dht::ErrorCode::protocol || error.text.empty()) std::abort();
        if (error.reply_to && error.reply_to->size() > bt::dht::kMaxTransactionIdSize) std::abort();
        return 0;
    }
    if (const auto* response = std::get_if<bt::dht::Response>(&message->body)) {
        if (response->values && response->values->size() > limits.max_values) std::abort();
    }

    const std::string encoded = bt::dht::encode(*message);
    auto canonical = bt::bencode::decode(encoded);  // strict: sorted keys
    if (!canonical || bt::bencode::encode(*canonical) != encoded) std::abort();

    auto again = bt::dht::decode(encoded, limits);
    if (!again || !(*again == *message)) std::abort();
    if (bt::dht::encode(*again) != encoded) std::abort();
    return 0;
}
