#pragma once
// Announces to and scrapes one tracker, whatever its transport: http:// and https:// go through the HTTP
// client (BEP 3, 23, 7, 48), udp:// through an asio UDP socket driving the pure
// tracker::UdpTrackerTransaction (BEP 15, with the BEP 41 URL data). Both give the same
// tracker::AnnounceResponse (or tracker::ScrapeResponse).
//
// Every failure is one printable line that starts with the tracker, e.g.
//   "udp://tracker.example:6969: timed out after 30 s"
//   "udp://tracker.example:6969: tracker error: unregistered torrent"   (UDP action 3, HTTP failure reason)
//   "http://t.example/announce: malformed reply: invalid compact peer list: ..."
// A udp:// tracker is named without its path and query (they may carry a passkey). Text from the
// tracker is passed through tracker::display_text (no control characters, at most 200 bytes).
//
// UDP details: the host is resolved asynchronously (an IP literal is used as is), and each address is
// tried in turn (IPv4 and IPv6) until one answers or the time is up. Datagrams go through a net::UdpMux:
// the session's (options.udp_mux, one socket per family on the peer port, shared by every torrent and the
// DHT), or a private one opened for this announce. The transaction claims the replies from the tracker's
// address carrying its transaction id; anything else never reaches it (other senders, other transaction
// ids, both checked again by the transaction). Retransmissions follow BEP 15 (15 s * 2^n) but the whole
// announce never runs past options.timeout. Connection ids are cached per tracker address for 60 s
// (BEP 15) in a process-wide cache, and dropped when a request using one fails. An ICMP "port
// unreachable" for the tracker's address ends the attempt on that address at once ("connection refused").
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "tracker/types.hpp"
#include "tracker/udp_connection_cache.hpp"

namespace bt::net {

class UdpMux;  // net/udp_mux.hpp

struct TrackerOptions {
    // The whole announce: name resolution, every retransmission, the HTTP transfer.
    std::chrono::milliseconds timeout{30'000};
    std::string user_agent;  // HTTP only
    std::size_t max_http_body = 4 * 1024 * 1024;
    std::chrono::milliseconds udp_base_timeout{15'000};  // BEP 15: 15 s; tests use less
    tracker::ResponseLimits limits;
    // Where UDP connection ids are kept; nullptr: the process-wide cache (thread-safe).
    tracker::UdpConnectionCache* udp_connections = nullptr;
    // The session's UDP endpoint, shared: the session may replace it (a new listen port) while an announce
    // is in flight. Null: each UDP announce opens a private one.
    std::shared_ptr<UdpMux> udp_mux;
    // HTTP only: set to true, an announce in flight is abandoned (see HttpOptions::cancel).
    const std::atomic<bool>* cancel = nullptr;
};

// `http_pool` runs the blocking libcurl transfers; UDP runs on the caller's executor. Never throws for
// network or tracker trouble. A tracker's "failure reason" (HTTP) or error action (UDP) is an error
// here; a "warning message" stays in the response (made printable).
asio::awaitable<Result<tracker::AnnounceResponse, std::string>> announce(asio::any_io_executor http_pool,
                                                                         std::string url,
                                                                         tracker::AnnounceRequest request,
                                                                         TrackerOptions options);

// The UDP and HTTP paths on their own (announce() dispatches on the scheme).
asio::awaitable<Result<tracker::AnnounceResponse, std::string>> announce_udp(std::string url,
                                                                             tracker::AnnounceRequest request,
                                                                             TrackerOptions options);
asio::awaitable<Result<tracker::AnnounceResponse, std::string>> announce_http(
    asio::any_io_executor http_pool, std::string url, tracker::AnnounceRequest request,
    TrackerOptions options);

// Why a tracker gave no answer, in two parts so that a caller can lay them out (`bitveil info --scrape`).
struct TrackerFailure {
    std::string tracker;  // as error lines name it: the URL, made printable; a udp:// one without its path
    std::string reason;   // e.g. "timed out after 30 s", "tracker error: unregistered torrent"
    // The tracker cannot be asked at all: a scheme we do not speak, a malformed udp:// URL, or (scrape) an
    // http(s):// URL whose last path segment is not "announce" (BEP 48).
    bool unsupported = false;
    // "<tracker>: <reason>", the line announce() gives.
    std::string line() const;
};

// Scrapes `info_hashes` (1 to tracker::kUdpMaxScrapeHashes) from the tracker whose announce URL is `url`:
// udp:// through BEP 15's scrape action (the same socket, connection-id cache, retransmissions and time
// bound as an announce), http(s):// through the scrape URL BEP 48 derives from it, with the same HTTP
// client, timeout and body limit. The response holds an entry for each hash the tracker answered (none
// for a torrent it does not track); its failure_reason is never set: the tracker's refusal (HTTP
// "failure reason", UDP error action) is a TrackerFailure "tracker error: ...".
using ScrapeReply = Result<tracker::ScrapeResponse, TrackerFailure>;
asio::awaitable<ScrapeReply> scrape(asio::any_io_executor http_pool, std::string url,
                                    std::vector<tracker::InfoHashBytes> info_hashes, TrackerOptions options);

// "30 s", "1.5 s", "200 ms": how error lines name a timeout.
std::string describe_duration(std::chrono::milliseconds duration);

}  // namespace bt::net
