#pragma once
// Peer exchange messages (BEP 11, ut_pex), sent as extended messages (BEP 10).
// https://www.bittorrent.org/beps/bep_0011.html
//
// The payload is a bencoded dictionary of compact address lists (BEP 23 forms: 6 bytes per IPv4 peer,
// 18 per IPv6 peer) with one flags byte per added peer:
//   added / added.f / dropped        IPv4
//   added6 / added6.f / dropped6     IPv6
// BEP 11: "each message can contain up to 50 added and 50 dropped peers": we send at most that per list.
// libtorrent sends up to 100 added (and more dropped), so a list is read up to kMaxPexEntriesRead entries
// and the rest ignored; only a malformed message is refused. A flags string shorter than its list gives
// the missing peers no flags.
// Port 0 entries are skipped (nobody listens there). Other keys are ignored (BEP 10).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace bt::wire {

inline constexpr const char* kPexExtensionName = "ut_pex";
inline constexpr std::size_t kMaxPexEntries = 50;       // per list we send, as BEP 11 allows
inline constexpr std::size_t kMaxPexEntriesRead = 100;  // per list we read
// The extended-message bound of the frame reader (wire::kDefaultMaxExtendedPayload).
inline constexpr std::size_t kMaxPexMessageSize = 64 * 1024;

// BEP 11 flags of an added peer.
inline constexpr std::uint8_t kPexPrefersEncryption = 0x01;
inline constexpr std::uint8_t kPexSeed = 0x02;
inline constexpr std::uint8_t kPexUtp = 0x04;
inline constexpr std::uint8_t kPexHolepunch = 0x08;
inline constexpr std::uint8_t kPexReachable = 0x10;  // "outgoing": the sender connected to it

struct PexPeer {
    Endpoint endpoint;
    std::uint8_t flags = 0;
    friend bool operator==(const PexPeer&, const PexPeer&) = default;
};

struct PexMessage {
    std::vector<PexPeer> added;     // IPv4 then IPv6
    std::vector<Endpoint> dropped;  // IPv4 then IPv6
    friend bool operator==(const PexMessage&, const PexMessage&) = default;
};

// One line when the payload is not a PEX message (too large, not a dictionary, a list that is not a
// string of whole entries).
Result<PexMessage, std::string> decode_pex_message(std::span<const std::uint8_t> payload);
// At most kMaxPexEntries per list and family are written; the caller sends the rest later.
std::string encode_pex_message(const PexMessage& message);

}  // namespace bt::wire
