#include "core/endpoint.hpp"

#include <algorithm>

namespace bt {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Decimal without sign; leading zeros refused unless `allow_leading_zero` (e.g. "010" could mean octal).
std::optional<std::uint32_t> parse_decimal(std::string_view text, std::size_t max_digits, std::uint32_t max,
                                           bool allow_leading_zero) {
    if (text.empty() || text.size() > max_digits) return std::nullopt;
    if (!allow_leading_zero && text.size() > 1 && text[0] == '0') return std::nullopt;
    std::uint32_t value = 0;
    for (char c : text) {
        if (!is_digit(c)) return std::nullopt;
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value > max) return std::nullopt;
    return value;
}

std::optional<std::array<std::uint8_t, 4>> parse_v4(std::string_view text) {
    std::array<std::uint8_t, 4> out{};
    for (std::size_t i = 0; i < 4; ++i) {
        const std::size_t dot = text.find('.');
        const bool last = i == 3;
        if (last != (dot == std::string_view::npos)) return std::nullopt;
        const auto part = parse_decimal(last ? text : text.substr(0, dot), 3, 255, false);
        if (!part) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(*part);
        if (!last) text.remove_prefix(dot + 1);
    }
    return out;
}

// Colon-separated hex groups, possibly ending in a dotted quad (worth two groups) when allowed.
bool parse_groups(std::string_view text, bool allow_v4_tail, std::vector<std::uint16_t>& out) {
    if (text.empty()) return true;
    for (;;) {
        const std::size_t colon = text.find(':');
        const std::string_view field = text.substr(0, colon);
        if (field.find('.') != std::string_view::npos) {
            if (!allow_v4_tail || colon != std::string_view::npos) return false;
            const auto v4 = parse_v4(field);
            if (!v4) return false;
            out.push_back(static_cast<std::uint16_t>(((*v4)[0] << 8) | (*v4)[1]));
            out.push_back(static_cast<std::uint16_t>(((*v4)[2] << 8) | (*v4)[3]));
            return true;
        }
        if (field.empty() || field.size() > 4) return false;
        std::uint16_t group = 0;
        for (char c : field) {
            const int v = hex_value(c);
            if (v < 0) return false;
            group = static_cast<std::uint16_t>((group << 4) | v);
        }
        out.push_back(group);
        if (out.size() > 8) return false;
        if (colon == std::string_view::npos) return true;
        text.remove_prefix(colon + 1);
    }
}

std::optional<std::array<std::uint8_t, 16>> parse_v6(std::string_view text) {
    if (text.empty()) return std::nullopt;
    const std::size_t gap = text.find("::");
    if (gap != std::string_view::npos && text.find("::", gap + 1) != std::string_view::npos)
        return std::nullopt;
    std::vector<std::uint16_t> head;
    std::vector<std::uint16_t> tail;
    if (gap == std::string_view::npos) {
        if (!parse_groups(text, true, head) || head.size() != 8) return std::nullopt;
    } else {
        if (!parse_groups(text.substr(0, gap), false, head)) return std::nullopt;
        if (!parse_groups(text.substr(gap + 2), true, tail)) return std::nullopt;
        if (head.size() + tail.size() > 7) return std::nullopt;
    }
    std::array<std::uint16_t, 8> groups{};
    std::copy(head.begin(), head.end(), groups.begin());
    std::copy(tail.begin(), tail.end(), groups.end() - static_cast<std::ptrdiff_t>(tail.size()));
    std::array<std::uint8_t, 16> out{};
    for (std::size_t i = 0; i < 8; ++i) {
        out[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
        out[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xff);
    }
    return out;
}

void append_v4_text(std::string& out, const std::uint8_t* bytes) {
    for (std::size_t i = 0; i < 4; ++i) {
        if (i > 0) out.push_back('.');
        out += std::to_string(bytes[i]);
    }
}

std::string v6_text(const std::array<std::uint8_t, 16>& a) {
    std::string out;
    const bool mapped = std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
                        a[10] == 0xff && a[11] == 0xff;
    if (mapped) {
        out = "::ffff:";
        append_v4_text(out, a.data() + 12);
        return out;
    }
    std::array<std::uint16_t, 8> g{};
    for (std::size_t i = 0; i < 8; ++i) g[i] = static_cast<std::uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
    // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
    std::size_t best_start = 8;
    std::size_t best_len = 1;
    for (std::size_t i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > best_len) {
            best_start = i;
            best_len = j - i;
        }
        i = j;
    }
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == best_start) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (i > 0 && !(best_start < 8 && i == best_start + best_len)) out.push_back(':');
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            const int nibble = (g[i] >> shift) & 0xf;
            if (nibble == 0 && !started && shift > 0) continue;
            started = true;
            out.push_back(kHexDigits[nibble]);
        }
    }
    return out;
}

template <class Out>
void append_compact_to(Out& out, const Endpoint& e) {
    for (std::uint8_t b : e.address_bytes()) out.push_back(static_cast<typename Out::value_type>(b));
    out.push_back(static_cast<typename Out::value_type>(e.port >> 8));
    out.push_back(static_cast<typename Out::value_type>(e.port & 0xff));
}

}  // namespace

