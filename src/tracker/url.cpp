#include "tracker/url.hpp"

#include <algorithm>

namespace bt::tracker {

namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (lower(text[i]) != prefix[i]) return false;
    }
    return true;
}

// Everything before the fragment, which is never sent to a server.
std::string_view without_fragment(std::string_view url) {
    return url.substr(0, url.find('#'));
}

// Starts a query on `url` (fragment dropped): '?' when there is none yet, '&' after an existing one.
std::string start_query(std::string_view url) {
    std::string out(without_fragment(url));
    if (out.find('?') == std::string::npos) {
        out.push_back('?');
    } else if (out.back() != '?' && out.back() != '&') {
        out.push_back('&');
    }
    return out;
}

void append_param(std::string& out, bool& first, std::string_view name, std::string_view value) {
    if (!first) out.push_back('&');
    first = false;
    out += name;
    out.push_back('=');
    out += value;
}

std::string hex32(std::uint32_t v) {
    std::string out(8, '0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = kUpperHex[v & 0xf];
        v >>= 4;
    }
    return out;
}

}  // namespace

std::string_view event_name(Event event) noexcept {
    switch (event) {
        case Event::none:
            return "";
        case Event::started:
            return "started";
        case Event::completed:
            return "completed";
        case Event::stopped:
            return "stopped";
    }
    return "";
}

std::string percent_encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 3);
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kUpperHex[c >> 4]);
            out.push_back(kUpperHex[c & 0xf]);
        }
    }
    return out;
}

std::string percent_encode(std::span<const std::uint8_t> bytes) {
    return percent_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string build_announce_url(std::string_view announce_url, const AnnounceRequest& r) {
    std::string out = start_query(announce_url);
    bool first = true;
    append_param(out, first, "info_hash", percent_encode(r.info_hash));
    append_param(out, first, "peer_id", percent_encode(r.peer_id));
    append_param(out, first, "port", std::to_string(r.port));
    append_param(out, first, "uploaded", std::to_string(r.uploaded));
    append_param(out, first, "downloaded", std::to_string(r.downloaded));
    append_param(out, first, "left", std::to_string(r.left));
    if (r.event != Event::none) append_param(out, first, "event", event_name(r.event));
    if (r.numwant) append_param(out, first, "numwant", std::to_string(*r.numwant));
    append_param(out, first, "key", hex32(r.key));
    if (r.compact) append_param(out, first, "compact", "1");
    if (r.tracker_id) append_param(out, first, "trackerid", percent_encode(*r.tracker_id));
    if (r.supportcrypto || r.requirecrypto) append_param(out, first, "supportcrypto", "1");
    if (r.requirecrypto) append_param(out, first, "requirecrypto", "1");
    return out;
}

std::optional<std::string> scrape_url_from_announce(std::string_view announce_url) {
    if (!starts_with_nocase(announce_url, "http://") && !starts_with_nocase(announce_url, "https://")) {
        return std::nullopt;
    }
    const std::size_t authority = announce_url.find("://") + 3;
    const std::size_t path_start = announce_url.find_first_of("/?#", authority);
    if (path_start == std::string_view::npos || announce_url[path_start] != '/') return std::nullopt;
    std::size_t path_end = announce_url.find_first_of("?#", path_start);
    if (path_end == std::string_view::npos) path_end = announce_url.size();
    const std::size_t last_slash = announce_url.rfind('/', path_end - 1);  // >= path_start
    constexpr std::string_view kAnnounce = "announce";
    const std::string_view segment = announce_url.substr(last_slash + 1, path_end - last_slash - 1);
    if (segment.substr(0, kAnnounce.size()) != kAnnounce) return std::nullopt;
    std::string out(announce_url.substr(0, last_slash + 1));
    out += "scrape";
    out += announce_url.substr(last_slash + 1 + kAnnounce.size());
    return out;
}

bool can_scrape(std::string_view announce_url) {
    return scrape_url_from_announce(announce_url).has_value() ||
           parse_udp_tracker_url(announce_url).has_value();
}

std::string build_scrape_url(std::string_view scrape_url, std::span<const InfoHashBytes> info_hashes) {
    std::string out = start_query(scrape_url);
    bool first = true;
    for (const auto& hash : info_hashes) append_param(out, first, "info_hash", percent_encode(hash));
    return out;
}

std::optional<UdpTrackerUrl> parse_udp_tracker_url(std::string_view url) {
    if (!starts_with_nocase(url, "udp://")) return std::nullopt;
    url = without_fragment(url.substr(6));
    const std::size_t rest_start = std::min(url.find_first_of("/?"), url.size());
    const std::string_view authority = url.substr(0, rest_start);
    UdpTrackerUrl out;
    out.url_data = std::string(url.substr(rest_start));
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        out.host = std::string(authority.substr(1, close - 1));
        port_text = authority.substr(close + 2);
    } else {
        const std::size_t colon = authority.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        out.host = std::string(authority.substr(0, colon));
        port_text = authority.substr(colon + 1);
        if (out.host.find(':') != std::string::npos) return std::nullopt;  // unbracketed v6
    }
    if (out.host.empty() || port_text.empty() || port_text.size() > 5) return std::nullopt;
    std::uint32_t port = 0;
    for (char c : port_text) {
        if (c < '0' || c > '9') return std::nullopt;
        port = port * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
    return out;
}

}  // namespace bt::tracker
