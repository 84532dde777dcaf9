#include "crypto/rc4.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "core/hex.hpp"

namespace bt::crypto {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view text) {
    return Bytes(text.begin(), text.end());
}
Bytes hex(std::string_view text) {
    return from_hex(text).value();
}

Bytes keystream(std::string_view key_hex, std::size_t n) {
    const Bytes key = hex(key_hex);
    Rc4 rc4(key);
    Bytes out(n);
    rc4.keystream(out);
    return out;
}

struct Rfc6229Row {
    const char* key;
    std::size_t offset;
    const char* keystream;
};

// RFC 6229 section 2, "Test Vectors for RC4": keys of 40, 56, 64, 80, 128, 192 and 256 bits, 16
// keystream bytes at each of the 18 listed offsets (up to 4096, well past the 1024 bytes MSE drops).
constexpr Rfc6229Row kRfc6229[] = {
    {"0102030405", 0, "b2396305f03dc027ccc3524a0a1118a8"},
    {"0102030405", 16, "6982944f18fc82d589c403a47a0d0919"},
    {"0102030405", 240, "28cb1132c96ce286421dcaadb8b69eae"},
    {"0102030405", 256, "1cfcf62b03eddb641d77dfcf7f8d8c93"},
    {"0102030405", 496, "42b7d0cdd918a8a33dd51781c81f4041"},
    {"0102030405", 512, "6459844432a7da923cfb3eb4980661f6"},
    {"0102030405", 752, "ec10327bde2beefd18f9277680457e22"},
    {"0102030405", 768, "eb62638d4f0ba1fe9fca20e05bf8ff2b"},
    {"0102030405", 1008, "45129048e6a0ed0b56b490338f078da5"},
    {"0102030405", 1024, "30abbcc7c20b01609f23ee2d5f6bb7df"},
    {"0102030405", 1520, "3294f744d8f9790507e70f62e5bbceea"},
    {"0102030405", 1536, "d8729db41882259bee4f825325f5a130"},
    {"0102030405", 2032, "1eb14a0c13b3bf47fa2a0ba93ad45b8b"},
    {"0102030405", 2048, "cc582f8ba9f265e2b1be9112e975d2d7"},
    {"0102030405", 3056, "f2e30f9bd102ecbf75aaade9bc35c43c"},
    {"0102030405", 3072, "ec0e11c479dc329dc8da7968fe965681"},
    {"0102030405", 4080, "068326a2118416d21f9d04b2cd1ca050"},
    {"0102030405", 4096, "ff25b58995996707e51fbdf08b34d875"},
    {"01020304050607", 0, "293f02d47f37c9b633f2af5285feb46b"},
    {"01020304050607", 16, "e620f1390d19bd84e2e0fd752031afc1"},
    {"01020304050607", 240, "914f02531c9218810df60f67e338154c"},
    {"01020304050607", 256, "d0fdb583073ce85ab83917740ec011d5"},
    {"01020304050607", 496, "75f81411e871cffa70b90c74c592e454"},
    {"01020304050607", 512, "0bb87202938dad609e87a5a1b079e5e4"},
    {"01020304050607", 752, "c2911246b612e7e7b903dfeda1dad866"},
    {"01020304050607", 768, "32828f91502b6291368de8081de36fc2"},
    {"01020304050607", 1008, "f3b9a7e3b297bf9ad804512f9063eff1"},
    {"01020304050607", 1024, "8ecb67a9ba1f55a5a067e2b026a3676f"},
    {"01020304050607", 1520, "d2aa902bd42d0d7cfd340cd45810529f"},
    {"01020304050607", 1536, "78b272c96e42eab4c60bd914e39d06e3"},
    {"01020304050607", 2032, "f4332fd31a079396ee3cee3f2a4ff049"},
    {"01020304050607", 2048, "05459781d41fda7f30c1be7e1246c623"},
    {"01020304050607", 3056, "adfd3868b8e51485d5e610017e3dd609"},
    {"01020304050607", 3072, "ad26581c0c5be45f4cea01db2f3805d5"},
    {"01020304050607", 4080, "f3172ceffc3b3d997c85ccd5af1a950c"},
    {"01020304050607", 4096, "e74b0b9731227fd37c0ec08a47ddd8b8"},
    {"0102030405060708", 0, "97ab8a1bf0afb96132f2f67258da15a8"},
    {"0102030405060708", 16, "8263efdb45c4a18684ef87e6b19e5b09"},
    {"0102030405060708", 240, "9636ebc9841926f4f7d1f362bddf6e18"},
    {"0102030405060708", 256, "d0a990ff2c05fef5b90373c9ff4b870a"},
    {"0102030405060708", 496, "73239f1db7f41d80b643c0c52518ec63"},
    {"0102030405060708", 512, "163b319923a6bdb4527c626126703c0f"},
    {"0102030405060708", 752, "49d6c8af0f97144a87df21d91472f966"},
    {"0102030405060708", 768, "44173a103b6616c5d5ad1cee40c863d0"},
    {"0102030405060708", 1008, "273c9c4b27f322e4e716ef53a47de7a4"},
    {"0102030405060708", 1024, "c6d0e7b226259fa9023490b26167ad1d"},
    {"0102030405060708", 1520, "1fe8986713f07c3d9ae1c163ff8cf9d3"},
    {"0102030405060708", 1536, "8369e1a965610be887fbd0c79162aafb"},
    {"0102030405060708", 2032, "0a0127abb44484b9fbef5abcae1b579f"},
    {"0102030405060708", 2048, "c2cdadc6402e8ee866e1f37bdb47e42c"},
    {"0102030405060708", 3056, "26b51ea37df8e1d6f76fc3b66a7429b3"},
    {"0102030405060708", 3072, "bc7683205d4f443dc1f29dda3315c87b"},
    {"0102030405060708", 4080, "d5fa5a3469d29aaaf83d23589db8c85b"},
    {"0102030405060708", 4096, "3fb46e2c8f0f068edce8cdcd7dfc5862"},
    {"0102030405060708090a", 0, "ede3b04643e586cc907dc21851709902"},
    {"0102030405060708090a", 16, "03516ba78f413beb223aa5d4d2df6711"},
    {"0102030405060708090a", 240, "3cfd6cb58ee0fdde640176ad0000044d"},
    {"0102030405060708090a", 256, "48532b21fb6079c9114c0ffd9c04a1ad"},
    {"0102030405060708090a", 496, "3e8cea98017109979084b1ef92f99d86"},
    {"0102030405060708090a", 512, "e20fb49bdb337ee48b8d8dc0f4afeffe"},
    {"0102030405060708090a", 752, "5c2521eacd7966f15e056544bea0d315"},
    {"0102030405060708090a", 768, "e067a7031931a246a6c3875d2f678acb"},
    {"0102030405060708090a", 1008, "a64f70af88ae56b6f87581c0e23e6b08"},
    {"0102030405060708090a", 1024, "f449031de312814ec6f319291f4a0516"},
    {"0102030405060708090a", 1520, "bdae85924b3cb1d0a2e33a30c6d79599"},
    {"0102030405060708090a", 1536, "8a0feddbac865a09bcd127fb562ed60a"},
    {"0102030405060708090a", 2032, "b55a0a5b51a12a8be34899c3e047511a"},
    {"0102030405060708090a", 2048, "d9a09cea3ce75fe39698070317a71339"},
    {"0102030405060708090a", 3056, "552225ed1177f44584ac8cfa6c4eb5fc"},
    {"0102030405060708090a", 3072, "7e82cbabfc95381b080998442129c2f8"},
    {"0102030405060708090a", 4080, "1f135ed14ce60a91369d2322bef25e3c"},
    {"0102030405060708090a", 4096, "08b6be45124a43e2eb77953f84dc8553"},
    {"0102030405060708090a0b0c0d0e0f10", 0, "9ac7cc9a609d1ef7b2932899cde41b97"},
    {"0102030405060708090a0b0c0d0e0f10", 16, "5248c4959014126a6e8a84f11d1a9e1c"},
    {"0102030405060708090a0b0c0d0e0f10", 240, "065902e4b620f6cc36c8589f66432f2b"},
    {"0102030405060708090a0b0c0d0e0f10", 256, "d39d566bc6bce3010768151549f3873f"},
    {"0102030405060708090a0b0c0d0e0f10", 496, "b6d1e6c4a5e4771cad79538df295fb11"},
    {"0102030405060708090a0b0c0d0e0f10", 512, "c68c1d5c559a974123df1dbc52a43b89"},
    {"0102030405060708090a0b0c0d0e0f10", 752, "c5ecf88de897fd57fed301701b82a259"},
    {"0102030405060708090a0b0c0d0e0f10", 768, "eccbe13de1fcc91c11a0b26c0bc8fa4d"},
    {"0102030405060708090a0b0c0d0e0f10", 1008, "e7a72574f8782ae26aabcf9ebcd66065"},
    {"0102030405060708090a0b0c0d0e0f10", 1024, "bdf0324e6083dcc6d3cedd3ca8c53c16"},
    {"0102030405060708090a0b0c0d0e0f10", 1520, "b40110c4190b5622a96116b0017ed297"},
    {"0102030405060708090a0b0c0d0e0f10", 1536, "ffa0b514647ec04f6306b892ae661181"},
    {"0102030405060708090a0b0c0d0e0f10", 2032, "d03d1bc03cd33d70dff9fa5d71963ebd"},
    {"0102030405060708090a0b0c0d0e0f10", 2048, "8a44126411eaa78bd51e8d87a8879bf5"},
    {"0102030405060708090a0b0c0d0e0f10", 3056, "fabeb76028ade2d0e48722e46c4615a3"},
    {"0102030405060708090a0b0c0d0e0f10", 3072, "c05d88abd50357f935a63c59ee537623"},
    {"0102030405060708090a0b0c0d0e0f10", 4080, "ff38265c1642c1abe8d3c2fe5e572bf8"},
    {"0102030405060708090a0b0c0d0e0f10", 4096, "a36a4c301ae8ac13610ccbc12256cacc"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 0, "0595e57fe5f0bb3c706edac8a4b2db11"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 16, "dfde31344a1af769c74f070aee9e2326"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 240, "b06b9b1e195d13d8f4a7995c4553ac05"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 256, "6bd2378ec341c9a42f37ba79f88a32ff"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 496, "e70bce1df7645adb5d2c4130215c3522"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 512, "9a5730c7fcb4c9af51ffda89c7f1ad22"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 752, "0485055fd4f6f0d963ef5ab9a5476982"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 768, "591fc66bcda10e452b03d4551f6b62ac"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 1008, "2753cc83988afa3e1688a1d3b42c9a02"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 1024, "93610d523d1d3f0062b3c2a3bbc7c7f0"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 1520, "96c248610aadedfeaf8978c03de8205a"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 1536, "0e317b3d1c73b9e9a4688f296d133a19"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 2032, "bdf0e6c3cca5b5b9d533b69c56ada120"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 2048, "88a218b6e2ece1e6246d44c759d19b10"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 3056, "6866397e95c140534f94263421006e40"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 3072, "32cb0a1e9542c6b3b8b398abc3b0f1d5"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 4080, "29a0b8aed54a132324c62e423f54b4c8"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718", 4096, "3cb0f3b5020a98b82af9fe154484a168"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 0,
     "eaa6bd25880bf93d3f5d1e4ca2611d91"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 16,
     "cfa45c9f7e714b54bdfa80027cb14380"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 240,
     "114ae344ded71b35f2e60febad727fd8"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 256,
     "02e1e7056b0f623900496422943e97b6"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 496,
     "91cb93c787964e10d9527d999c6f936b"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 512,
     "49b18b42f8e8367cbeb5ef104ba1c7cd"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 752,
     "87084b3ba700bade955610672745b374"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 768,
     "e7a7b9e9ec540d5ff43bdb12792d1b35"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 1008,
     "c799b596738f6b018c76c74b1759bd90"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 1024,
     "7fec5bfd9f9b89ce6548309092d7e958"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 1520,
     "40f250b26d1f096a4afd4c340a588815"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 1536,
     "3e34135c79db010200767651cf263073"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 2032,
     "f656abccf88dd827027b2ce917d464ec"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 2048,
     "18b62503bfbc077fbabb98f20d98ab34"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 3056,
     "8aed95ee5b0dcbfbef4eb21d3a3f52f9"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 3072,
     "625a1ab00ee39a5327346bddb01a9c18"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 4080,
     "a13a7c79c7e119b5ab0296ab28c300b9"},
    {"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 4096,
     "f3e4c0a2e02d1d01f7f0a74618af2b48"},
};