Endpoint Endpoint::v4(const std::array<std::uint8_t, 4>& bytes, std::uint16_t port) {
    Endpoint e;
    e.family = Family::v4;
    std::copy(bytes.begin(), bytes.end(), e.address.begin());
    e.port = port;
    return e;
}

Endpoint Endpoint::v6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port) {
    Endpoint e;
    e.family = Family::v6;
    e.address = bytes;
    e.port = port;
    return e;
}

std::span<const std::uint8_t> Endpoint::address_bytes() const noexcept {
    return std::span<const std::uint8_t>(address.data(), is_v4() ? 4 : 16);
}

std::string Endpoint::address_string() const {
    if (is_v6()) return v6_text(address);
    std::string out;
    append_v4_text(out, address.data());
    return out;
}

std::string Endpoint::to_string() const {
    std::string out = is_v6() ? "[" + address_string() + "]" : address_string();
    out.push_back(':');
    out += std::to_string(port);
    return out;
}

std::optional<Endpoint> parse_ip_address(std::string_view text, std::uint16_t port) {
    if (text.find(':') != std::string_view::npos) {
        const auto v6 = parse_v6(text);
        if (!v6) return std::nullopt;
        return Endpoint::v6(*v6, port);
    }
    const auto v4 = parse_v4(text);
    if (!v4) return std::nullopt;
    return Endpoint::v4(*v4, port);
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    std::string_view host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        if (host.find(':') == std::string_view::npos) return std::nullopt;  // brackets are for v6 only
        port_text = text.substr(close + 2);
    } else {
        const std::size_t colon = text.find(':');
        if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
            return std::nullopt;  // no port, or an unbracketed v6 address
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    const auto port = parse_decimal(port_text, 5, 65535, true);
    if (!port) return std::nullopt;
    return parse_ip_address(host, static_cast<std::uint16_t>(*port));
}

std::optional<Endpoint> endpoint_from_compact(std::span<const std::uint8_t> bytes) {
    Endpoint e;
    if (bytes.size() == kCompactV4Size) {
        e.family = Endpoint::Family::v4;
    } else if (bytes.size() == kCompactV6Size) {
        e.family = Endpoint::Family::v6;
    } else {
        return std::nullopt;
    }
    const std::size_t n = bytes.size() - 2;
    std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), e.address.begin());
    e.port = static_cast<std::uint16_t>((bytes[n] << 8) | bytes[n + 1]);
    return e;
}

void append_compact(std::vector<std::uint8_t>& out, const Endpoint& endpoint) {
    append_compact_to(out, endpoint);
}

void append_compact(std::string& out, const Endpoint& endpoint) {
    append_compact_to(out, endpoint);
}

namespace {

// The IPv4 address of a v4 endpoint, or of an IPv4-mapped v6 one (::ffff:a.b.c.d).
std::optional<std::array<std::uint8_t, 4>> ipv4_of(const Endpoint& e) {
    const auto& a = e.address;
    if (e.is_v4()) return std::array<std::uint8_t, 4>{a[0], a[1], a[2], a[3]};
    for (int i = 0; i < 10; ++i) {
        if (a[i] != 0) return std::nullopt;
    }
    if (a[10] != 0xff || a[11] != 0xff) return std::nullopt;
    return std::array<std::uint8_t, 4>{a[12], a[13], a[14], a[15]};
}

bool all_zero_but_last(const std::array<std::uint8_t, 16>& a, std::uint8_t last) {
    for (int i = 0; i < 15; ++i) {
        if (a[i] != 0) return false;
    }
    return a[15] == last;
}

}  // namespace

bool Endpoint::is_loopback() const noexcept {
    if (const auto v4 = ipv4_of(*this)) return (*v4)[0] == 127;
    return all_zero_but_last(address, 1);
}

bool Endpoint::is_local_network() const noexcept {
    if (const auto v4 = ipv4_of(*this)) {
        const auto& b = *v4;
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254);
    }
    return (address[0] & 0xfe) == 0xfc || (address[0] == 0xfe && (address[1] & 0xc0) == 0x80);
}

bool Endpoint::is_unusable() const noexcept {
    if (const auto v4 = ipv4_of(*this)) {
        const auto& b = *v4;
        return b[0] == 0 || b[0] >= 224;  // 0/8, multicast 224/4 and the reserved 240/4 with broadcast
    }
    return all_zero_but_last(address, 0) || address[0] == 0xff;
}

}  // namespace bt

std::size_t std::hash<bt::Endpoint>::operator()(const bt::Endpoint& e) const noexcept {
    // FNV-1a over family, address and port.
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::uint8_t b) {
        h ^= b;
        h *= 1099511628211ULL;
    };
    mix(static_cast<std::uint8_t>(e.family));
    for (std::uint8_t b : e.address) mix(b);
    mix(static_cast<std::uint8_t>(e.port >> 8));
    mix(static_cast<std::uint8_t>(e.port & 0xff));
    return static_cast<std::size_t>(h);
}
