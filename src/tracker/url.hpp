#pragma once
// Tracker URLs: the HTTP announce query (BEP 3, with BEP 7 key and BEP 23 compact), scrape URL derivation
// (BEP 48), the scrape query, and udp:// URLs (BEP 15, with the BEP 41 URL data).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tracker/types.hpp"

namespace bt::tracker {

// RFC 3986: unreserved characters (A-Z a-z 0-9 - . _ ~) stay, every other byte becomes %XX (upper case).
std::string percent_encode(std::string_view bytes);
std::string percent_encode(std::span<const std::uint8_t> bytes);

// announce_url + "?info_hash=..&peer_id=..&port=..&uploaded=..&downloaded=..&left=..[&event=..][&numwant=..]
// &key=XXXXXXXX&compact=1[&trackerid=..][&supportcrypto=1][&requirecrypto=1]". An existing query is kept
// and extended with '&' (nothing is added after a trailing '?' or '&'). A fragment is never sent to a
// server (RFC 3986 section 3.5), so it is dropped. key is sent as 8 upper-case hex digits.
std::string build_announce_url(std::string_view announce_url, const AnnounceRequest& request);

// BEP 48: the last path segment must start with "announce", which becomes "scrape"; the rest of the URL
// (".php", the query) stays. nullopt when that is not possible or the URL is not http(s).
std::optional<std::string> scrape_url_from_announce(std::string_view announce_url);
// Whether a tracker can be scraped at all: a valid udp:// URL (BEP 15 action 2), or an http(s):// one
// for which scrape_url_from_announce gives a URL.
bool can_scrape(std::string_view announce_url);
// scrape_url + "?info_hash=..&info_hash=..", with the same query rules as build_announce_url.
std::string build_scrape_url(std::string_view scrape_url, std::span<const InfoHashBytes> info_hashes);

struct UdpTrackerUrl {
    std::string host;  // a name or an address literal, without brackets
    std::uint16_t port = 0;
    std::string url_data;  // BEP 41: path and query, e.g. "/announce?passkey=x"; empty when absent
    friend bool operator==(const UdpTrackerUrl&, const UdpTrackerUrl&) = default;
};
// "udp://host:port[/path][?query]"; the port is required (1-65535). nullopt otherwise.
std::optional<UdpTrackerUrl> parse_udp_tracker_url(std::string_view url);

}  // namespace bt::tracker
