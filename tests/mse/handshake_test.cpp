// The handshake against the reference transcripts of tools/gen_mse_vectors.py, under every chunking of
// the input, and two handshakes pumped into each other for every method combination.
#include "mse/handshake.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "crypto/random.hpp"
#include "mse/skey_index.hpp"
#include "test_support.hpp"

namespace bt::mse {
namespace {

using test::Bytes;
using test::concat;
using test::drive;
using test::drive_bytewise;
using test::drive_whole;
using test::DriveResult;
using test::Record;

Skey skey_of(const Bytes& b) {
    Skey k{};
    EXPECT_EQ(b.size(), k.size());
    std::copy_n(b.begin(), std::min(b.size(), k.size()), k.begin());
    return k;
}

// A receiver's torrent list: the record's SKEY among two others.
std::function<std::optional<Skey>(const Sha1Digest&)> index_with(const Skey& skey) {
    auto index = std::make_shared<SkeyIndex>();
    Skey other{};
    other.fill(0xee);
    index->add(other);
    index->add(skey);
    other.fill(0x11);
    index->add(other);
    return [index](const Sha1Digest& req2) { return index->find(req2); };
}

Params initiator_params(const Record& r) {
    Params p;
    p.role = Role::initiator;
    p.private_key = r.bytes("x_a");
    p.pad = r.bytes("pad_a");
    p.encrypted_pad_size = r.number("pad_c_len");
    p.allowed = CryptoMask{static_cast<std::uint32_t>(r.number("provide"))};
    p.skey = skey_of(r.bytes("skey"));
    p.initial_payload = r.bytes("ia");
    return p;
}

Params receiver_params(const Record& r) {
    Params p;
    p.role = Role::receiver;
    p.private_key = r.bytes("x_b");
    p.pad = r.bytes("pad_b");
    p.encrypted_pad_size = r.number("pad_d_len");
    p.allowed = CryptoMask{static_cast<std::uint32_t>(r.number("allowed"))};
    p.prefer_rc4 = r.number("prefer_rc4") != 0;
    p.find_skey = index_with(skey_of(r.bytes("skey")));
    return p;
}

Handshake make(Params p) {
    auto hs = Handshake::create(std::move(p));
    EXPECT_TRUE(hs.has_value());
    return std::move(*hs);
}

// The peer's bytes for each role, as recorded in the transcript.
Bytes input_for(const Record& r, Role role) {
    if (role == Role::initiator) return concat({r.bytes("b_msg2"), r.bytes("b_msg4"), r.bytes("b_stream")});
    return concat({r.bytes("a_msg1"), r.bytes("a_msg3"), r.bytes("a_stream")});
}
Bytes expected_output(const Record& r, Role role) {
    if (role == Role::initiator) return concat({r.bytes("a_msg1"), r.bytes("a_msg3")});
    return concat({r.bytes("b_msg2"), r.bytes("b_msg4")});
}
std::size_t handshake_size(const Record& r, Role role) {
    return role == Role::initiator ? r.bytes("b_msg2").size() + r.bytes("b_msg4").size()
                                   : r.bytes("a_msg1").size() + r.bytes("a_msg3").size();
}

// Everything observable about a finished handshake, including where the stream ciphers stand.
struct Summary {
    DriveResult run;
    CryptoMethod method{};
    Skey skey{};
    Bytes ia;
    Bytes stream_in;   // the leftover bytes after decrypting them with the outcome's cipher
    Bytes stream_out;  // our payload after encrypting it
    friend bool operator==(const Summary& a, const Summary& b) {
        return a.run.output == b.run.output && a.run.leftover == b.run.leftover && a.run.done == b.run.done &&
               a.run.error == b.run.error && a.run.consumed == b.run.consumed && a.method == b.method &&
               a.skey == b.skey && a.ia == b.ia && a.stream_in == b.stream_in && a.stream_out == b.stream_out;
    }
};

Summary run_role(const Record& r, Role role, const std::vector<std::size_t>& cuts) {
    auto hs = make(role == Role::initiator ? initiator_params(r) : receiver_params(r));
    const Bytes input = input_for(r, role);
    Summary s;
    s.run = drive(hs, input, cuts);
    if (!s.run.done) return s;
    auto outcome = std::move(hs).finish();
    EXPECT_TRUE(outcome.has_value());
    if (!outcome) return s;
    s.method = outcome->method;
    s.skey = outcome->skey;
    s.ia = outcome->initial_payload;
    s.stream_in = s.run.leftover;
    outcome->cipher.decrypt(s.stream_in);
    s.stream_out = r.bytes(role == Role::initiator ? "a_payload" : "b_payload");
    outcome->cipher.encrypt(s.stream_out);
    return s;
}

class Transcript : public ::testing::TestWithParam<Record> {};

TEST_P(Transcript, InitiatorSendsAndAcceptsTheReferenceBytes) {
    const Record& r = GetParam();
    const Summary s = run_role(r, Role::initiator, {r.bytes("b_msg2").size()});
    ASSERT_FALSE(s.run.error) << s.run.error.message();
    ASSERT_TRUE(s.run.done);
    EXPECT_EQ(to_hex(s.run.output), to_hex(expected_output(r, Role::initiator)));
    EXPECT_EQ(s.run.consumed, handshake_size(r, Role::initiator));  // nothing of B's stream is eaten
    EXPECT_EQ(s.run.leftover, r.bytes("b_stream"));
    EXPECT_EQ(static_cast<std::size_t>(s.method), r.number("select"));
    EXPECT_EQ(s.skey, skey_of(r.bytes("skey")));
    EXPECT_TRUE(s.ia.empty());
    EXPECT_EQ(to_hex(s.stream_in), to_hex(r.bytes("b_payload")));
    EXPECT_EQ(to_hex(s.stream_out), to_hex(r.bytes("a_stream")));
}

TEST_P(Transcript, ReceiverSendsAndAcceptsTheReferenceBytes) {
    const Record& r = GetParam();
    const Summary s = run_role(r, Role::receiver, {r.bytes("a_msg1").size()});
    ASSERT_FALSE(s.run.error) << s.run.error.message();
    ASSERT_TRUE(s.run.done);
    EXPECT_EQ(to_hex(s.run.output), to_hex(expected_output(r, Role::receiver)));
    EXPECT_EQ(s.run.consumed, handshake_size(r, Role::receiver));
    EXPECT_EQ(s.run.leftover, r.bytes("a_stream"));
    EXPECT_EQ(static_cast<std::size_t>(s.method), r.number("select"));
    EXPECT_EQ(s.skey, skey_of(r.bytes("skey")));
    EXPECT_EQ(to_hex(s.ia), r.text("ia"));  // decrypted, even when plaintext was selected
    EXPECT_EQ(to_hex(s.stream_in), to_hex(r.bytes("a_payload")));
    EXPECT_EQ(to_hex(s.stream_out), to_hex(r.bytes("b_stream")));
}

TEST_P(Transcript, ResultIsIndependentOfHowTheInputIsSplit) {
    const Record& r = GetParam();
    for (Role role : {Role::initiator, Role::receiver}) {
        SCOPED_TRACE(role == Role::initiator ? "initiator" : "receiver");
        const Summary whole = run_role(r, role, {});
        ASSERT_TRUE(whole.run.done);
        const std::size_t n = input_for(r, role).size();
        for (std::size_t cut = 1; cut < n; ++cut)
            ASSERT_EQ(run_role(r, role, {cut}), whole) << "split at " << cut;
        std::vector<std::size_t> every;
        for (std::size_t i = 1; i < n; ++i) every.push_back(i);
        EXPECT_EQ(run_role(r, role, every), whole) << "byte by byte";
        std::mt19937 gen(12345);
        for (int trial = 0; trial < 50; ++trial) {
            std::vector<std::size_t> cuts;
            for (int k = 0; k < 6; ++k) cuts.push_back(gen() % n);
            std::sort(cuts.begin(), cuts.end());
            ASSERT_EQ(run_role(r, role, cuts), whole) << "random cuts, trial " << trial;
        }
    }
}

TEST_P(Transcript, TruncationAtAnyOffsetIsNeitherDoneNorAnError) {
    const Record& r = GetParam();
    for (Role role : {Role::initiator, Role::receiver}) {
        SCOPED_TRACE(role == Role::initiator ? "initiator" : "receiver");
        const Bytes input = input_for(r, role);
        const std::size_t end = handshake_size(r, role);
        for (std::size_t n = 0; n < end; ++n) {
            auto hs = make(role == Role::initiator ? initiator_params(r) : receiver_params(r));
            const DriveResult run = drive_whole(hs, std::span<const std::uint8_t>(input).first(n));
            ASSERT_FALSE(run.error) << n << ": " << run.error.message();
            ASSERT_FALSE(run.done) << n;
            ASSERT_EQ(run.consumed, n);
            // What has been sent so far: message 1 at once, message 3 once Yb is complete (and then
            // nothing until crypto_select); the receiver sends message 2 once Ya is complete.
            Bytes sent_expected;
            if (role == Role::initiator) {
                sent_expected = r.bytes("a_msg1");
                if (n >= kKeySize) sent_expected = concat({sent_expected, r.bytes("a_msg3")});
            } else if (n >= kKeySize) {
                sent_expected = r.bytes("b_msg2");
            }
            ASSERT_EQ(run.output, sent_expected) << n;
            auto finished = std::move(hs).finish();
            ASSERT_FALSE(finished.has_value());
            EXPECT_EQ(finished.error(), make_error_code(Errc::handshake_incomplete));
        }
    }
}

std::vector<Record> transcripts() {
    return test::load_records("transcripts.txt");
}

INSTANTIATE_TEST_SUITE_P(Mse, Transcript, ::testing::ValuesIn(transcripts()),
                         [](const ::testing::TestParamInfo<Record>& p) { return p.param.name(); });

TEST(MseTranscripts, CoverEveryInterestingShape) {
    const auto records = transcripts();
    ASSERT_GE(records.size(), 7U);
    bool rc4 = false, plain = false, ia0 = false, ia68 = false, pad512 = false;
    for (const auto& r : records) {
        rc4 |= r.number("select") == 2;
        plain |= r.number("select") == 1;
        ia0 |= r.bytes("ia").empty();
        ia68 |= r.bytes("ia").size() == 68;
        pad512 |= r.bytes("pad_a").size() == 512 && r.bytes("pad_b").size() == 512;
    }
    EXPECT_TRUE(rc4 && plain && ia0 && ia68 && pad512);
}

// ---- Two handshakes talking to each other -------------------------------------------------------

Bytes pseudo_random(std::uint32_t seed, std::size_t n) {
    std::mt19937 gen(seed);
    Bytes out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(gen());
    return out;
}

struct Pair {
    Result<std::size_t> last_a = std::size_t{0};
    Result<std::size_t> last_b = std::size_t{0};
    std::error_code error_a, error_b;
    Bytes inbox_a, inbox_b;
};

// Moves bytes between the two until neither has anything to say. `chunk` bounds each delivery.
Pair pump(Handshake& a, Handshake& b, std::size_t chunk) {
    Pair p;
    for (int round = 0; round < 10000; ++round) {
        bool moved = false;
        auto deliver = [&](Handshake& from, Handshake& to, Bytes& inbox, std::error_code& err) {
            auto out = from.take_output();
            if (!out.empty()) moved = true;
            inbox.insert(inbox.end(), out.begin(), out.end());
            if (err || to.done() || inbox.empty()) return;
            const std::size_t n = std::min(chunk, inbox.size());
            auto used = to.feed(std::span<const std::uint8_t>(inbox).first(n));
            if (!used) {
                err = used.error();
                return;
            }
            if (*used > 0) moved = true;
            inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(*used));
        };
        deliver(a, b, p.inbox_b, p.error_b);
        deliver(b, a, p.inbox_a, p.error_a);
        if (!moved) break;
    }
    return p;
}

struct Combo {
    std::uint32_t provide;
    std::uint32_t allowed;
    bool prefer_rc4;
    bool ia;
};

TEST(MsePair, EveryMethodCombinationAgreesOrFailsWithNoCommonMethod) {
    crypto::FixedRandom rng(pseudo_random(99, 8192));
    Skey skey{};
    skey.fill(0x42);
    Bytes handshake68(68);
    for (std::size_t i = 0; i < 68; ++i) handshake68[i] = static_cast<std::uint8_t>(i * 3 + 1);
    int successes = 0;
    for (std::uint32_t provide = 1; provide <= 3; ++provide) {
        for (std::uint32_t allowed = 1; allowed <= 3; ++allowed) {
            for (bool prefer : {false, true}) {
                for (bool with_ia : {false, true}) {
                    for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
                        SCOPED_TRACE(::testing::Message()
                                     << "provide " << provide << " allowed " << allowed << " prefer_rc4 "
                                     << prefer << " ia " << with_ia << " chunk " << chunk);
                        Params pa;
                        pa.role = Role::initiator;
                        randomize(pa, rng);
                        pa.allowed = CryptoMask{provide};
                        pa.skey = skey;
                        if (with_ia) pa.initial_payload = handshake68;
                        Params pb;
                        pb.role = Role::receiver;
                        randomize(pb, rng);
                        pb.allowed = CryptoMask{allowed};
                        pb.prefer_rc4 = prefer;
                        pb.find_skey = index_with(skey);
                        auto a = make(std::move(pa));
                        auto b = make(std::move(pb));
                        Pair p = pump(a, b, chunk);

                        const std::uint32_t common = provide & allowed;
                        if (common == 0) {
                            EXPECT_EQ(p.error_b, make_error_code(Errc::no_common_method));
                            EXPECT_FALSE(a.done());  // A waits; the caller's timeout or EOF ends it
                            EXPECT_FALSE(p.error_a);
                            continue;
                        }
                        ASSERT_FALSE(p.error_a) << p.error_a.message();
                        ASSERT_FALSE(p.error_b) << p.error_b.message();
                        ASSERT_TRUE(a.done());
                        ASSERT_TRUE(b.done());
                        EXPECT_TRUE(p.inbox_a.empty());
                        EXPECT_TRUE(p.inbox_b.empty());
                        auto oa = std::move(a).finish();
                        auto ob = std::move(b).finish();
                        ASSERT_TRUE(oa && ob);
                        const CryptoMethod expected =
                            common == 3 ? (prefer ? CryptoMethod::rc4 : CryptoMethod::plaintext)
                                        : static_cast<CryptoMethod>(common);
                        EXPECT_EQ(oa->method, expected);
                        EXPECT_EQ(ob->method, expected);
                        EXPECT_EQ(oa->skey, skey);
                        EXPECT_EQ(ob->skey, skey);
                        EXPECT_EQ(ob->initial_payload, with_ia ? handshake68 : Bytes{});
                        EXPECT_EQ(oa->cipher.is_encrypted(), expected == CryptoMethod::rc4);
                        EXPECT_EQ(ob->cipher.is_encrypted(), expected == CryptoMethod::rc4);
                        // The stream ciphers continue where the handshake left off, in both directions.
                        for (int msg = 0; msg < 3; ++msg) {
                            const Bytes plain = pseudo_random(static_cast<std::uint32_t>(msg), 100 + msg);
                            Bytes wire = plain;
                            oa->cipher.encrypt(wire);
                            EXPECT_EQ(wire != plain, expected == CryptoMethod::rc4);
                            ob->cipher.decrypt(wire);
                            EXPECT_EQ(wire, plain);
                            wire = plain;
                            ob->cipher.encrypt(wire);
                            oa->cipher.decrypt(wire);
                            EXPECT_EQ(wire, plain);
                        }
                        ++successes;
                    }
                }
            }
        }
    }
    EXPECT_EQ(successes, 7 * 2 * 2 * 3);  // 7 of the 9 provide/allowed pairs intersect
}

TEST(MsePair, RandomizedParamsStayWithinTheSpecLimits) {
    crypto::FixedRandom rng(pseudo_random(7, 4096));
    std::size_t max_pad = 0;
    for (int i = 0; i < 200; ++i) {
        Params p;
        randomize(p, rng);
        EXPECT_EQ(p.private_key.size(), 20U);
        EXPECT_LE(p.pad.size(), kMaxPad);
        EXPECT_LE(p.encrypted_pad_size, kMaxPad);
        max_pad = std::max(max_pad, p.pad.size());
    }
    EXPECT_GT(max_pad, 256U);  // lengths really vary over 0..512
}

}  // namespace
}  // namespace bt::mse
