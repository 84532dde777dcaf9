#include "tracker/udp_codec.hpp"

#include <algorithm>

namespace bt::tracker {

namespace {

// BEP 41 option types.
constexpr std::uint8_t kOptionEnd = 0x0;
constexpr std::uint8_t kOptionNop = 0x1;
constexpr std::uint8_t kOptionUrlData = 0x2;

class Writer {
  public:
    explicit Writer(std::size_t reserve) { out_.reserve(reserve); }
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v) { put(v, 2); }
    void u32(std::uint32_t v) { put(v, 4); }
    void u64(std::uint64_t v) { put(v, 8); }
    void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
    void text(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
    std::vector<std::uint8_t>& out() { return out_; }

  private:
    void put(std::uint64_t v, int size) {
        for (int i = size - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    std::vector<std::uint8_t> out_;
};

// Reads at fixed offsets; callers check the size first.
std::uint64_t get(std::span<const std::uint8_t> p, std::size_t offset, std::size_t size) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < size; ++i) v = (v << 8) | p[offset + i];
    return v;
}
std::uint16_t get16(std::span<const std::uint8_t> p, std::size_t o) {
    return static_cast<std::uint16_t>(get(p, o, 2));
}
std::uint32_t get32(std::span<const std::uint8_t> p, std::size_t o) {
    return static_cast<std::uint32_t>(get(p, o, 4));
}
std::uint64_t get64(std::span<const std::uint8_t> p, std::size_t o) {
    return get(p, o, 8);
}

InfoHashBytes get20(std::span<const std::uint8_t> p, std::size_t o) {
    InfoHashBytes out{};
    std::copy_n(p.begin() + static_cast<std::ptrdiff_t>(o), 20, out.begin());
    return out;
}

Error too_short(std::string_view what, std::size_t size, std::size_t need) {
    return Error{Errc::packet_too_short,
                 std::string(what) + ": " + std::to_string(size) + " bytes, need " + std::to_string(need)};
}

void encode(Writer& w, const UdpConnectRequest& r) {
    w.u64(kUdpProtocolId);
    w.u32(static_cast<std::uint32_t>(UdpAction::connect));
    w.u32(r.transaction_id);
}

void encode(Writer& w, const UdpAnnounceRequest& r) {
    const AnnounceRequest& a = r.request;
    w.u64(r.connection_id);
    w.u32(static_cast<std::uint32_t>(UdpAction::announce));
    w.u32(r.transaction_id);
    w.bytes(a.info_hash);
    w.bytes(a.peer_id);
    w.u64(a.downloaded);
    w.u64(a.left);
    w.u64(a.uploaded);
    w.u32(udp_event_id(a.event));
    w.u32(r.ip);
    w.u32(a.key);
    w.u32(a.numwant ? *a.numwant : 0xffffffffU);  // -1: the tracker's default
    w.u16(a.port);
    std::string_view data = r.url_data;
    while (!data.empty()) {
        const std::size_t chunk = std::min<std::size_t>(data.size(), 255);
        w.u8(kOptionUrlData);
        w.u8(static_cast<std::uint8_t>(chunk));
        w.text(data.substr(0, chunk));
        data.remove_prefix(chunk);
    }
}

void encode(Writer& w, const UdpScrapeRequest& r) {
    w.u64(r.connection_id);
    w.u32(static_cast<std::uint32_t>(UdpAction::scrape));
    w.u32(r.transaction_id);
    for (const auto& h : r.info_hashes) w.bytes(h);
}

void encode(Writer& w, const UdpConnectResponse& r) {
    w.u32(static_cast<std::uint32_t>(UdpAction::connect));
    w.u32(r.transaction_id);
    w.u64(r.connection_id);
}

void encode(Writer& w, const UdpAnnounceResponse& r) {
    w.u32(static_cast<std::uint32_t>(UdpAction::announce));
    w.u32(r.transaction_id);
    w.u32(static_cast<std::uint32_t>(r.interval));
    w.u32(r.leechers);
    w.u32(r.seeders);
    for (const Endpoint& e : r.peers) append_compact(w.out(), e);
}

void encode(Writer& w, const UdpScrapeResponse& r) {
    w.u32(static_cast<std::uint32_t>(UdpAction::scrape));
    w.u32(r.transaction_id);
    for (const ScrapeStats& s : r.entries) {
        w.u32(s.complete);
        w.u32(s.downloaded);
        w.u32(s.incomplete);
    }
}

void encode(Writer& w, const UdpErrorResponse& r) {
    w.u32(static_cast<std::uint32_t>(UdpAction::error));
    w.u32(r.transaction_id);
    w.text(r.message);
}

// BEP 41: concatenates every URL data option; stops at the end option, a truncated option or the end.
std::string read_options(std::span<const std::uint8_t> p) {
    std::string url_data;
    std::size_t i = 0;
    while (i < p.size()) {
        const std::uint8_t type = p[i++];
        if (type == kOptionEnd) break;
        if (type == kOptionNop) continue;
        if (i >= p.size()) break;
        const std::size_t len = p[i++];
        if (p.size() - i < len) break;
        if (type == kOptionUrlData) url_data.append(reinterpret_cast<const char*>(p.data() + i), len);
        i += len;
    }
    return url_data;
}

Result<UdpRequest, Error> parse_announce_request(std::span<const std::uint8_t> p) {
    if (p.size() < kUdpAnnounceRequestSize)
        return fail(too_short("announce request", p.size(), kUdpAnnounceRequestSize));
    UdpAnnounceRequest r;
    r.connection_id = get64(p, 0);
    r.transaction_id = get32(p, 12);
    AnnounceRequest& a = r.request;
    a.info_hash = get20(p, 16);
    a.peer_id = get20(p, 36);
    a.downloaded = get64(p, 56);
    a.left = get64(p, 64);
    a.uploaded = get64(p, 72);
    const auto event = event_from_udp_id(get32(p, 80));
    if (!event)
        return fail(
            Error{Errc::invalid_packet, "announce request: unknown event " + std::to_string(get32(p, 80))});
    a.event = *event;
    r.ip = get32(p, 84);
    a.key = get32(p, 88);
    const std::uint32_t numwant = get32(p, 92);
    if (numwant != 0xffffffffU) a.numwant = numwant;
    a.port = get16(p, 96);
    r.url_data = read_options(p.subspan(kUdpAnnounceRequestSize));
    return UdpRequest(std::move(r));
}

Result<UdpRequest, Error> parse_scrape_request(std::span<const std::uint8_t> p) {
    const std::size_t body = p.size() - kUdpScrapeRequestHeaderSize;
    if (body == 0 || body % 20 != 0) {
        return fail(
            Error{Errc::invalid_packet, "scrape request: " + std::to_string(body) +
                                            " bytes of info-hashes is not a positive multiple of 20"});
    }
    UdpScrapeRequest r;
    r.connection_id = get64(p, 0);
    r.transaction_id = get32(p, 12);
    for (std::size_t o = kUdpScrapeRequestHeaderSize; o < p.size(); o += 20)
        r.info_hashes.push_back(get20(p, o));
    return UdpRequest(std::move(r));
}

Result<UdpResponse, Error> parse_announce_response(std::span<const std::uint8_t> p, Endpoint::Family family,
                                                   std::size_t max_peers) {
    if (p.size() < kUdpAnnounceResponseHeaderSize) {
        return fail(too_short("announce response", p.size(), kUdpAnnounceResponseHeaderSize));
    }
    const std::size_t stride = family == Endpoint::Family::v4 ? kCompactV4Size : kCompactV6Size;
    const std::size_t body = p.size() - kUdpAnnounceResponseHeaderSize;
    if (body % stride != 0) {
        return fail(Error{Errc::invalid_peers, "announce response: " + std::to_string(body) +
                                                   " bytes of peers is not a multiple of " +
                                                   std::to_string(stride)});
    }
    UdpAnnounceResponse r;
    r.transaction_id = get32(p, 4);
    r.interval = static_cast<std::int32_t>(get32(p, 8));
    r.leechers = get32(p, 12);
    r.seeders = get32(p, 16);
    const std::size_t count = body / stride;
    const std::size_t keep = std::min(count, max_peers);
    r.dropped_peers = count - keep;
    r.peers.reserve(keep);
    for (std::size_t i = 0; i < keep; ++i) {
        const auto e = endpoint_from_compact(p.subspan(kUdpAnnounceResponseHeaderSize + i * stride, stride));
        if (e) r.peers.push_back(*e);  // always engaged: the size is exact
    }
    return UdpResponse(std::move(r));
}

}  // namespace

std::uint32_t udp_event_id(Event event) noexcept {
    switch (event) {
        case Event::none:
            return 0;
        case Event::completed:
            return 1;
        case Event::started:
            return 2;
        case Event::stopped:
            return 3;
    }
    return 0;
}

std::optional<Event> event_from_udp_id(std::uint32_t id) noexcept {
    switch (id) {
        case 0:
            return Event::none;
        case 1:
            return Event::completed;
        case 2:
            return Event::started;
        case 3:
            return Event::stopped;
        default:
            return std::nullopt;
    }
}

std::vector<std::uint8_t> encode_udp_request(const UdpRequest& request) {
    Writer w(kUdpAnnounceRequestSize);
    std::visit([&w](const auto& r) { encode(w, r); }, request);
    return std::move(w.out());
}

std::vector<std::uint8_t> encode_udp_response(const UdpResponse& response) {
    Writer w(kUdpAnnounceResponseHeaderSize);
    std::visit([&w](const auto& r) { encode(w, r); }, response);
    return std::move(w.out());
}

Result<UdpRequest, Error> parse_udp_request(std::span<const std::uint8_t> p) {
    if (p.size() < kUdpConnectRequestSize)
        return fail(too_short("request", p.size(), kUdpConnectRequestSize));
    const std::uint32_t action = get32(p, 8);
    switch (static_cast<UdpAction>(action)) {
        case UdpAction::connect:
            if (get64(p, 0) != kUdpProtocolId)
                return fail(Error{Errc::invalid_packet, "connect request: wrong protocol id"});
            return UdpRequest(UdpConnectRequest{get32(p, 12)});
        case UdpAction::announce:
            return parse_announce_request(p);
        case UdpAction::scrape:
            return parse_scrape_request(p);
        case UdpAction::error:
            break;
    }
    return fail(Error{Errc::invalid_packet, "request: unknown action " + std::to_string(action)});
}

Result<UdpResponse, Error> parse_udp_response(std::span<const std::uint8_t> p, Endpoint::Family family,
                                              std::size_t max_peers) {
    if (p.size() < kUdpErrorHeaderSize) return fail(too_short("response", p.size(), kUdpErrorHeaderSize));
    const std::uint32_t action = get32(p, 0);
    const std::uint32_t tid = get32(p, 4);
    switch (static_cast<UdpAction>(action)) {
        case UdpAction::connect:
            if (p.size() < kUdpConnectResponseSize) {
                return fail(too_short("connect response", p.size(), kUdpConnectResponseSize));
            }
            return UdpResponse(UdpConnectResponse{tid, get64(p, 8)});
        case UdpAction::announce:
            return parse_announce_response(p, family, max_peers);
        case UdpAction::scrape: {
            const std::size_t body = p.size() - kUdpScrapeResponseHeaderSize;
            if (body % kUdpScrapeEntrySize != 0) {
                return fail(Error{Errc::invalid_packet, "scrape response: " + std::to_string(body) +
                                                            " bytes of entries is not a multiple of 12"});
            }
            UdpScrapeResponse r{tid, {}};
            for (std::size_t o = kUdpScrapeResponseHeaderSize; o < p.size(); o += kUdpScrapeEntrySize) {
                r.entries.push_back(ScrapeStats{get32(p, o), get32(p, o + 4), get32(p, o + 8)});
            }
            return UdpResponse(std::move(r));
        }
        case UdpAction::error: {
            const auto* text = reinterpret_cast<const char*>(p.data() + kUdpErrorHeaderSize);
            return UdpResponse(UdpErrorResponse{tid, std::string(text, p.size() - kUdpErrorHeaderSize)});
        }
    }
    return fail(Error{Errc::invalid_packet, "response: unknown action " + std::to_string(action)});
}

std::optional<std::uint32_t> udp_response_transaction_id(std::span<const std::uint8_t> packet) noexcept {
    if (packet.size() < 8) return std::nullopt;
    return get32(packet, 4);
}

Result<AnnounceResponse, Error> to_announce_response(const UdpAnnounceResponse& r,
                                                     const ResponseLimits& limits) {
    if (r.interval < 0)
        return fail(Error{Errc::invalid_field, "interval: negative: " + std::to_string(r.interval)});
    AnnounceResponse out;
    out.interval =
        std::clamp(std::chrono::seconds(r.interval), limits.interval_floor, limits.interval_ceiling);
    out.complete = r.seeders;
    out.incomplete = r.leechers;
    out.dropped_peers = r.dropped_peers;
    for (const Endpoint& e : r.peers) {
        if (e.port == 0) {
            ++out.invalid_peers;
        } else if (out.peers.size() >= limits.max_peers) {
            ++out.dropped_peers;
        } else {
            out.peers.push_back(Peer{e, std::nullopt});
        }
    }
    return out;
}

}  // namespace bt::tracker
