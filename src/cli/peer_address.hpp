#pragma once
// `--peer HOST:PORT`: what the user typed (an IPv4 address, an IPv6 address in brackets, or a host name,
// then a port) and the addresses it stands for.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace bt::cli {

struct PeerAddress {
    std::string text;  // as given, for error lines
    std::string host;  // an address literal (without brackets) or a host name
    std::uint16_t port = 0;
    friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

// "1.2.3.4:6881", "[::1]:6881" or "name:6881", the port from 1 to 65535. A host of digits and dots must be a
// dotted quad; a name is letters, digits, '-', '_' and '.' in labels of 1 to 63 characters (253 at most in
// all, a final '.' allowed). The error says in a few words what is wrong.
Result<PeerAddress, std::string> parse_peer_address(std::string_view text);

// How long looking up every --peer name may take, in all.
inline constexpr std::chrono::seconds kPeerLookupTimeout{15};

struct PeerLookupFailure {
    std::string peer;  // PeerAddress::text
    std::string message;
};

// The addresses of `peers`, each once, in order: an address literal as it is, a name through the project's
// resolver (net/resolve.hpp; every address it has, IPv4 and IPv6). Blocks, `timeout` at most.
Result<std::vector<Endpoint>, PeerLookupFailure> resolve_peers(
    const std::vector<PeerAddress>& peers, std::chrono::seconds timeout = kPeerLookupTimeout);

}  // namespace bt::cli
