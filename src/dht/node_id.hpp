#pragma once
// Node id arithmetic (BEP 5: distance is XOR, compared as an unsigned integer) and BEP 42, the DHT security
// extension: a node's id must be derived from its external IP, so that nobody can pick ids next to a target.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/endpoint.hpp"
#include "dht/krpc.hpp"
#include "dht/rng.hpp"

namespace bt::dht {

inline constexpr std::size_t kNodeIdBits = kNodeIdSize * 8;

NodeId xor_distance(const NodeId& a, const NodeId& b) noexcept;
// Whether `a` is strictly closer to `target` than `b`.
bool closer(const NodeId& target, const NodeId& a, const NodeId& b) noexcept;
// The number of leading bits `a` and `b` share: 0..160 (160 when equal).
std::size_t common_prefix_length(const NodeId& a, const NodeId& b) noexcept;
// A random id sharing exactly the first `prefix_bits` bits with `base` (0..160); the next bit differs when
// `flip_next` (an id in the sibling subtree, i.e. in a given routing-table bucket).
NodeId random_id_near(const NodeId& base, std::size_t prefix_bits, bool flip_next, Rng& rng);
NodeId random_id(Rng& rng);

// CRC-32C (Castagnoli), which BEP 42 hashes the masked address with.
std::uint32_t crc32c(std::span<const std::uint8_t> data) noexcept;

// BEP 42: loopback and local network addresses are exempt from the id check, as are addresses nobody
// listens on (they never enter a table anyway).
bool is_exempt_from_node_id_check(const Endpoint& address) noexcept;
// BEP 42: the first 21 bits are those of crc32c((ip & mask) | r << (5 of the first byte)), with r the low
// 3 bits of the last byte; the rest is random. `random_byte` is the last byte (its low 3 bits are r).
NodeId node_id_for_address(const Endpoint& address, std::uint8_t random_byte, Rng& rng);
// Whether `id` was derived from `address` as above; always true for exempt addresses.
bool is_valid_node_id(const NodeId& id, const Endpoint& address) noexcept;

}  // namespace bt::dht
