#include "dht/node_id.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bt::dht {
namespace {

NodeId id_from_hex(const std::string& hex) {
    NodeId id{};
    for (std::size_t i = 0; i < id.size(); ++i)
        id[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return id;
}

Endpoint ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return Endpoint::v4({a, b, c, d}, 6881);
}

TEST(NodeId, XorDistanceAndOrdering) {
    NodeId target{};
    NodeId near{};
    NodeId far{};
    near[19] = 1;
    far[0] = 0x80;
    EXPECT_EQ(xor_distance(near, far)[0], 0x80);
    EXPECT_EQ(xor_distance(near, far)[19], 1);
    EXPECT_TRUE(closer(target, near, far));
    EXPECT_FALSE(closer(target, far, near));
    EXPECT_FALSE(closer(target, near, near));
}

TEST(NodeId, CommonPrefixLength) {
    NodeId a{};
    NodeId b{};
    EXPECT_EQ(common_prefix_length(a, b), 160u);
    b[0] = 0x80;
    EXPECT_EQ(common_prefix_length(a, b), 0u);
    b[0] = 0;
    b[2] = 0x10;
    EXPECT_EQ(common_prefix_length(a, b), 19u);
}

TEST(NodeId, RandomIdNearKeepsThePrefixAndFlipsTheNextBit) {
    Rng rng(7);
    const NodeId base = random_id(rng);
    for (std::size_t bits : {0u, 1u, 7u, 8u, 13u, 100u, 159u}) {
        EXPECT_EQ(common_prefix_length(base, random_id_near(base, bits, true, rng)), bits);
        EXPECT_GE(common_prefix_length(base, random_id_near(base, bits, false, rng)), bits);
    }
}

TEST(NodeId, Crc32cKnownAnswer) {
    const std::string check = "123456789";  // the CRC-32C check value (RFC 3720)
    EXPECT_EQ(crc32c({reinterpret_cast<const std::uint8_t*>(check.data()), check.size()}), 0xe3069283U);
}

// BEP 42 "test vectors": IP, rand (the last byte), and an id valid for that IP.
struct Bep42Vector {
    Endpoint address;
    std::uint8_t rand;
    const char* id;
};

const Bep42Vector kBep42Vectors[] = {
    {ip(124, 31, 75, 21), 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"},
    {ip(21, 75, 31, 124), 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"},
    {ip(65, 23, 51, 170), 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616"},
    {ip(84, 124, 73, 14), 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41"},
    {ip(43, 213, 53, 83), 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"},
};

TEST(NodeId, Bep42VectorsAreValid) {
    for (const auto& v : kBep42Vectors) {
        EXPECT_TRUE(is_valid_node_id(id_from_hex(v.id), v.address)) << v.id;
    }
}

TEST(NodeId, Bep42DerivedIdsMatchTheVectorsFirst21Bits) {
    Rng rng(1);
    for (const auto& v : kBep42Vectors) {
        const NodeId expected = id_from_hex(v.id);
        const NodeId derived = node_id_for_address(v.address, v.rand, rng);
        EXPECT_EQ(derived[0], expected[0]) << v.id;
        EXPECT_EQ(derived[1], expected[1]) << v.id;
        EXPECT_EQ(derived[2] & 0xf8, expected[2] & 0xf8) << v.id;
        EXPECT_EQ(derived[19], v.rand);
        EXPECT_TRUE(is_valid_node_id(derived, v.address));
    }
}

TEST(NodeId, Bep42RejectsIdsOfOtherAddresses) {
    const NodeId id = id_from_hex(kBep42Vectors[0].id);
    EXPECT_FALSE(is_valid_node_id(id, kBep42Vectors[1].address));
    NodeId changed_rand = id;
    changed_rand[19] = 2;  // r is part of the hash
    EXPECT_FALSE(is_valid_node_id(changed_rand, kBep42Vectors[0].address));
}

TEST(NodeId, Bep42ExemptsLocalAddresses) {
    const NodeId any{};
    EXPECT_TRUE(is_valid_node_id(any, ip(127, 0, 0, 1)));
    EXPECT_TRUE(is_valid_node_id(any, ip(10, 1, 2, 3)));
    EXPECT_TRUE(is_valid_node_id(any, ip(192, 168, 1, 1)));
    EXPECT_TRUE(is_valid_node_id(any, ip(172, 16, 0, 9)));
    EXPECT_FALSE(is_valid_node_id(any, ip(8, 8, 8, 8)));
}

TEST(NodeId, Bep42WorksForIpv6) {
    Rng rng(3);
    std::array<std::uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const Endpoint address = Endpoint::v6(bytes, 6881);
    const NodeId id = node_id_for_address(address, 0x2a, rng);
    EXPECT_TRUE(is_valid_node_id(id, address));
    bytes[9] ^= 0xff;  // past the 8 bytes BEP 42 hashes: still valid
    EXPECT_TRUE(is_valid_node_id(id, Endpoint::v6(bytes, 6881)));
    bytes[1] ^= 0x02;  // a masked-in bit of the first 8 bytes
    EXPECT_FALSE(is_valid_node_id(id, Endpoint::v6(bytes, 6881)));
}

}  // namespace
}  // namespace bt::dht
