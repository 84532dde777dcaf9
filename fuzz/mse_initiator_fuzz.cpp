// MSE initiator (A) with fixed keys; the fuzzer plays the receiver. Input layout:
//   byte 0: mode (even: the rest is fed raw; odd: a message 2 + 4 is built from the fields below)
//   byte 1: delivery chunk size (0: all at once)
//   byte 2: provide (low 2 bits; 0 means both)
//   structured: pad_b(2) select(4) pad_d(2) flags(1), then filler bytes.
// Oracle: no crash or throw; consumption never exceeds the input; if done, the method is a single
// method we offered and, for a well-formed message 4, the handshake ends exactly at the end of PadD.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
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
    bt::crypto::DhKey yb{}, s{};
    Fixed() {
        auto a = bt::crypto::Dh::from_private_key(kXa);
        auto b = bt::crypto::Dh::from_private_key(kXb);
        if (!a || !b) std::abort();
        yb = b->public_key();
        s = *b->shared_secret(a->public_key());
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
    const std::uint32_t provide_bits = r.take(1) & 3U;
    const std::uint32_t provide = provide_bits == 0 ? 3U : provide_bits;

    Params params;
    params.role = Role::initiator;
    params.private_key = kXa;
    params.pad = {9, 9};
    params.encrypted_pad_size = 3;
    params.allowed = CryptoMask{provide};
    params.skey = kSkey;
    params.initial_payload.assign(68, 0x13);

    Bytes input;
    std::uint32_t select = 0;
    std::size_t handshake_end = 0;
    if (!structured) {
        input = r.bytes(r.in.size());
    } else {
        const std::size_t pad_b = r.take(2) % 600;
        select = r.take(4);
        const std::size_t pad_d = r.take(2);
        const std::uint32_t flags = r.take(1);
        const auto& f = fixed();
        input.assign(f.yb.begin(), f.yb.end());
        Bytes pad = r.bytes(pad_b);
        pad.resize(pad_b, 0x55);
        input.insert(input.end(), pad.begin(), pad.end());
        auto rc4 = make_rc4_drop1024(key_b(f.s, kSkey));
        Bytes marker(8, 0);
        rc4.keystream(marker);  // E_B(VC), i.e. the first 8 keystream bytes
        if (flags & 0x01) marker[3] ^= 0x40;
        Bytes enc;
        put(enc, select, 4);
        put(enc, static_cast<std::uint32_t>(pad_d), 2);
        const Bytes pad_d_bytes = r.bytes(std::min<std::size_t>(pad_d, 600));
        enc.insert(enc.end(), pad_d_bytes.begin(), pad_d_bytes.end());
        rc4.process(enc);
        input.insert(input.end(), marker.begin(), marker.end());
        input.insert(input.end(), enc.begin(), enc.end());
        const auto first = std::search(input.begin() + 96, input.end(), marker.begin(), marker.end());
        const bool marker_where_built = first == input.begin() + static_cast<std::ptrdiff_t>(96 + pad_b);
        if (marker_where_built && (flags & 0x01) == 0 && pad_d_bytes.size() == pad_d)
            handshake_end = input.size();
        const Bytes tail = r.bytes(r.in.size());
        input.insert(input.end(), tail.begin(), tail.end());
    }

    auto hs = Handshake::create(std::move(params));
    if (!hs) std::abort();
    (void)hs->take_output();
    std::size_t consumed = 0;
    int sends = 0;
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
        // After message 1, A sends message 3 once and then nothing until crypto_select has been read.
        if (!hs->take_output().empty() && ++sends > 1) std::abort();
    }
    if (consumed > input.size()) std::abort();
    if (!hs->done()) return 0;

    auto outcome = std::move(*hs).finish();
    if (!outcome) std::abort();
    if (outcome->skey != kSkey || !outcome->initial_payload.empty()) std::abort();
    const auto m = static_cast<std::uint32_t>(outcome->method);
    if ((m != 1 && m != 2) || (m & provide) == 0) std::abort();
    if (outcome->cipher.is_encrypted() != (outcome->method == CryptoMethod::rc4)) std::abort();
    if (structured && handshake_end != 0) {
        if (consumed != handshake_end) std::abort();
        if (m != select) std::abort();
    }
    return 0;
}
