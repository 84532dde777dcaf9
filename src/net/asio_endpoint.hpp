#pragma once
// Conversions between bt::Endpoint (pure, used by trackers and peer lists) and asio's TCP and UDP endpoints.
#include <algorithm>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include "core/endpoint.hpp"

namespace bt::net {

inline asio::ip::address to_asio_address(const Endpoint& e) {
    if (e.is_v4()) {
        asio::ip::address_v4::bytes_type b;
        std::copy_n(e.address.begin(), 4, b.begin());
        return asio::ip::address_v4(b);
    }
    asio::ip::address_v6::bytes_type b;
    std::copy_n(e.address.begin(), 16, b.begin());
    return asio::ip::address_v6(b);
}

// to_asio(e) for TCP, to_asio<asio::ip::udp>(e) for UDP.
template <class Protocol = asio::ip::tcp>
asio::ip::basic_endpoint<Protocol> to_asio(const Endpoint& e) {
    return {to_asio_address(e), e.port};
}

// An IPv4-mapped IPv6 address (an IPv4 peer on a dual-stack socket) becomes the IPv4 endpoint.
template <class Protocol>
Endpoint from_asio(const asio::ip::basic_endpoint<Protocol>& e) {
    auto address = e.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    if (address.is_v4()) return Endpoint::v4(address.to_v4().to_bytes(), e.port());
    return Endpoint::v6(address.to_v6().to_bytes(), e.port());
}

}  // namespace bt::net
