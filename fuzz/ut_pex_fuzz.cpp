// BEP 11 ut_pex fuzz target: the input is the payload of a ut_pex extended message. Oracles:
//   - decoding never crashes or throws; an error names ut_pex;
//   - a decoded message holds at most kMaxPexEntriesRead added and dropped peers per list, none with port 0;
//   - its encoding (at most kMaxPexEntries per list) decodes back to what was encoded;
//   - PexState, fed the added peers as our connected ones, never tells more than the limits allow.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "swarm/pex.hpp"
#include "wire/ut_pex.hpp"

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto decoded = bt::wire::decode_pex_message(std::span<const std::uint8_t>(data, size));
    if (!decoded) {
        check(decoded.error().find("ut_pex") != std::string::npos);
        return 0;
    }
    const auto& m = *decoded;
    check(m.added.size() <= 2 * bt::wire::kMaxPexEntriesRead);
    check(m.dropped.size() <= 2 * bt::wire::kMaxPexEntriesRead);
    for (const auto& p : m.added) check(p.endpoint.port != 0);
    for (const auto& e : m.dropped) check(e.port != 0);

    // What we send is at most 50 per list: the encoding of the first 50 of each decodes to exactly those.
    const std::string encoded = bt::wire::encode_pex_message(m);
    check(encoded.size() <= bt::wire::kMaxPexMessageSize);
    auto again = bt::wire::decode_pex_message(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()));
    check(again.has_value());
    check(again->added.size() <= 2 * bt::wire::kMaxPexEntries);
    check(bt::wire::encode_pex_message(*again) == encoded);

    bt::swarm::PexState pex;
    const auto now = bt::swarm::PexState::Clock::now();
    if (auto first = pex.next(m.added, now)) check(first->added.size() <= 2 * bt::wire::kMaxPexEntries);
    check(!pex.next(m.added, now));  // within the minute
    return 0;
}
