#pragma once
// Conversions between bt::Endpoint (pure, used by trackers and peers lists) and asio's endpoints.
#include <asio/ip/tcp.hpp>

#include "core/endpoint.hpp"

namespace bt::session {

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

inline Endpoint from_asio(const asio::ip::tcp::endpoint& e) {
    auto address = e.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    if (address.is_v4()) return Endpoint::v4(address.to_v4().to_bytes(), e.port());
    return Endpoint::v6(address.to_v6().to_bytes(), e.port());
}

}  // namespace bt::session