TEST(Rc4, MatchesRfc6229KeystreamAtEveryListedOffset) {
    std::string current_key;
    Bytes stream;
    for (const auto& row : kRfc6229) {
        if (row.key != current_key) {
            current_key = row.key;
            stream = keystream(row.key, 4096 + 16);
        }
        const Bytes got(stream.begin() + static_cast<std::ptrdiff_t>(row.offset),
                        stream.begin() + static_cast<std::ptrdiff_t>(row.offset + 16));
        EXPECT_EQ(to_hex(got), row.keystream) << "key " << row.key << " offset " << row.offset;
    }
}

TEST(Rc4, DiscardThenKeystreamMatchesRfc6229AfterDrop1024) {
    // The MSE layer drops 1024 bytes: the next 16 must be the RFC's offset-1024 row.
    for (const auto& row : kRfc6229) {
        if (row.offset != 1024) continue;
        const Bytes key = hex(row.key);
        Rc4 rc4(key);
        rc4.discard(1024);
        Bytes out(16);
        rc4.keystream(out);
        EXPECT_EQ(to_hex(out), row.keystream) << row.key;
    }
}

TEST(Rc4, EncryptsClassicTextVectors) {
    struct Case {
        const char* key;
        const char* plain;
        const char* cipher;
    };
    const Case cases[] = {
        {"Key", "Plaintext", "bbf316e8d940af0ad3"},
        {"Wiki", "pedia", "1021bf0420"},
        {"Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5"},
    };
    for (const auto& c : cases) {
        const Bytes key = bytes_of(c.key);
        Rc4 rc4(key);
        Bytes data = bytes_of(c.plain);
        rc4.process(data);
        EXPECT_EQ(to_hex(data), c.cipher) << c.key;
    }
}

