#include "cli/peer_address.hpp"

#include <algorithm>
#include <asio/ip/tcp.hpp>

#include "cli/run_blocking.hpp"
#include "net/asio_endpoint.hpp"
#include "net/resolve.hpp"

namespace bt::cli {

namespace {

constexpr const char* kExpected = "expected HOST:PORT, e.g. localhost:6881, 10.0.0.2:6881 or [::1]:6881";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// RFC 1123 host names, with '_' allowed as resolvers do; a final '.' (a fully qualified name) is fine.
bool is_host_name(std::string_view name) {
    if (name.ends_with('.')) name.remove_suffix(1);
    if (name.empty() || name.size() > 253) return false;
    for (;;) {
        const std::size_t dot = name.find('.');
        const std::string_view label = name.substr(0, dot);
        if (label.empty() || label.size() > 63) return false;
        for (const char c : label) {
            const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!letter && !is_digit(c) && c != '-' && c != '_') return false;
        }
        if (dot == std::string_view::npos) return true;
        name.remove_prefix(dot + 1);
    }
}

}  // namespace

Result<PeerAddress, std::string> parse_peer_address(std::string_view text) {
    if (text.empty()) return fail(std::string("empty; ") + kExpected);
    if (text.find("://") != std::string_view::npos) return fail(std::string("a URL; ") + kExpected);
    PeerAddress out;
    out.text = std::string(text);
    std::string_view host;
    std::string_view port_text;
    if (text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos)
            return fail(std::string("no ']' after the IPv6 address; ") + kExpected);
        host = text.substr(1, close - 1);
        if (host.find(':') == std::string_view::npos || !parse_ip_address(host))
            return fail(std::string("brackets must hold an IPv6 address; ") + kExpected);
        const std::string_view rest = text.substr(close + 1);
        if (!rest.starts_with(':')) return fail(std::string("no port after the address; ") + kExpected);
        port_text = rest.substr(1);
    } else {
        const std::size_t colon = text.find(':');
        if (colon == std::string_view::npos) return fail(std::string("no port; ") + kExpected);
        if (text.find(':', colon + 1) != std::string_view::npos) {
            return fail(std::string("an IPv6 address needs brackets, as in [::1]:6881"));
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.empty()) return fail(std::string("no host; ") + kExpected);
        const bool numeric =
            std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
        if (numeric ? !parse_ip_address(host) : !is_host_name(host)) {
            return fail(std::string(numeric ? "not an IPv4 address (four numbers 0-255, as in 10.0.0.2)"
                                            : "not a valid host name"));
        }
    }
    std::uint32_t port = 0;
    const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                        std::all_of(port_text.begin(), port_text.end(), is_digit);
    if (digits) {
        for (const char c : port_text) port = port * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (!digits || port == 0 || port > 65535)
        return fail(std::string("the port must be a number from 1 to 65535"));
    out.host = std::string(host);
    out.port = static_cast<std::uint16_t>(port);
    return out;
}

namespace {

using Lookup = Result<std::vector<Endpoint>, PeerLookupFailure>;

asio::awaitable<Lookup> resolve_all(std::vector<PeerAddress> peers,
                                    std::chrono::steady_clock::time_point deadline,
                                    std::chrono::seconds timeout) {
    std::vector<Endpoint> out;
    for (const auto& peer : peers) {
        auto found = co_await net::resolve<asio::ip::tcp>(peer.host, peer.port, deadline, nullptr);
        if (!found) {
            const auto& why = found.error();
            co_return fail(PeerLookupFailure{
                peer.text,
                why.kind == net::ResolveFailure::Kind::timed_out
                    ? "looking up " + peer.host + " took more than " + std::to_string(timeout.count()) + " s"
                    : "cannot look up " + peer.host + ": " + why.error.message()});
        }
        for (const auto& endpoint : *found) {
            const Endpoint e = net::from_asio(endpoint);
            if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
        }
    }
    co_return out;
}

}  // namespace

Lookup resolve_peers(const std::vector<PeerAddress>& peers, std::chrono::seconds timeout) {
    return run_blocking(resolve_all(peers, std::chrono::steady_clock::now() + timeout, timeout));
}

}  // namespace bt::cli
