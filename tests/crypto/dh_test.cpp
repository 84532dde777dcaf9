#include "crypto/dh.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/hex.hpp"
#include "crypto/random.hpp"

namespace bt::crypto {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes hex(std::string_view text) {
    return from_hex(text).value();
}

DhKey key_from_hex(std::string_view text) {
    const Bytes b = hex(text);
    DhKey k{};
    EXPECT_EQ(b.size(), k.size());
    std::copy(b.begin(), b.end(), k.begin());
    return k;
}

Dh make(std::string_view private_hex) {
    auto dh = Dh::from_private_key(hex(private_hex));
    EXPECT_TRUE(dh.has_value()) << private_hex;
    return std::move(*dh);
}

// P ± small values as 96 big-endian bytes.
DhKey prime_plus(int delta) {
    DhKey v = mse_prime();
    int carry = delta;
    for (std::size_t i = v.size(); i-- > 0 && carry != 0;) {
        const int sum = v[i] + carry;
        v[i] = static_cast<std::uint8_t>(sum & 0xff);
        carry = sum >> 8;  // arithmetic shift: -1 for a borrow
    }
    return v;
}

DhKey small(std::uint8_t v) {
    DhKey k{};
    k.back() = v;
    return k;
}

constexpr const char* kSpecPrimeHex =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd"
    "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a63a36210000000000090563";

TEST(Dh, PrimeIsTheMsePrimeNotOakleyGroup1) {
    EXPECT_EQ(to_hex(mse_prime()), kSpecPrimeHex);
    // Oakley group 1 ends ...a63a3620 ffffffff ffffffff; the MSE prime must not.
    EXPECT_NE(to_hex(mse_prime()).substr(168), "a63a3620ffffffffffffffff");
}

TEST(Dh, ReproducesTheSpecVector) {
    // spec/mse.md §12.1
    const Dh a = make("0102030405060708090a0b0c0d0e0f1011121314");
    const Dh b = make("2122232425262728292a2b2c2d2e2f3031323334");
    EXPECT_EQ(
        to_hex(a.public_key()),
        "96e112dab29e8c5272accb9b17b26887ce54a144a4e3b697c7d159b7a817e556b0918db2b4c658e02a87f7e5fb14b18a"
        "553e084cbf3dad2d30f16596ccb982d406258c61b30c5c1dae2ddc60bdbd48d79896312aad63238c39e1a633821eb693");
    EXPECT_EQ(
        to_hex(b.public_key()),
        "8f9c9f400fe9b3258f3e48598a95c7805cc90c995cd770283322679d132ebdae09b75eeadc01de698ef86945cf38314a"
        "95fad08c2ad5641802bd5f658eb3ea0db2712c04aa5efed03deecc5104f75d869d2d197e4336c61f0d71d763bee99416");
    const auto s_a = a.shared_secret(b.public_key());
    const auto s_b = b.shared_secret(a.public_key());
    ASSERT_TRUE(s_a.has_value());
    ASSERT_TRUE(s_b.has_value());
    EXPECT_EQ(*s_a, *s_b);
    EXPECT_EQ(
        to_hex(*s_a),
        "cd8536d5f2c98f01f8f5a648f69f6f2d6a6aafd044666b01fc8beb81f63ddbea0a862b2b6306431f7a308b063f795d18"
        "1ca711b22ab0602a9c4b5d1c53269837773ff53a4de47d9aace6b6a1b789ea37077507842742eb7581ea180b16748826");
}

TEST(Dh, MatchesEveryGeneratedVectorIncludingLeadingZeros) {
    std::ifstream in(std::string(BT_TEST_DATA_DIR) + "/mse/keys.txt");
    ASSERT_TRUE(in.good());
    std::map<std::string, std::string> rec;
    std::size_t checked = 0;
    std::size_t leading_zero_y = 0;
    std::size_t leading_zero_s = 0;
    auto check = [&] {
        if (rec.empty()) return;
        SCOPED_TRACE(rec["name"]);
        const Dh a = make(rec["x_a"]);
        const Dh b = make(rec["x_b"]);
        EXPECT_EQ(to_hex(a.public_key()), rec["ya"]);
        EXPECT_EQ(to_hex(b.public_key()), rec["yb"]);
        const auto s = a.shared_secret(key_from_hex(rec["yb"]));
        ASSERT_TRUE(s.has_value());
        EXPECT_EQ(to_hex(*s), rec["s"]);
        EXPECT_EQ(to_hex(*b.shared_secret(key_from_hex(rec["ya"]))), rec["s"]);
        leading_zero_y += a.public_key()[0] == 0 ? 1 : 0;
        leading_zero_s += (*s)[0] == 0 ? 1 : 0;
        ++checked;
        rec.clear();
    };
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) {
            check();
        } else if (line[0] != '#') {
            const auto eq = line.find(" = ");
            if (eq != std::string::npos) rec[line.substr(0, eq)] = line.substr(eq + 3);
        }
    }
    check();
    EXPECT_GE(checked, 6U);
    // The vector file deliberately contains a Y and an S whose first byte is zero (spec §11 item 2).
    EXPECT_GE(leading_zero_y, 1U);
    EXPECT_GE(leading_zero_s, 1U);
}

