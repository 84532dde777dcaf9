#include "dht/node_id.hpp"

#include <array>
#include <bit>

namespace bt::dht {

NodeId xor_distance(const NodeId& a, const NodeId& b) noexcept {
    NodeId out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = a[i] ^ b[i];
    return out;
}

bool closer(const NodeId& target, const NodeId& a, const NodeId& b) noexcept {
    for (std::size_t i = 0; i < target.size(); ++i) {
        const auto da = static_cast<std::uint8_t>(a[i] ^ target[i]);
        const auto db = static_cast<std::uint8_t>(b[i] ^ target[i]);
        if (da != db) return da < db;
    }
    return false;
}

std::size_t common_prefix_length(const NodeId& a, const NodeId& b) noexcept {
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto diff = static_cast<std::uint8_t>(a[i] ^ b[i]);
        if (diff != 0) return i * 8 + static_cast<std::size_t>(std::countl_zero(diff));
    }
    return kNodeIdBits;
}

NodeId random_id(Rng& rng) {
    NodeId id{};
    rng.fill(id);
    return id;
}

NodeId random_id_near(const NodeId& base, std::size_t prefix_bits, bool flip_next, Rng& rng) {
    NodeId id = random_id(rng);
    for (std::size_t bit = 0; bit < prefix_bits && bit < kNodeIdBits; ++bit) {
        const auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
        id[bit / 8] = static_cast<std::uint8_t>((id[bit / 8] & ~mask) | (base[bit / 8] & mask));
    }
    if (flip_next && prefix_bits < kNodeIdBits) {
        const auto mask = static_cast<std::uint8_t>(0x80 >> (prefix_bits % 8));
        id[prefix_bits / 8] =
            static_cast<std::uint8_t>((id[prefix_bits / 8] & ~mask) | (~base[prefix_bits / 8] & mask));
    }
    return id;
}

std::uint32_t crc32c(std::span<const std::uint8_t> data) noexcept {
    std::uint32_t crc = 0xffffffffU;
    for (const std::uint8_t byte : data) {
        crc ^= byte;
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82f63b78U & (0U - (crc & 1U)));
    }
    return ~crc;
}

namespace {

// BEP 42: the masked address bytes with r in the top 3 bits of the first byte, hashed with crc32c.
std::uint32_t address_hash(const Endpoint& address, std::uint8_t r) noexcept {
    static constexpr std::array<std::uint8_t, 4> kV4Mask{0x03, 0x0f, 0x3f, 0xff};
    static constexpr std::array<std::uint8_t, 8> kV6Mask{0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff};
    std::array<std::uint8_t, 8> masked{};
    const std::span<const std::uint8_t> mask =
        address.is_v4() ? std::span<const std::uint8_t>(kV4Mask) : std::span<const std::uint8_t>(kV6Mask);
    for (std::size_t i = 0; i < mask.size(); ++i) masked[i] = address.address[i] & mask[i];
    masked[0] = static_cast<std::uint8_t>(masked[0] | ((r & 0x07) << 5));
    return crc32c(std::span<const std::uint8_t>(masked.data(), mask.size()));
}

}  // namespace

bool is_exempt_from_node_id_check(const Endpoint& address) noexcept {
    return address.is_loopback() || address.is_local_network() || address.is_unusable();
}

NodeId node_id_for_address(const Endpoint& address, std::uint8_t random_byte, Rng& rng) {
    NodeId id = random_id(rng);
    const std::uint32_t crc = address_hash(address, random_byte & 0x07);
    id[0] = static_cast<std::uint8_t>(crc >> 24);
    id[1] = static_cast<std::uint8_t>(crc >> 16);
    id[2] = static_cast<std::uint8_t>(((crc >> 8) & 0xf8) | (id[2] & 0x07));
    id[19] = random_byte;
    return id;
}

bool is_valid_node_id(const NodeId& id, const Endpoint& address) noexcept {
    if (is_exempt_from_node_id_check(address)) return true;
    const std::uint32_t crc = address_hash(address, id[19] & 0x07);
    return id[0] == static_cast<std::uint8_t>(crc >> 24) && id[1] == static_cast<std::uint8_t>(crc >> 16) &&
           (id[2] & 0xf8) == static_cast<std::uint8_t>((crc >> 8) & 0xf8);
}

}  // namespace bt::dht
