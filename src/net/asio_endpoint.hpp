#pragma once
// Conversions between bt::Endpoint (pure, used by trackers and peer lists) and asio's TCP endpoints.
#include <algorithm>
#include <asio/ip/tcp.hpp>

#include "core/endpoint.hpp"

namespace bt::net {

inline asio::ip::tcp::endpoint to_asio(const Endpoint& e) {
    if (e.is_v4()) {
        asio::ip::address_v4::bytes_type b;
        std::copy_n(e.address.begin(), 4, b.begin());
        return {asio::ip::address_v4(b), e.port};
    }
    asio::ip::address_v6::bytes_type b;
    std::copy_n(e.address.begin(), 16, b.begin());
    return {asio::ip::address_v6(b), e.port};
}

// An IPv4-mapped IPv6 address (an IPv4 peer on a dual-stack socket) becomes the IPv4 endpoint.
inline Endpoint from_asio(const asio::ip::tcp::endpoint& e) {
    auto address = e.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    if (address.is_v4()) return Endpoint::v4(address.to_v4().to_bytes(), e.port());
    return Endpoint::v6(address.to_v6().to_bytes(), e.port());
}

}  // namespace bt::net