TEST(Dh, RefusesDegeneratePeerKeys) {
    const Dh a = make("0102030405060708090a0b0c0d0e0f1011121314");
    DhKey all_ff;
    all_ff.fill(0xff);
    const std::pair<const char*, DhKey> refused[] = {
        {"0", small(0)},    {"1", small(1)},        {"P-1", prime_plus(-1)},
        {"P", mse_prime()}, {"P+1", prime_plus(1)}, {"2^768-1", all_ff},
    };
    for (const auto& [name, y] : refused) {
        auto s = a.shared_secret(y);
        ASSERT_FALSE(s.has_value()) << name;
        EXPECT_EQ(s.error(), make_error_code(Errc::invalid_public_key)) << name;
    }
    const std::pair<const char*, DhKey> accepted[] = {{"2", small(2)}, {"P-2", prime_plus(-2)}};
    for (const auto& [name, y] : accepted) EXPECT_TRUE(a.shared_secret(y).has_value()) << name;
}

TEST(Dh, RefusesUnusablePrivateKeys) {
    const Bytes refused[] = {{}, {0x00}, {0x01}, {0x00, 0x00, 0x01}, Bytes(97, 0x01)};
    for (const auto& x : refused) {
        auto dh = Dh::from_private_key(x);
        ASSERT_FALSE(dh.has_value()) << to_hex(x);
        EXPECT_EQ(dh.error(), make_error_code(Errc::invalid_private_key));
    }
    // (P-1)/2 gives Y = P-1, which a peer would refuse.
    EXPECT_FALSE(Dh::from_private_key(
                     hex("7fffffffffffffffe487ed5110b4611a62633145c06e0e68948127044533e63a0105df531d89"
                         "cd9128a5043cc71a026ef7ca8cd9e69d218d98158536f92f8a1ba7f09ab6b6a8e122f242dabb"
                         "312f3f637a262174d31d1b1080000000000482b1"))
                     .has_value());
    EXPECT_TRUE(Dh::from_private_key(Bytes{0x02}).has_value());
}

TEST(Dh, GenerateUses160BitsFromTheRandomSource) {
    const Bytes x = hex("00112233445566778899aabbccddeeff01234567");
    FixedRandom rng(x);
    const Dh generated = Dh::generate(rng);
    EXPECT_EQ(generated.public_key(), make(to_hex(x)).public_key());
}

TEST(Dh, GenerateTerminatesEvenWithADegenerateSource) {
    FixedRandom zeros({});
    const Dh dh = Dh::generate(zeros);
    DhKey two = small(2);
    EXPECT_NE(dh.public_key(), two);
    EXPECT_TRUE(make("0102").shared_secret(dh.public_key()).has_value());
}

TEST(Dh, TwoFreshKeyPairsAgreeOnTheSecret) {
    SystemRandom rng;
    const Dh a = Dh::generate(rng);
    const Dh b = Dh::generate(rng);
    EXPECT_NE(a.public_key(), b.public_key());
    EXPECT_EQ(*a.shared_secret(b.public_key()), *b.shared_secret(a.public_key()));
}

TEST(Dh, ErrorsHaveACategoryAndMessages) {
    const std::error_code ec = Errc::invalid_public_key;
    EXPECT_STREQ(ec.category().name(), "bt.crypto");
    EXPECT_FALSE(ec.message().empty());
    EXPECT_NE(ec.message(), std::error_code(Errc::invalid_private_key).message());
}

TEST(Random, FixedRandomRepeatsItsBytes) {
    FixedRandom rng({1, 2, 3});
    Bytes out(7);
    rng.fill(out);
    EXPECT_EQ(out, (Bytes{1, 2, 3, 1, 2, 3, 1}));
}

TEST(Random, UniformBelowStaysInRangeAndCoversIt) {
    SystemRandom rng;
    std::vector<int> seen(513, 0);
    for (int i = 0; i < 20000; ++i) {
        const auto v = uniform_below(rng, 513);
        ASSERT_LT(v, 513U);
        ++seen[v];
    }
    EXPECT_GT(seen[0] + seen[512], 0);
    EXPECT_EQ(uniform_below(rng, 1), 0U);
    FixedRandom ff(Bytes{0xff});  // always rejected: must still terminate
    EXPECT_LT(uniform_below(ff, 513), 513U);
}

TEST(Random, SystemRandomFillsTheWholeBuffer) {
    SystemRandom rng;
    Bytes a(64, 0);
    Bytes b(64, 0);
    rng.fill(a);
    rng.fill(b);
    EXPECT_NE(a, b);
    EXPECT_NE(a, Bytes(64, 0));
    EXPECT_EQ(random_bytes(rng, 20).size(), 20U);
}

}  // namespace
}  // namespace bt::crypto
