#include "mse/keys.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace bt::mse {
namespace {

using test::Bytes;
using test::hex;

crypto::DhKey key96(const Bytes& b) {
    crypto::DhKey k{};
    EXPECT_EQ(b.size(), k.size());
    std::copy(b.begin(), b.end(), k.begin());
    return k;
}

Skey skey_of(const Bytes& b) {
    Skey k{};
    EXPECT_EQ(b.size(), k.size());
    std::copy(b.begin(), b.end(), k.begin());
    return k;
}

Bytes first_keystream(const Sha1Digest& key, std::size_t n) {
    auto rc4 = make_rc4_drop1024(key);
    Bytes out(n);
    rc4.keystream(out);
    return out;
}

TEST(MseKeys, SyncLimitsAre628And616BytesFromStreamStart) {
    EXPECT_EQ(kReq1SyncLimit, 96U + 512U + 20U);
    EXPECT_EQ(kVcSyncLimit, 96U + 512U + 8U);
}

TEST(MseKeys, ReproduceTheSpecVector) {
    // spec/mse.md §12.1, typed in from the spec (independent of the generated files).
    const auto s = key96(hex(
        "cd8536d5f2c98f01f8f5a648f69f6f2d6a6aafd044666b01fc8beb81f63ddbea0a862b2b6306431f7a308b063f795d18"
        "1ca711b22ab0602a9c4b5d1c53269837773ff53a4de47d9aace6b6a1b789ea37077507842742eb7581ea180b16748826"));
    const Skey skey = skey_of(hex("0123456789abcdef0123456789abcdef01234567"));
    EXPECT_EQ(to_hex(req1_hash(s)), "361e3668027ecec9d1086d5f839d191781e8de17");
    EXPECT_EQ(to_hex(req2_hash(skey)), "9b0e3139e33164f3e4682f23d7706103e892d63a");
    EXPECT_EQ(to_hex(req3_hash(s)), "3636fc5ac2a9bdd097857f8b02403004817d467d");
    const auto ka = key_a(s, skey);
    const auto kb = key_b(s, skey);
    EXPECT_EQ(to_hex(ka), "79ce4dc6d2b4726533e515706315ec6d1fc03b61");
    EXPECT_EQ(to_hex(kb), "e1b1817be0f05519c2a22c106a850cbaff80a8ab");
    EXPECT_EQ(to_hex(first_keystream(ka, 8)), "5e880a01ca88131c");  // E_A(VC)
    EXPECT_EQ(to_hex(first_keystream(kb, 8)), "6fc771f02c4db0eb");  // E_B(VC), A's sync marker
    // E_A(VC | provide=3 | len(PadC)=0 | len(IA)=0)
    Bytes fields =
        hex("0000000000000000"
            "00000003"
            "0000"
            "0000");
    auto rc4 = make_rc4_drop1024(ka);
    rc4.process(fields);
    EXPECT_EQ(to_hex(fields), "5e880a01ca88131ce8c73845ded47dcb");
}

TEST(MseKeys, HashTheFull96ByteSecretWhenItHasALeadingZero) {
    // spec §12.1 leading-zero case: S starts 00 80 4e c8; hashing the 95-byte form is the rtorrent bug.
    for (const auto& rec : test::load_records("keys.txt")) {
        if (rec.name() != "secret_leading_zero") continue;
        const auto s = key96(rec.bytes("s"));
        ASSERT_EQ(s[0], 0);
        EXPECT_EQ(to_hex(req1_hash(s)), "bffa0ab6ce946dbf72a111a2a84adef83fc1f0c6");
        return;
    }
    FAIL() << "vector secret_leading_zero missing";
}

TEST(MseKeys, MatchTheIndependentPythonReference) {
    const auto records = test::load_records("keys.txt");
    ASSERT_GE(records.size(), 6U);
    for (const auto& rec : records) {
        SCOPED_TRACE(rec.name());
        const auto s = key96(rec.bytes("s"));
        const Skey skey = skey_of(rec.bytes("skey"));
        EXPECT_EQ(to_hex(req1_hash(s)), rec.text("req1"));
        EXPECT_EQ(to_hex(req2_hash(skey)), rec.text("req2"));
        EXPECT_EQ(to_hex(req3_hash(s)), rec.text("req3"));
        EXPECT_EQ(to_hex(key_a(s, skey)), rec.text("key_a"));
        EXPECT_EQ(to_hex(key_b(s, skey)), rec.text("key_b"));
        EXPECT_EQ(to_hex(first_keystream(key_a(s, skey), 8)), rec.text("vc_a"));
        EXPECT_EQ(to_hex(first_keystream(key_b(s, skey), 8)), rec.text("vc_b"));
    }
}

TEST(MseKeys, CryptoMaskSetOperations) {
    const auto both = CryptoMask::both();
    EXPECT_TRUE(both.has(CryptoMethod::rc4));
    EXPECT_TRUE(both.has(CryptoMethod::plaintext));
    EXPECT_EQ(CryptoMask::only(CryptoMethod::rc4) | CryptoMask::only(CryptoMethod::plaintext), both);
    EXPECT_EQ(both & CryptoMask::only(CryptoMethod::rc4), CryptoMask::only(CryptoMethod::rc4));
    EXPECT_TRUE(CryptoMask::none().empty());
    EXPECT_TRUE(CryptoMask{0x04}.empty());  // reserved bits do not count
}

}  // namespace
}  // namespace bt::mse
