#pragma once
// The UDP tracker protocol (BEP 15) as a pure codec: both directions, so that the client and in-process
// tracker stubs share it. All integers are big-endian. Layouts (offset: field):
//
//   connect request   0: u64 protocol id 0x41727101980   8: u32 action 0   12: u32 transaction id      (16)
//   connect response  0: u32 action 0   4: u32 transaction id   8: u64 connection id                  (16)
//   announce request  0: u64 connection id  8: u32 action 1  12: u32 transaction id  16: info_hash[20]
//                     36: peer_id[20]  56: u64 downloaded  64: u64 left  72: u64 uploaded  80: u32 event
//                     84: u32 ip (0)  88: u32 key  92: i32 num_want (-1 = default)  96: u16 port      (98)
//                     then BEP 41 options: 0x0 end, 0x1 nop, 0x2 <len> <url data> (others: <len> <data>)
//   announce response 0: u32 action 1  4: u32 transaction id  8: i32 interval  12: u32 leechers
//                     16: u32 seeders  20: peers, 6 bytes each (IPv4) or 18 bytes each (IPv6)       (20+)
//   scrape request    0: u64 connection id  8: u32 action 2  12: u32 transaction id  16: info_hash[20]*n
//   scrape response   0: u32 action 2  4: u32 transaction id  8: (u32 seeders, completed, leechers)*n
//   error response    0: u32 action 3  4: u32 transaction id  8: message (the rest of the packet)
//
// BEP 15 on IPv6: the announce response has the same layout, but its peers are 18 bytes each when the
// request went to the tracker over IPv6; the address family of the socket decides, nothing in the packet.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "tracker/error.hpp"
#include "tracker/types.hpp"

namespace bt::tracker {

inline constexpr std::uint64_t kUdpProtocolId = 0x41727101980ULL;
enum class UdpAction : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

inline constexpr std::size_t kUdpConnectRequestSize = 16;
inline constexpr std::size_t kUdpConnectResponseSize = 16;
inline constexpr std::size_t kUdpAnnounceRequestSize = 98;
inline constexpr std::size_t kUdpAnnounceResponseHeaderSize = 20;
inline constexpr std::size_t kUdpScrapeRequestHeaderSize = 16;
inline constexpr std::size_t kUdpScrapeResponseHeaderSize = 8;
inline constexpr std::size_t kUdpScrapeEntrySize = 12;
inline constexpr std::size_t kUdpErrorHeaderSize = 8;
// BEP 15: "Up to about 74 torrents can be scraped at once."
inline constexpr std::size_t kUdpMaxScrapeHashes = 74;
static_assert(kUdpAnnounceRequestSize == 8 + 4 + 4 + 20 + 20 + 8 + 8 + 8 + 4 + 4 + 4 + 4 + 2);

// BEP 15 numbers events differently from their HTTP order: none 0, completed 1, started 2, stopped 3.
std::uint32_t udp_event_id(Event event) noexcept;
std::optional<Event> event_from_udp_id(std::uint32_t id) noexcept;

struct UdpConnectRequest {
    std::uint32_t transaction_id = 0;
    friend bool operator==(const UdpConnectRequest&, const UdpConnectRequest&) = default;
};
struct UdpAnnounceRequest {
    std::uint64_t connection_id = 0;
    std::uint32_t transaction_id = 0;
    // Carried: info_hash, peer_id, port, uploaded, downloaded, left, event, numwant (unset = -1), key.
    // The HTTP-only fields (compact, tracker_id, supportcrypto, requirecrypto) are not sent.
    AnnounceRequest request;
    std::uint32_t ip = 0;  // "0 = default": the tracker uses the packet's source address
    std::string url_data;  // BEP 41 URL data (path and query of the udp:// URL); empty: no option
    friend bool operator==(const UdpAnnounceRequest&, const UdpAnnounceRequest&) = default;
};
struct UdpScrapeRequest {
    std::uint64_t connection_id = 0;
    std::uint32_t transaction_id = 0;
    std::vector<InfoHashBytes> info_hashes;
    friend bool operator==(const UdpScrapeRequest&, const UdpScrapeRequest&) = default;
};
using UdpRequest = std::variant<UdpConnectRequest, UdpAnnounceRequest, UdpScrapeRequest>;

struct UdpConnectResponse {
    std::uint32_t transaction_id = 0;
    std::uint64_t connection_id = 0;
    friend bool operator==(const UdpConnectResponse&, const UdpConnectResponse&) = default;
};
struct UdpAnnounceResponse {
    std::uint32_t transaction_id = 0;
    std::int32_t interval = 0;  // raw; see to_announce_response for the checks
    std::uint32_t leechers = 0;
    std::uint32_t seeders = 0;
    std::vector<Endpoint> peers;    // all of one family; port-0 entries kept as sent
    std::size_t dropped_peers = 0;  // entries beyond the parser's max_peers
    friend bool operator==(const UdpAnnounceResponse&, const UdpAnnounceResponse&) = default;
};
struct UdpScrapeResponse {
    std::uint32_t transaction_id = 0;
    std::vector<ScrapeStats> entries;  // in request order: seeders -> complete, completed -> downloaded,
                                       // leechers -> incomplete
    friend bool operator==(const UdpScrapeResponse&, const UdpScrapeResponse&) = default;
};
struct UdpErrorResponse {
    std::uint32_t transaction_id = 0;
    std::string message;
    friend bool operator==(const UdpErrorResponse&, const UdpErrorResponse&) = default;
};
using UdpResponse =
    std::variant<UdpConnectResponse, UdpAnnounceResponse, UdpScrapeResponse, UdpErrorResponse>;

// Encoders. A URL data longer than 255 bytes is split over several 0x2 options, as BEP 41 allows.
// Announce responses write each peer in its own compact form; keep them to the socket's family.
std::vector<std::uint8_t> encode_udp_request(const UdpRequest& request);
std::vector<std::uint8_t> encode_udp_response(const UdpResponse& response);

// Tracker side. Errors: packet_too_short, invalid_packet (bad protocol id, unknown action or event,
// scrape hashes not a multiple of 20 or none). Options after the announce are read leniently: a truncated
// or unknown option ends them.
Result<UdpRequest, Error> parse_udp_request(std::span<const std::uint8_t> packet);

// Client side. `family` is the family of the socket the request went out on (see above). Errors:
// packet_too_short, invalid_packet (unknown action, scrape entries not a multiple of 12), invalid_peers.
// A connect response may carry extra bytes (ignored); peers beyond max_peers are counted, not kept.
Result<UdpResponse, Error> parse_udp_response(std::span<const std::uint8_t> packet, Endpoint::Family family,
                                              std::size_t max_peers = ResponseLimits{}.max_peers);

// The transaction id of a tracker response (bytes 4-7), to route it; nullopt when shorter than 8 bytes.
std::optional<std::uint32_t> udp_response_transaction_id(std::span<const std::uint8_t> packet) noexcept;

// The common response: interval clamped as for HTTP (negative is invalid_field), seeders -> complete,
// leechers -> incomplete, port-0 peers counted in invalid_peers, at most limits.max_peers kept.
Result<AnnounceResponse, Error> to_announce_response(const UdpAnnounceResponse& response,
                                                     const ResponseLimits& limits = {});

}  // namespace bt::tracker
