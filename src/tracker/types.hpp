#pragma once
// Values shared by the HTTP (BEP 3, 23, 7, 48) and UDP (BEP 15) tracker protocols. The session fills an
// AnnounceRequest once and gets the same AnnounceResponse back from either transport.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/endpoint.hpp"

namespace bt::tracker {

using InfoHashBytes = std::array<std::uint8_t, 20>;  // the same type as crypto::Sha1Digest
using PeerId = std::array<std::uint8_t, 20>;

enum class Event : std::uint8_t { none, started, completed, stopped };
// The HTTP spelling: "" for none, else "started", "completed", "stopped".
std::string_view event_name(Event event) noexcept;

struct AnnounceRequest {
    InfoHashBytes info_hash{};
    PeerId peer_id{};
    std::uint16_t port = 0;  // our listen port
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    std::uint64_t left = 0;
    Event event = Event::none;
    std::optional<std::uint32_t> numwant;   // unset: the tracker's default (UDP sends -1)
    std::uint32_t key = 0;                  // BEP 7: stays the same for the whole session
    bool compact = true;                    // HTTP only: ask for BEP 23 compact peers
    std::optional<std::string> tracker_id;  // HTTP only: echo of a previous response's "tracker id"
    // HTTP only: the tracker extension of the MSE spec. requirecrypto implies supportcrypto.
    bool supportcrypto = false;
    bool requirecrypto = false;

    friend bool operator==(const AnnounceRequest&, const AnnounceRequest&) = default;
};

struct Peer {
    Endpoint endpoint;
    std::optional<PeerId> peer_id;  // only the dictionary form of HTTP responses carries one
    friend bool operator==(const Peer&, const Peer&) = default;
};

// Interval defaults and clamps applied to whatever a tracker says, HTTP or UDP.
inline constexpr std::chrono::seconds kDefaultInterval{1800};  // when an HTTP response has no "interval"
inline constexpr std::size_t kMaxTrackerIdSize = 256;  // a longer "tracker id" is ignored (it goes into URLs)

struct ResponseLimits {
    // Valid peers beyond this are dropped (and counted). Memory is bounded by the body too: the HTTP client
    // must cap the body size (4 MiB is plenty: 10,000 compact v6 peers take 180 KB).
    std::size_t max_peers = 10'000;
    // "interval" is clamped into [interval_floor, interval_ceiling]: 0 or a few seconds would make us
    // hammer the tracker, and 2^62 seconds would overflow time arithmetic. "min interval" is clamped into
    // [0, interval_ceiling]. Negative values are errors.
    std::chrono::seconds interval_floor{60};
    std::chrono::seconds interval_ceiling{std::chrono::hours(24)};
    // Bencode limits for the HTTP body: bound the decoder's memory whatever the tracker sends.
    std::size_t max_bencode_values = 200'000;
    std::size_t max_bencode_depth = 32;
    // HTTP scrape replies (BEP 48): entries kept when the caller does not name the info-hashes it wants
    // (a tracker may answer with every torrent it has). With wanted hashes, only those are kept.
    std::size_t max_scrape_files = 1'000;
};

struct AnnounceResponse {
    // Set when the tracker refused the announce; then only warning_message and retry_in are meaningful.
    std::optional<std::string> failure_reason;
    // BEP 31, with a failure: retry after this long; retry_never when the tracker said "never".
    std::optional<std::chrono::minutes> retry_in;
    bool retry_never = false;

    std::optional<std::string> warning_message;
    std::chrono::seconds interval = kDefaultInterval;  // clamped, see ResponseLimits
    std::optional<std::chrono::seconds> min_interval;  // clamped, see ResponseLimits
    std::optional<std::string> tracker_id;
    // Seeders, leechers and completed downloads as the tracker counts them; negative values are dropped,
    // values above 2^32-1 saturate.
    std::optional<std::uint32_t> complete;
    std::optional<std::uint32_t> incomplete;
    std::optional<std::uint32_t> downloaded;

    std::vector<Peer> peers;        // v4 ("peers") then v6 ("peers6"), in the tracker's order
    std::size_t invalid_peers = 0;  // entries skipped: not an IP literal (host names included), port 0, ...
    std::size_t dropped_peers = 0;  // valid entries beyond ResponseLimits::max_peers

    friend bool operator==(const AnnounceResponse&, const AnnounceResponse&) = default;
};

struct ScrapeStats {
    std::uint32_t complete = 0;    // seeders
    std::uint32_t downloaded = 0;  // completed downloads ever
    std::uint32_t incomplete = 0;  // leechers
    friend bool operator==(const ScrapeStats&, const ScrapeStats&) = default;
};

struct ScrapeResponse {
    // Set when the tracker refused the scrape (HTTP "failure reason", UDP action 3); nothing else is then
    // set.
    std::optional<std::string> failure_reason;
    std::vector<std::pair<InfoHashBytes, ScrapeStats>> files;  // HTTP: sorted by hash; UDP: request order
    // HTTP only (BEP 48 "flags"): do not scrape again sooner than this; clamped into [0, interval_ceiling].
    std::optional<std::chrono::seconds> min_request_interval;
    std::size_t dropped_files = 0;  // HTTP only: entries not kept (not asked for, or beyond max_scrape_files)

    // The numbers for `info_hash`; nullptr when the tracker gave none (a torrent it does not track).
    const ScrapeStats* find(const InfoHashBytes& info_hash) const noexcept {
        for (const auto& [hash, stats] : files) {
            if (hash == info_hash) return &stats;
        }
        return nullptr;
    }
    friend bool operator==(const ScrapeResponse&, const ScrapeResponse&) = default;
};

}  // namespace bt::tracker
