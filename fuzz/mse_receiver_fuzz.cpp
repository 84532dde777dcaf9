// MSE receiver (B) with fixed keys; the fuzzer plays the initiator. Input layout:
//   byte 0: mode (even: the rest is fed raw; odd: a message 1 + 3 is built from the fields below)
//   byte 1: delivery chunk size (0: all at once)
//   structured: pad_a(2) provide(4) pad_c(2) ia_len(2) flags(1) allowed(1), then filler bytes.
// Oracle: no crash or throw; consumption never exceeds the input; if done, the outcome agrees with the
// rules (a method both sides allow, the known SKEY, IA within its limit, exactly what was sent).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "crypto/dh.hpp"
#include "mse/handshake.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;
using namespace bt::mse;

struct Reader {
    std::span<const std::uint8_t> in;
    std::uint32_t take(int n) {
        std::uint32_t v = 0;
        for (int i = 0; i < n; ++i) {
            v = (v << 8) | (in.empty() ? 0U : in[0]);
            if (!in.empty()) in = in.subspan(1);
        }
        return v;
    }
    Bytes bytes(std::size_t n) {
        n = std::min(n, in.size());
        Bytes out(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
        in = in.subspan(n);
        return out;
    }
};

const Bytes kXa = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                   0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14};
const Bytes kXb = {0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a,
                   0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34};
constexpr Skey kSkey = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
                        0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67};

struct Fixed {
    bt::crypto::DhKey ya{}, s{};
    Fixed() {
        auto a = bt::crypto::Dh::from_private_key(kXa);
        auto b = bt::crypto::Dh::from_private_key(kXb);
        if (!a || !b) std::abort();
        ya = a->public_key();
        s = *a->shared_secret(b->public_key());
    }
};
const Fixed& fixed() {
    static const Fixed f;
    return f;
}

void put(Bytes& out, std::uint32_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader r{{data, size}};
    const bool structured = (r.take(1) & 1) != 0;
    const std::size_t chunk = r.take(1);

    Params params;
    params.role = Role::receiver;
    params.private_key = kXb;
    params.pad = {1, 2, 3};
    params.encrypted_pad_size = 5;
    params.find_skey = [](const Sha1Digest& req2) -> std::optional<Skey> {
        if (req2 == req2_hash(kSkey)) return kSkey;
        return std::nullopt;
    };

    Bytes input;
    std::uint32_t provide = 0;
    Bytes ia_sent;
    std::size_t handshake_end = 0;  // structured mode: where message 3 ends, if it is well formed
    std::uint32_t allowed_mask = 3;
    if (!structured) {
        input = r.bytes(r.in.size());
    } else {
        const std::size_t pad_a = r.take(2) % 600;
        provide = r.take(4);
        const std::size_t pad_c = r.take(2);
        const std::size_t ia_len = r.take(2);
        const std::uint32_t flags = r.take(1);
        const std::uint32_t allowed = r.take(1) & 3U;
        allowed_mask = allowed == 0 ? 3U : allowed;
        params.allowed = CryptoMask{allowed_mask};
        params.prefer_rc4 = (flags & 0x10) != 0;

        const auto& f = fixed();
        input.assign(f.ya.begin(), f.ya.end());
        Bytes pad = r.bytes(pad_a);
        pad.resize(pad_a, 0x77);
        input.insert(input.end(), pad.begin(), pad.end());
        auto req1 = req1_hash(f.s);
        if (flags & 0x01) req1[0] ^= 1;
        input.insert(input.end(), req1.begin(), req1.end());
        const auto req2 = req2_hash(kSkey);
        const auto req3 = req3_hash(f.s);
        for (std::size_t i = 0; i < 20; ++i)
            input.push_back(
                static_cast<std::uint8_t>(req2[i] ^ req3[i] ^ ((flags & 0x02) && i == 0 ? 1 : 0)));
        Bytes enc(8, 0);
        if (flags & 0x04) enc[7] = 1;
        put(enc, provide, 4);
        put(enc, static_cast<std::uint32_t>(pad_c), 2);
        enc.insert(enc.end(), std::min<std::size_t>(pad_c, 600), 0);
        put(enc, static_cast<std::uint32_t>(ia_len), 2);
        ia_sent = r.bytes(std::min<std::size_t>(ia_len, 600));
        enc.insert(enc.end(), ia_sent.begin(), ia_sent.end());
        auto rc4 = make_rc4_drop1024(key_a(f.s, kSkey));
        rc4.process(enc);
        input.insert(input.end(), enc.begin(), enc.end());
        // The strict checks below hold only if req1 first appears where we put it (the fuzzer may
        // well learn the hash and plant it inside PadA).
        const auto first = std::search(input.begin() + 96, input.end(), req1.begin(), req1.end());
        const bool req1_where_built = first == input.begin() + static_cast<std::ptrdiff_t>(96 + pad_a);
        if (req1_where_built && ia_sent.size() == ia_len && pad_c <= 600) handshake_end = input.size();
        const Bytes tail = r.bytes(r.in.size());
        input.insert(input.end(), tail.begin(), tail.end());
    }

    auto hs = Handshake::create(std::move(params));
    if (!hs) std::abort();
    (void)hs->take_output();
    std::size_t consumed = 0;
    Bytes inbox;
    std::size_t pos = 0;
    while (pos < input.size() && !hs->done() && !hs->failed()) {
        const std::size_t n = chunk == 0 ? input.size() - pos : std::min(chunk, input.size() - pos);
        inbox.insert(inbox.end(), input.begin() + static_cast<std::ptrdiff_t>(pos),
                     input.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
        auto used = hs->feed(inbox);
        if (!used) break;
        if (*used > inbox.size()) std::abort();
        consumed += *used;
        inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(*used));
        (void)hs->take_output();
    }
    if (consumed > input.size()) std::abort();
    if (!hs->done()) return 0;

    auto outcome = std::move(*hs).finish();
    if (!outcome) std::abort();
    if (outcome->skey != kSkey) std::abort();  // the only torrent we know
    if (outcome->initial_payload.size() > kBtHandshakeSize) std::abort();
    const bool rc4 = outcome->method == CryptoMethod::rc4;
    if (outcome->cipher.is_encrypted() != rc4) std::abort();
    if ((allowed_mask & static_cast<std::uint32_t>(outcome->method)) == 0) std::abort();
    if (structured && handshake_end != 0) {
        // A well-formed message 3 must end exactly where we built it, with the IA we sent.
        if (consumed != handshake_end) std::abort();
        if (outcome->initial_payload != ia_sent) std::abort();
        if ((provide & static_cast<std::uint32_t>(outcome->method)) == 0) std::abort();
    }
    return 0;
}
