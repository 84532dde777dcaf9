// MSE cost: RC4 throughput (ours, and OpenSSL's legacy-provider RC4 for comparison when available),
// DH key pairs and shared secrets, and whole initiator+receiver handshakes.
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <cstdint>
#include <vector>

#include "crypto/dh.hpp"
#include "crypto/random.hpp"
#include "crypto/rc4.hpp"
#include "mse/handshake.hpp"
#include "mse/keys.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

void BM_Rc4(benchmark::State& state) {
    Bytes buf(static_cast<std::size_t>(state.range(0)), 0x5a);
    const Bytes key(20, 0x42);
    bt::crypto::Rc4 rc4(key);
    for (auto _ : state) {
        rc4.process(buf);
        benchmark::DoNotOptimize(buf.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_Rc4)->Arg(1024)->Arg(16 * 1024)->Arg(1024 * 1024);

// OpenSSL 3 keeps RC4 in the legacy provider; skipped when that provider cannot be loaded.
void BM_Rc4OpenSslEvp(benchmark::State& state) {
    static OSSL_PROVIDER* legacy = OSSL_PROVIDER_load(nullptr, "legacy");
    static OSSL_PROVIDER* deflt = OSSL_PROVIDER_load(nullptr, "default");
    (void)deflt;
    EVP_CIPHER* cipher = legacy ? EVP_CIPHER_fetch(nullptr, "RC4", nullptr) : nullptr;
    if (cipher == nullptr) {
        state.SkipWithError("OpenSSL legacy provider (RC4) not available");
        return;
    }
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    const Bytes key(16, 0x42);
    EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr);
    Bytes buf(static_cast<std::size_t>(state.range(0)), 0x5a);
    int outl = 0;
    for (auto _ : state) {
        EVP_EncryptUpdate(ctx, buf.data(), &outl, buf.data(), static_cast<int>(buf.size()));
        benchmark::DoNotOptimize(buf.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
}
BENCHMARK(BM_Rc4OpenSslEvp)->Arg(16 * 1024)->Arg(1024 * 1024);

void BM_Rc4KeySetupDrop1024(benchmark::State& state) {
    bt::mse::Sha1Digest key{};
    key.fill(7);
    for (auto _ : state) {
        auto rc4 = bt::mse::make_rc4_drop1024(key);
        benchmark::DoNotOptimize(&rc4);
    }
}
BENCHMARK(BM_Rc4KeySetupDrop1024);

void BM_DhKeyPair(benchmark::State& state) {
    bt::crypto::SystemRandom rng;
    for (auto _ : state) {
        auto dh = bt::crypto::Dh::generate(rng);
        benchmark::DoNotOptimize(dh.public_key().data());
    }
}
BENCHMARK(BM_DhKeyPair);

// One side's DH work per connection: a fresh key pair plus the shared secret.
void BM_DhHandshake(benchmark::State& state) {
    bt::crypto::SystemRandom rng;
    const auto peer = bt::crypto::Dh::generate(rng);
    for (auto _ : state) {
        auto dh = bt::crypto::Dh::generate(rng);
        auto s = dh.shared_secret(peer.public_key());
        benchmark::DoNotOptimize(s);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DhHandshake);

// The floor under BM_DhHandshake: the same two constant-time modexps (2^x and peer^x mod the MSE
// prime, 160-bit x) straight on OpenSSL BIGNUM with a cached Montgomery context, no key checks or
// copies. `openssl speed` has no 768-bit DH; this is the like-for-like OpenSSL figure.
void BM_DhHandshakeBnFloor(benchmark::State& state) {
    const auto& prime = bt::crypto::mse_prime();
    BIGNUM* p = BN_bin2bn(prime.data(), static_cast<int>(prime.size()), nullptr);
    BIGNUM* g = BN_new();
    BIGNUM* x = BN_new();
    BIGNUM* y = BN_new();
    BIGNUM* peer = BN_new();
    BIGNUM* s = BN_new();
    BN_CTX* ctx = BN_CTX_new();
    BN_MONT_CTX* mont = BN_MONT_CTX_new();
    BN_set_word(g, 2);
    BN_MONT_CTX_set(mont, p, ctx);
    BN_rand(x, 160, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
    BN_mod_exp_mont(peer, g, x, p, ctx, mont);
    for (auto _ : state) {
        BN_rand(x, 160, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
        BN_set_flags(x, BN_FLG_CONSTTIME);
        BN_mod_exp_mont(y, g, x, p, ctx, mont);
        BN_mod_exp_mont(s, peer, x, p, ctx, mont);
        benchmark::DoNotOptimize(s);
    }
    state.SetItemsProcessed(state.iterations());
    BN_MONT_CTX_free(mont);
    BN_CTX_free(ctx);
    for (BIGNUM* b : {p, g, x, y, peer, s}) BN_clear_free(b);
}
BENCHMARK(BM_DhHandshakeBnFloor);

// Both sides, whole handshake in memory: 4 modexps, hashing, RC4 setup, random pads.
void BM_MseHandshakePair(benchmark::State& state) {
    bt::crypto::SystemRandom rng;
    bt::mse::Skey skey{};
    skey.fill(0x42);
    const Bytes ia(68, 0x13);
    for (auto _ : state) {
        bt::mse::Params pa;
        pa.role = bt::mse::Role::initiator;
        bt::mse::randomize(pa, rng);
        pa.skey = skey;
        pa.initial_payload = ia;
        bt::mse::Params pb;
        pb.role = bt::mse::Role::receiver;
        bt::mse::randomize(pb, rng);
        pb.find_skey = [skey](const bt::mse::Sha1Digest&) { return std::optional<bt::mse::Skey>(skey); };
        auto a = bt::mse::Handshake::create(std::move(pa));
        auto b = bt::mse::Handshake::create(std::move(pb));
        if (!a || !b) {
            state.SkipWithError("create failed");
            return;
        }
        Bytes to_b = a->take_output();
        (void)b->feed(to_b);
        Bytes to_a = b->take_output();
        (void)a->feed(to_a);
        to_b = a->take_output();
        (void)b->feed(to_b);
        to_a = b->take_output();
        (void)a->feed(to_a);
        if (!a->done() || !b->done()) {
            state.SkipWithError("handshake did not finish");
            return;
        }
        auto oa = std::move(*a).finish();
        benchmark::DoNotOptimize(oa);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MseHandshakePair);

}  // namespace