TEST(Rc4, DecryptingWithAFreshStateRestoresThePlaintext) {
    const Bytes key = hex("e1b1817be0f05519c2a22c106a850cbaff80a8ab");
    Bytes data(3000);
    std::iota(data.begin(), data.end(), std::uint8_t{7});
    const Bytes original = data;
    Rc4 enc(key);
    enc.process(data);
    EXPECT_NE(data, original);
    Rc4 dec(key);
    dec.process(data);
    EXPECT_EQ(data, original);
}

TEST(Rc4, ChunkedProcessingEqualsOneShotForEverySplit) {
    const Bytes key = hex("0102030405");
    Bytes plain(600);
    std::iota(plain.begin(), plain.end(), std::uint8_t{0});
    Bytes whole = plain;
    Rc4(key).process(whole);
    for (std::size_t cut = 0; cut <= plain.size(); cut += 13) {
        Rc4 rc4(key);
        Bytes data = plain;
        rc4.process(std::span<std::uint8_t>(data).first(cut));
        rc4.process(std::span<std::uint8_t>(data).subspan(cut));
        ASSERT_EQ(data, whole) << "cut at " << cut;
    }
}

TEST(Rc4, DiscardAdvancesExactlyLikeGeneratingKeystream) {
    const Bytes key = hex("833222772a");
    const Bytes full = keystream("833222772a", 2100);
    for (std::size_t skip : {0U, 1U, 255U, 256U, 1024U, 2000U}) {
        Rc4 rc4(key);
        rc4.discard(skip);
        Bytes next(100);
        rc4.keystream(next);
        EXPECT_EQ(next, Bytes(full.begin() + static_cast<std::ptrdiff_t>(skip),
                              full.begin() + static_cast<std::ptrdiff_t>(skip + 100)))
            << "skip " << skip;
    }
}

