#pragma once
// A peer's transport address: IPv4 or IPv6 address bytes (network order) plus a port. Lives in core
// because trackers (BEP 23/7), PEX (BEP 11) and the DHT (BEP 5) all exchange the same compact forms.
// Pure value type: no sockets, no resolver; text forms follow RFC 5952 (printing) and RFC 4291 (parsing).
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bt {

struct Endpoint {
    enum class Family : std::uint8_t { v4, v6 };

    Family family = Family::v4;
    std::array<std::uint8_t, 16> address{};  // v4 uses the first 4 bytes; the rest stay zero
    std::uint16_t port = 0;

    static Endpoint v4(const std::array<std::uint8_t, 4>& bytes, std::uint16_t port);
    static Endpoint v6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port);

    bool is_v4() const noexcept { return family == Family::v4; }
    bool is_v6() const noexcept { return family == Family::v6; }
    // 4 bytes for v4, 16 for v6.
    std::span<const std::uint8_t> address_bytes() const noexcept;

    // "1.2.3.4" or "2001:db8::1" (RFC 5952: lower case, longest zero run as "::", IPv4-mapped as
    // "::ffff:1.2.3.4").
    std::string address_string() const;
    // "1.2.3.4:6881" or "[::1]:6881".
    std::string to_string() const;

    // Where the address can be: this machine (127/8, ::1), a local network (10/8, 172.16/12, 192.168/16,
    // 100.64/10, link-local 169.254/16 and fe80::/10, unique-local fc00::/7), or nowhere a peer listens
    // (0/8, multicast, broadcast, ::, ff00::/8). IPv4-mapped IPv6 addresses count as their IPv4 address.
    bool is_loopback() const noexcept;
    bool is_local_network() const noexcept;
    bool is_unusable() const noexcept;

    friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

// Dotted quad ("10.0.0.1": exactly four decimal parts 0-255, no leading zeros) or IPv6 text (hex groups,
// one optional "::", optional trailing dotted quad; no brackets, no zone id). nullopt for anything else,
// host names included.
std::optional<Endpoint> parse_ip_address(std::string_view text, std::uint16_t port = 0);
// "1.2.3.4:6881" or "[::1]:6881" (port 0-65535, decimal).
std::optional<Endpoint> parse_endpoint(std::string_view text);

// Compact forms: address bytes then the port, big-endian (BEP 23: 6 bytes for v4; BEP 7: 18 for v6).
inline constexpr std::size_t kCompactV4Size = 6;
inline constexpr std::size_t kCompactV6Size = 18;
// Decodes exactly 6 (v4) or 18 (v6) bytes; nullopt for any other size.
std::optional<Endpoint> endpoint_from_compact(std::span<const std::uint8_t> bytes);
void append_compact(std::vector<std::uint8_t>& out, const Endpoint& endpoint);
void append_compact(std::string& out, const Endpoint& endpoint);

}  // namespace bt

template <>
struct std::hash<bt::Endpoint> {
    std::size_t operator()(const bt::Endpoint& e) const noexcept;
};
