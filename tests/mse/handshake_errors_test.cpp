// Every way the handshake refuses a peer (or our own parameters), with hand-built messages.
#include <gtest/gtest.h>

#include <random>

#include "crypto/dh.hpp"
#include "mse/handshake.hpp"
#include "test_support.hpp"

namespace bt::mse {
namespace {

using test::Bytes;
using test::concat;
using test::drive_bytewise;
using test::drive_whole;
using test::DriveResult;
using test::hex;

void put32(Bytes& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put16(Bytes& out, std::size_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

Bytes garbage(std::uint32_t seed, std::size_t n) {
    std::mt19937 gen(seed);
    Bytes out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(gen());
    return out;
}

// Fixed keys (spec §12.1) and hand-built messages, so each field can be set to anything.
struct Peer {
    Bytes xa = hex("0102030405060708090a0b0c0d0e0f1011121314");
    Bytes xb = hex("2122232425262728292a2b2c2d2e2f3031323334");
    Skey skey{};
    crypto::DhKey ya{}, yb{}, s{};

    Peer() {
        skey.fill(0x5c);
        auto a = crypto::Dh::from_private_key(xa);
        auto b = crypto::Dh::from_private_key(xb);
        ya = a->public_key();
        yb = b->public_key();
        s = *a->shared_secret(yb);
    }

    Params receiver(CryptoMask allowed = CryptoMask::both()) const {
        Params p;
        p.role = Role::receiver;
        p.private_key = xb;
        p.allowed = allowed;
        const Skey known = skey;
        p.find_skey = [known](const Sha1Digest& req2) -> std::optional<Skey> {
            if (req2 == req2_hash(known)) return known;
            return std::nullopt;
        };
        return p;
    }
    Params initiator(CryptoMask provide = CryptoMask::both()) const {
        Params p;
        p.role = Role::initiator;
        p.private_key = xa;
        p.allowed = provide;
        p.skey = skey;
        return p;
    }

    // Message 1 (no pad) and message 3 with arbitrary field values.
    Bytes msg1_and_3(std::uint32_t provide, std::size_t pad_c, std::size_t ia_len_field, const Bytes& ia,
                     Bytes vc = Bytes(8, 0)) const {
        Bytes out(ya.begin(), ya.end());
        const auto req1 = req1_hash(s);
        const auto req2 = req2_hash(skey);
        const auto req3 = req3_hash(s);
        out.insert(out.end(), req1.begin(), req1.end());
        for (std::size_t i = 0; i < 20; ++i) out.push_back(static_cast<std::uint8_t>(req2[i] ^ req3[i]));
        Bytes enc = vc;
        put32(enc, provide);
        put16(enc, pad_c);
        enc.insert(enc.end(), pad_c, 0);
        put16(enc, ia_len_field);
        enc.insert(enc.end(), ia.begin(), ia.end());
        auto rc4 = make_rc4_drop1024(key_a(s, skey));
        rc4.process(enc);
        return concat({out, enc});
    }

    // Message 2 (no pad) and message 4 with arbitrary field values.
    Bytes msg2_and_4(std::uint32_t select, std::size_t pad_d_field, std::size_t pad_d_actual) const {
        Bytes out(yb.begin(), yb.end());
        Bytes enc(8, 0);
        put32(enc, select);
        put16(enc, pad_d_field);
        enc.insert(enc.end(), pad_d_actual, 0);
        auto rc4 = make_rc4_drop1024(key_b(s, skey));
        rc4.process(enc);
        return concat({out, enc});
    }
};

Handshake make(Params p) {
    auto hs = Handshake::create(std::move(p));
    EXPECT_TRUE(hs.has_value());
    return std::move(*hs);
}

std::error_code code(Errc e) {
    return make_error_code(e);
}

// ---- Sync bounds --------------------------------------------------------------------------------

TEST(MseBounds, ReceiverGivesUpExactlyAt628BytesWithoutReq1) {
    const Peer peer;
    const Bytes input = concat({Bytes(peer.ya.begin(), peer.ya.end()), garbage(1, 1000)});
    static_assert(kReq1SyncLimit == 628);
    {
        auto hs = make(peer.receiver());
        const DriveResult run = drive_whole(hs, std::span<const std::uint8_t>(input).first(627));
        EXPECT_FALSE(run.error);
        EXPECT_FALSE(run.done);
        EXPECT_EQ(run.output.size(), 96U);  // Yb went out
    }
    for (std::size_t n : {std::size_t{628}, std::size_t{629}, input.size()}) {
        auto hs = make(peer.receiver());
        const DriveResult run = drive_whole(hs, std::span<const std::uint8_t>(input).first(n));
        EXPECT_EQ(run.error, code(Errc::req1_not_found)) << n;
    }
    auto hs = make(peer.receiver());
    const DriveResult run = drive_bytewise(hs, input);
    EXPECT_EQ(run.error, code(Errc::req1_not_found));
    EXPECT_EQ(run.consumed, 627U);  // the 628th byte is the one that fails
}

TEST(MseBounds, ReceiverGivesUpOnRandomGarbageFromTheFirstByte) {
    const Peer peer;
    for (std::uint32_t seed = 10; seed < 20; ++seed) {
        Bytes input = garbage(seed, 700);
        input[0] = 0x7f;  // keep the random "Ya" below P
        auto hs = make(peer.receiver());
        const DriveResult ok = drive_whole(hs, std::span<const std::uint8_t>(input).first(627));
        EXPECT_FALSE(ok.error);
        auto hs2 = make(peer.receiver());
        const DriveResult run = drive_bytewise(hs2, input);
        EXPECT_EQ(run.error, code(Errc::req1_not_found));
        EXPECT_EQ(run.consumed, 627U);
    }
}

TEST(MseBounds, Req1MayStartAtOffset512AfterYaButNot513) {
    const Peer peer;
    const Bytes m = peer.msg1_and_3(2, 0, 0, {});
    const Bytes ya(m.begin(), m.begin() + 96);
    const Bytes rest(m.begin() + 96, m.end());
    {
        auto hs = make(peer.receiver());
        const DriveResult run = drive_whole(hs, concat({ya, garbage(3, 512), rest}));
        EXPECT_TRUE(run.done) << run.error.message();
    }
    auto hs = make(peer.receiver());
    const DriveResult run = drive_whole(hs, concat({ya, garbage(3, 513), rest}));
    EXPECT_EQ(run.error, code(Errc::req1_not_found));
}

TEST(MseBounds, InitiatorGivesUpExactlyAt616BytesWithoutVc) {
    const Peer peer;
    const Bytes input = concat({Bytes(peer.yb.begin(), peer.yb.end()), garbage(4, 1000)});
    static_assert(kVcSyncLimit == 616);
    auto ok = make(peer.initiator());
    const DriveResult before = drive_whole(ok, std::span<const std::uint8_t>(input).first(615));
    EXPECT_FALSE(before.error);
    EXPECT_FALSE(before.done);
    auto hs = make(peer.initiator());
    const DriveResult run = drive_bytewise(hs, input);
    EXPECT_EQ(run.error, code(Errc::vc_not_found));
    EXPECT_EQ(run.consumed, 615U);
}

TEST(MseBounds, VcMayStartAtOffset512AfterYbButNot513) {
    const Peer peer;
    const Bytes m = peer.msg2_and_4(2, 0, 0);
    const Bytes yb(m.begin(), m.begin() + 96);
    const Bytes rest(m.begin() + 96, m.end());
    {
        auto hs = make(peer.initiator());
        const DriveResult run = drive_whole(hs, concat({yb, garbage(5, 512), rest}));
        EXPECT_TRUE(run.done) << run.error.message();
    }
    auto hs = make(peer.initiator());
    const DriveResult run = drive_whole(hs, concat({yb, garbage(5, 513), rest}));
    EXPECT_EQ(run.error, code(Errc::vc_not_found));
}

TEST(MseBounds, NinetyFiveBytesThenSilenceIsNeitherDoneNorAnError) {
    const Peer peer;
    for (Role role : {Role::initiator, Role::receiver}) {
        auto hs = make(role == Role::initiator ? peer.initiator() : peer.receiver());
        const Bytes y = role == Role::initiator ? Bytes(peer.yb.begin(), peer.yb.end())
                                                : Bytes(peer.ya.begin(), peer.ya.end());
        const DriveResult run = drive_whole(hs, std::span<const std::uint8_t>(y).first(95));
        EXPECT_FALSE(run.error);
        EXPECT_FALSE(run.done);
        EXPECT_EQ(run.output.size(), role == Role::initiator ? 96U : 0U);  // only Ya; B waits for Ya
        EXPECT_TRUE(hs.take_output().empty());
    }
}

// ---- The peer's key ------------------------------------------------------------------------------

TEST(MseErrors, DegeneratePeerKeysAreRefusedByBothRoles) {
    const Peer peer;
    crypto::DhKey p = crypto::mse_prime();
    crypto::DhKey p_minus_1 = p;
    p_minus_1.back() -= 1;
    crypto::DhKey zero{};
    crypto::DhKey one{};
    one.back() = 1;
    crypto::DhKey ones;
    ones.fill(0xff);
    for (const auto& y : {zero, one, p_minus_1, p, ones}) {
        for (Role role : {Role::initiator, Role::receiver}) {
            auto hs = make(role == Role::initiator ? peer.initiator() : peer.receiver());
            (void)hs.take_output();
            const DriveResult run = drive_whole(hs, concat({y, garbage(6, 40)}));
            EXPECT_EQ(run.error, code(Errc::peer_key_invalid)) << to_hex(y);
            EXPECT_TRUE(run.output.empty());  // the receiver does not answer with Yb
            auto again = hs.feed(Bytes{1});
            ASSERT_FALSE(again.has_value());
            EXPECT_EQ(again.error(), code(Errc::peer_key_invalid));  // the error sticks
            EXPECT_TRUE(hs.failed());
        }
    }
}

TEST(MseErrors, InitiatorRecognisesAPlaintextReplyAfter20Bytes) {
    const Peer peer;
    const std::string header =
        "\x13"
        "BitTorrent protocol";
    Bytes reply(header.begin(), header.end());
    reply.resize(68, 0);
    auto hs = make(peer.initiator());
    auto head = hs.feed(std::span<const std::uint8_t>(reply).first(19));
    ASSERT_TRUE(head.has_value());  // 19 matching bytes decide nothing
    auto rest = hs.feed(std::span<const std::uint8_t>(reply).subspan(19));
    ASSERT_FALSE(rest.has_value());
    EXPECT_EQ(rest.error(), code(Errc::plaintext_reply));
}

// ---- Message 3 (receiver side) -----------------------------------------------------------------------

TEST(MseErrors, ReceiverRefusesAnUnknownInfoHash) {
    Peer peer;
    Params p = peer.receiver();
    p.find_skey = [](const Sha1Digest&) { return std::optional<Skey>{}; };
    auto hs = make(std::move(p));
    const DriveResult run = drive_whole(hs, peer.msg1_and_3(2, 0, 0, {}));
    EXPECT_EQ(run.error, code(Errc::unknown_skey));
}

TEST(MseErrors, ReceiverRefusesANonZeroVerificationConstant) {
    const Peer peer;
    for (std::size_t i = 0; i < 8; ++i) {
        Bytes vc(8, 0);
        vc[i] = 0x01;
        auto hs = make(peer.receiver());
        EXPECT_EQ(drive_whole(hs, peer.msg1_and_3(2, 0, 0, {}, vc)).error, code(Errc::bad_vc)) << i;
    }
}

TEST(MseErrors, ReceiverReportsNoCommonMethod) {
    const Peer peer;
    struct Case {
        std::uint32_t provide;
        CryptoMask allowed;
    };
    const Case cases[] = {
        {0x00, CryptoMask::both()},                         // nothing offered
        {0x04, CryptoMask::both()},                         // only a reserved bit
        {0xfffffffc, CryptoMask::both()},                   // every reserved bit, no known method
        {0x01, CryptoMask::only(CryptoMethod::rc4)},        // plaintext offered, RC4 required
        {0x02, CryptoMask::only(CryptoMethod::plaintext)},  // RC4 offered, plaintext only allowed
    };
    for (const auto& c : cases) {
        auto hs = make(peer.receiver(c.allowed));
        EXPECT_EQ(drive_whole(hs, peer.msg1_and_3(c.provide, 0, 0, {})).error, code(Errc::no_common_method))
            << c.provide;
    }
}

TEST(MseErrors, ReceiverIgnoresReservedProvideBits) {
    const Peer peer;
    auto hs = make(peer.receiver());
    const DriveResult run = drive_whole(hs, peer.msg1_and_3(0xfffffffe, 0, 0, {}));  // RC4 plus reserved bits
    ASSERT_TRUE(run.done) << run.error.message();
    EXPECT_EQ(std::move(hs).finish()->method, CryptoMethod::rc4);
}

TEST(MseErrors, ReceiverRefusesPadCLongerThan512) {
    const Peer peer;
    auto ok = make(peer.receiver());
    EXPECT_TRUE(drive_whole(ok, peer.msg1_and_3(2, 512, 0, {})).done);
    auto hs = make(peer.receiver());
    EXPECT_EQ(drive_whole(hs, peer.msg1_and_3(2, 513, 0, {})).error, code(Errc::pad_too_long));
}

TEST(MseErrors, ReceiverRefusesAnInitialPayloadAboveItsLimit) {
    const Peer peer;
    const Bytes ia69(69, 0xab);
    auto hs = make(peer.receiver());
    EXPECT_EQ(drive_whole(hs, peer.msg1_and_3(2, 0, 69, ia69)).error, code(Errc::ia_too_long));
    Params lenient = peer.receiver();
    lenient.max_initial_payload = 1000;
    auto hs2 = make(std::move(lenient));
    const DriveResult run = drive_whole(hs2, peer.msg1_and_3(2, 0, 69, ia69));
    ASSERT_TRUE(run.done) << run.error.message();
    EXPECT_EQ(std::move(hs2).finish()->initial_payload, ia69);
}

TEST(MseErrors, ReceiverDecryptsTheInitialPayloadEvenWhenPlaintextIsSelected) {
    const Peer peer;
    const Bytes ia = garbage(8, 68);
    auto hs = make(peer.receiver(CryptoMask::only(CryptoMethod::plaintext)));
    const Bytes input =
        concat({peer.msg1_and_3(3, 0, 68, ia), Bytes{0, 0, 0, 1, 2}});  // + a raw "interested"
    const DriveResult run = drive_whole(hs, input);
    ASSERT_TRUE(run.done) << run.error.message();
    EXPECT_EQ(run.leftover, (Bytes{0, 0, 0, 1, 2}));  // not decrypted, not consumed
    auto outcome = std::move(hs).finish();
    EXPECT_EQ(outcome->method, CryptoMethod::plaintext);
    EXPECT_EQ(outcome->initial_payload, ia);
    EXPECT_FALSE(outcome->cipher.is_encrypted());
}

// ---- Message 4 (initiator side) ----------------------------------------------------------------

TEST(MseErrors, InitiatorRefusesASelectThatIsNotOneOfferedMethod) {
    const Peer peer;
    struct Case {
        std::uint32_t select;
        CryptoMask provide;
    };
    const Case cases[] = {
        {0x00, CryptoMask::both()},
        {0x03, CryptoMask::both()},  // two methods
        {0x04, CryptoMask::both()},  // reserved
        {0x06, CryptoMask::both()},  // RC4 plus a reserved bit
        {0x01, CryptoMask::only(CryptoMethod::rc4)},
        {0x02, CryptoMask::only(CryptoMethod::plaintext)},
    };
    for (const auto& c : cases) {
        auto hs = make(peer.initiator(c.provide));
        EXPECT_EQ(drive_whole(hs, peer.msg2_and_4(c.select, 0, 0)).error, code(Errc::invalid_select))
            << c.select;
    }
}

TEST(MseErrors, InitiatorRefusesPadDLongerThan512) {
    const Peer peer;
    auto ok = make(peer.initiator());
    EXPECT_TRUE(drive_whole(ok, peer.msg2_and_4(2, 512, 512)).done);
    auto hs = make(peer.initiator());
    EXPECT_EQ(drive_whole(hs, peer.msg2_and_4(2, 513, 513)).error, code(Errc::pad_too_long));
}

TEST(MseErrors, InitiatorStopsExactlyAtTheEndOfPadD) {
    const Peer peer;
    auto hs = make(peer.initiator());
    const Bytes stream = {9, 8, 7, 6, 5};
    const Bytes m = peer.msg2_and_4(1, 3, 3);
    const DriveResult run = drive_whole(hs, concat({m, stream}));
    ASSERT_TRUE(run.done);
    EXPECT_EQ(run.consumed, m.size());
    EXPECT_EQ(run.leftover, stream);
    auto more = hs.feed(stream);  // once done, nothing more is consumed
    ASSERT_TRUE(more.has_value());
    EXPECT_EQ(*more, 0U);
}

// ---- Our own parameters --------------------------------------------------------------------------

TEST(MseErrors, InvalidParamsAreRefusedAtCreation) {
    const Peer peer;
    std::vector<std::pair<const char*, Params>> cases;
    {
        Params p = peer.initiator();
        p.pad.assign(513, 0);
        cases.emplace_back("pad 513", p);
    }
    {
        Params p = peer.initiator();
        p.encrypted_pad_size = 513;
        cases.emplace_back("encrypted pad 513", p);
    }
    {
        Params p = peer.initiator();
        p.initial_payload.assign(69, 0);
        cases.emplace_back("IA 69", p);
    }
    {
        Params p = peer.initiator(CryptoMask::none());
        cases.emplace_back("no method", p);
    }
    {
        Params p = peer.initiator(CryptoMask{0x04});
        cases.emplace_back("reserved method only", p);
    }
    {
        Params p = peer.initiator();
        p.private_key = {0x01};
        cases.emplace_back("private key 1", p);
    }
    {
        Params p = peer.initiator();
        p.private_key.clear();
        cases.emplace_back("no private key", p);
    }
    {
        Params p = peer.receiver();
        p.find_skey = nullptr;
        cases.emplace_back("receiver without lookup", p);
    }
    for (auto& [name, params] : cases) {
        auto hs = Handshake::create(params);
        ASSERT_FALSE(hs.has_value()) << name;
        EXPECT_EQ(hs.error(), code(Errc::invalid_params)) << name;
    }
    Params edge = peer.initiator();
    edge.pad.assign(512, 0);
    edge.encrypted_pad_size = 512;
    edge.initial_payload.assign(68, 0);
    EXPECT_TRUE(Handshake::create(edge).has_value());
}

TEST(MseErrors, FinishReportsTheFailure) {
    const Peer peer;
    auto hs = make(peer.receiver());
    crypto::DhKey zero{};
    EXPECT_FALSE(hs.feed(zero).has_value());
    auto outcome = std::move(hs).finish();
    ASSERT_FALSE(outcome.has_value());
    EXPECT_EQ(outcome.error(), code(Errc::peer_key_invalid));
}

TEST(MseErrors, EveryCodeHasAMessageInTheMseCategory) {
    for (int e = 1; e <= static_cast<int>(Errc::handshake_incomplete); ++e) {
        const std::error_code ec = static_cast<Errc>(e);
        EXPECT_STREQ(ec.category().name(), "bt.mse");
        EXPECT_NE(ec.message(), "unknown MSE error") << e;
    }
}

}  // namespace
}  // namespace bt::mse