TEST(Rc4, CopiesContinueIndependently) {
    const Bytes key = hex("0102030405");
    Rc4 a(key);
    a.discard(10);
    Rc4 b = a;
    Bytes x(32);
    Bytes y(32);
    a.keystream(x);
    b.keystream(y);
    EXPECT_EQ(x, y);
    a.discard(1);
    a.keystream(x);
    b.keystream(y);
    EXPECT_NE(x, y);
}

TEST(Rc4, OnlyTheFirst256KeyBytesMatter) {
    Bytes long_key(300, 0x5a);
    for (std::size_t i = 0; i < long_key.size(); ++i) long_key[i] = static_cast<std::uint8_t>(i * 7);
    Bytes truncated(long_key.begin(), long_key.begin() + 256);
    Bytes a(64);
    Bytes b(64);
    Rc4(long_key).keystream(a);
    Rc4(truncated).keystream(b);
    EXPECT_EQ(a, b);
}

// OpenSSL's RC4 as an independent reference, where its legacy provider can be loaded.
TEST(Rc4, MatchesOpenSslOverLongStreamsInOddChunks) {
    OSSL_LIB_CTX* lib = OSSL_LIB_CTX_new();
    ASSERT_NE(lib, nullptr);
    OSSL_PROVIDER* legacy = OSSL_PROVIDER_load(lib, "legacy");
    EVP_CIPHER* cipher = legacy != nullptr ? EVP_CIPHER_fetch(lib, "RC4", nullptr) : nullptr;
    if (cipher == nullptr) {
        if (legacy != nullptr) OSSL_PROVIDER_unload(legacy);
        OSSL_LIB_CTX_free(lib);
        GTEST_SKIP() << "OpenSSL's legacy provider (RC4) cannot be loaded here";
    }
    const Bytes key = hex("e1b1817be0f05519c2a22c106a850cbaff80a8ab");
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(EVP_EncryptInit_ex2(ctx, cipher, nullptr, nullptr, nullptr), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_set_key_length(ctx, static_cast<int>(key.size())), 1);
    ASSERT_EQ(EVP_EncryptInit_ex2(ctx, nullptr, key.data(), nullptr, nullptr), 1);
    Rc4 ours(key);
    Bytes a(70001);
    std::iota(a.begin(), a.end(), std::uint8_t{3});
    Bytes b = a;
    std::size_t pos = 0;
    for (std::size_t chunk = 1; pos < a.size(); chunk = chunk * 3 % 4099 + 1) {
        const std::size_t n = std::min(chunk, a.size() - pos);
        ours.process(std::span(a).subspan(pos, n));
        int written = 0;
        ASSERT_EQ(EVP_EncryptUpdate(ctx, b.data() + pos, &written, b.data() + pos, static_cast<int>(n)), 1);
        pos += n;
    }
    EXPECT_EQ(a, b);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    OSSL_PROVIDER_unload(legacy);
    OSSL_LIB_CTX_free(lib);
}

TEST(Rc4, MovedFromStateContinuesInTheTarget) {
    const Bytes key = hex("0102030405");
    Rc4 a(key);
    a.discard(100);
    Rc4 moved = std::move(a);
    Rc4 reference(key);
    reference.discard(100);
    Bytes x(64);
    Bytes y(64);
    moved.keystream(x);
    reference.keystream(y);
    EXPECT_EQ(x, y);
}

}  // namespace
}  // namespace bt::crypto
