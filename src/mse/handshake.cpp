#include "mse/handshake.hpp"

#include <algorithm>
#include <cstring>

#include "crypto/random.hpp"
#include "mse/incoming.hpp"

namespace bt::mse {
namespace {

constexpr std::size_t kVcProvideSize = kVcSize + 4 + 2;  // VC | crypto_provide | len(PadC)
constexpr std::size_t kSelectSize = 4 + 2;               // crypto_select | len(PadD)
constexpr std::uint32_t kKnownMethods = 0x03;

std::uint32_t read_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
std::uint16_t read_be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_be16(std::vector<std::uint8_t>& out, std::size_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

// Encrypts out[from..] in place.
void encrypt_tail(crypto::Rc4& rc4, std::vector<std::uint8_t>& out, std::size_t from) {
    rc4.process(std::span<std::uint8_t>(out).subspan(from));
}

std::error_code err(Errc e) {
    return make_error_code(e);
}

}  // namespace

void randomize(Params& params, crypto::RandomSource& rng) {
    params.private_key = crypto::random_bytes(rng, crypto::kDhPrivateKeySize);
    params.pad = crypto::random_bytes(rng, crypto::uniform_below(rng, kMaxPad + 1));
    params.encrypted_pad_size = crypto::uniform_below(rng, kMaxPad + 1);
}

Result<Handshake> Handshake::create(Params params) {
    params.allowed.bits &= kKnownMethods;  // never set reserved bits
    if (params.allowed.empty() || params.pad.size() > kMaxPad || params.encrypted_pad_size > kMaxPad)
        return fail(err(Errc::invalid_params));
    if (params.role == Role::initiator && params.initial_payload.size() > kBtHandshakeSize)
        return fail(err(Errc::invalid_params));
    if (params.role == Role::receiver && !params.find_skey) return fail(err(Errc::invalid_params));
    auto dh = crypto::Dh::from_private_key(params.private_key);
    if (!dh) return fail(err(Errc::invalid_params));
    return Handshake(std::move(params), std::move(*dh));
}

Handshake::Handshake(Params params, crypto::Dh dh) : params_(std::move(params)), dh_(std::move(dh)) {
    buf_.reserve(kMaxPad + kHashSize);
    if (params_.role == Role::initiator) {
        // Message 1: Ya | PadA.
        out_.assign(dh_.public_key().begin(), dh_.public_key().end());
        out_.insert(out_.end(), params_.pad.begin(), params_.pad.end());
    }
}

std::vector<std::uint8_t> Handshake::take_output() {
    std::vector<std::uint8_t> out;
    out.swap(out_);
    return out;
}

Result<std::size_t> Handshake::feed(std::span<const std::uint8_t> in) {
    if (state_ == State::failed) return fail(error_);
    std::size_t used = 0;
    while (used < in.size() && state_ != State::done) {
        auto n = step(in.subspan(used));
        if (!n) {
            state_ = State::failed;
            error_ = n.error();
            out_.clear();
            return fail(error_);
        }
        if (*n == 0) break;  // defensive: every state consumes at least one byte of non-empty input
        used += *n;
    }
    return used;
}

Result<Outcome> Handshake::finish() && {
    if (state_ == State::failed) return fail(error_);
    if (state_ != State::done) return fail(err(Errc::handshake_incomplete));
    Outcome outcome;
    outcome.method = method_;
    outcome.skey = skey_;
    outcome.initial_payload = std::move(ia_);
    if (method_ == CryptoMethod::rc4 && enc_ && dec_) outcome.cipher = StreamCipher(*enc_, *dec_);
    enc_.reset();
    dec_.reset();
    return outcome;
}

// Appends up to need - buf_.size() bytes of `in` to buf_; true once buf_ holds `need` bytes.
bool Handshake::collect(std::span<const std::uint8_t> in, std::size_t need, std::size_t& used) {
    const std::size_t take = std::min(in.size(), need - buf_.size());
    buf_.insert(buf_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
    used = take;
    return buf_.size() == need;
}

Result<std::size_t> Handshake::step(std::span<const std::uint8_t> in) {
    std::size_t used = 0;
    switch (state_) {
        case State::await_key: {
            const bool complete = collect(in, kKeySize, used);
            // A peer that answers Ya with a plain header does not speak MSE (spec §8); 20 bytes decide.
            if (params_.role == Role::initiator && classify_incoming(buf_) == IncomingKind::plaintext)
                return fail(err(Errc::plaintext_reply));
            if (complete) {
                if (auto r = on_peer_key(); !r) return fail(r.error());
            }
            return used;
        }
        case State::sync_req1:
            return sync(in, Errc::req1_not_found);
        case State::sync_vc:
            return sync(in, Errc::vc_not_found);
        case State::await_skey_hash:
            if (collect(in, kHashSize, used)) {
                if (auto r = on_skey_hash(); !r) return fail(r.error());
            }
            return used;
        case State::await_vc_provide:
            if (collect(in, kVcProvideSize, used)) {
                if (auto r = on_vc_provide(); !r) return fail(r.error());
            }
            return used;
        case State::await_ia_len:
            if (collect(in, 2, used)) {
                if (auto r = on_ia_len(); !r) return fail(r.error());
            }
            return used;
        case State::await_select:
            if (collect(in, kSelectSize, used)) {
                if (auto r = on_select(); !r) return fail(r.error());
            }
            return used;
        case State::skip_pad: {
            const std::size_t take = std::min(in.size(), pad_left_);
            dec_->discard(take);  // the pad's content is irrelevant, but it advances the keystream
            pad_left_ -= take;
            if (pad_left_ == 0) on_pad_done();
            return take;
        }
        case State::await_ia:
            if (collect(in, ia_size_, used)) {
                ia_ = std::move(buf_);
                buf_ = {};
                dec_->process(ia_);  // IA is RC4 even when plaintext was chosen (spec §5, §11 item 4)
                finish_receiver();
            }
            return used;
        case State::done:
        case State::failed:
            return std::size_t{0};
    }
    return std::size_t{0};
}

// Scans for pattern_ in the bytes after the peer's Y. The pattern must start within kMaxPad bytes, so
// the window never exceeds kMaxPad + pattern size; only the bytes up to the end of a match are consumed.
Result<std::size_t> Handshake::sync(std::span<const std::uint8_t> in, Errc not_found) {
    const std::size_t m = pattern_size_;
    const std::size_t window = kMaxPad + m;
    const std::size_t old = buf_.size();
    const std::size_t take = std::min(in.size(), window - old);
    buf_.insert(buf_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
    // A match that straddles two reads starts at most m - 1 bytes before the new data.
    std::size_t pos = old >= m - 1 ? old - (m - 1) : 0;
    for (; pos + m <= buf_.size() && pos <= kMaxPad; ++pos) {
        if (std::memcmp(buf_.data() + pos, pattern_.data(), m) != 0) continue;
        const std::size_t used = pos + m - old;
        buf_.clear();
        if (params_.role == Role::receiver) {
            state_ = State::await_skey_hash;
        } else {
            state_ = State::await_select;
        }
        return used;
    }
    if (buf_.size() == window) return fail(err(not_found));
    return take;
}

Result<void> Handshake::on_peer_key() {
    auto secret = dh_.shared_secret(std::span<const std::uint8_t, kKeySize>(buf_.data(), kKeySize));
    buf_.clear();
    if (!secret) return fail(err(Errc::peer_key_invalid));
    secret_ = *secret;
    const auto req1 = req1_hash(secret_);
    if (params_.role == Role::receiver) {
        std::copy(req1.begin(), req1.end(), pattern_.begin());
        pattern_size_ = kHashSize;
        req3_ = req3_hash(secret_);
        // Message 2: Yb | PadB.
        out_.insert(out_.end(), dh_.public_key().begin(), dh_.public_key().end());
        out_.insert(out_.end(), params_.pad.begin(), params_.pad.end());
        state_ = State::sync_req1;
        return {};
    }

    // Initiator: everything follows from S and SKEY.
    skey_ = params_.skey;
    const auto ka = key_a(secret_, skey_);
    const auto kb = key_b(secret_, skey_);
    enc_ = make_rc4_drop1024(ka);
    dec_ = make_rc4_drop1024(kb);
    // The sync marker E_B(VC) is the first 8 bytes of B's keystream; taking them from the live state
    // leaves dec_ positioned at crypto_select.
    dec_->keystream(std::span<std::uint8_t>(pattern_.data(), kVcSize));
    pattern_size_ = kVcSize;

    // Message 3.
    const auto req2 = req2_hash(skey_);
    const auto req3 = req3_hash(secret_);
    out_.insert(out_.end(), req1.begin(), req1.end());
    for (std::size_t i = 0; i < kHashSize; ++i) out_.push_back(static_cast<std::uint8_t>(req2[i] ^ req3[i]));
    const std::size_t encrypted_from = out_.size();
    out_.insert(out_.end(), kVcSize, std::uint8_t{0});
    put_be32(out_, params_.allowed.bits);
    put_be16(out_, params_.encrypted_pad_size);
    out_.insert(out_.end(), params_.encrypted_pad_size, std::uint8_t{0});
    put_be16(out_, params_.initial_payload.size());
    out_.insert(out_.end(), params_.initial_payload.begin(), params_.initial_payload.end());
    encrypt_tail(*enc_, out_, encrypted_from);
    state_ = State::sync_vc;
    return {};
}

Result<void> Handshake::on_skey_hash() {
    Sha1Digest req2{};
    for (std::size_t i = 0; i < kHashSize; ++i) req2[i] = static_cast<std::uint8_t>(buf_[i] ^ req3_[i]);
    buf_.clear();
    auto skey = params_.find_skey(req2);
    if (!skey) return fail(err(Errc::unknown_skey));
    skey_ = *skey;
    dec_ = make_rc4_drop1024(key_a(secret_, skey_));
    enc_ = make_rc4_drop1024(key_b(secret_, skey_));
    state_ = State::await_vc_provide;
    return {};
}

Result<void> Handshake::on_vc_provide() {
    dec_->process(buf_);
    const bool vc_ok =
        std::all_of(buf_.begin(), buf_.begin() + kVcSize, [](std::uint8_t b) { return b == 0; });
    const CryptoMask provide{read_be32(buf_.data() + kVcSize) & kKnownMethods};
    const std::size_t pad_c = read_be16(buf_.data() + kVcSize + 4);
    buf_.clear();
    if (!vc_ok) return fail(err(Errc::bad_vc));
    const CryptoMask common = provide & params_.allowed;
    if (common.empty()) return fail(err(Errc::no_common_method));
    if (common == CryptoMask::both()) {
        method_ = params_.prefer_rc4 ? CryptoMethod::rc4 : CryptoMethod::plaintext;
    } else {
        method_ = common.has(CryptoMethod::rc4) ? CryptoMethod::rc4 : CryptoMethod::plaintext;
    }
    if (pad_c > kMaxPad) return fail(err(Errc::pad_too_long));
    enter_skip_pad(pad_c);
    return {};
}

Result<void> Handshake::on_ia_len() {
    dec_->process(buf_);
    const std::size_t ia_len = read_be16(buf_.data());
    buf_.clear();
    if (ia_len > params_.max_initial_payload) return fail(err(Errc::ia_too_long));
    ia_size_ = ia_len;
    if (ia_len == 0) {
        finish_receiver();
    } else {
        buf_.reserve(ia_len);
        state_ = State::await_ia;
    }
    return {};
}

Result<void> Handshake::on_select() {
    dec_->process(buf_);
    const std::uint32_t select = read_be32(buf_.data());
    const std::size_t pad_d = read_be16(buf_.data() + 4);
    buf_.clear();
    // Exactly one method, and one that we offered (spec §5).
    const bool single = select == static_cast<std::uint32_t>(CryptoMethod::plaintext) ||
                        select == static_cast<std::uint32_t>(CryptoMethod::rc4);
    if (!single || (select & params_.allowed.bits) == 0) return fail(err(Errc::invalid_select));
    method_ = static_cast<CryptoMethod>(select);
    if (pad_d > kMaxPad) return fail(err(Errc::pad_too_long));
    enter_skip_pad(pad_d);
    return {};
}

void Handshake::enter_skip_pad(std::size_t n) {
    pad_left_ = n;
    state_ = State::skip_pad;
    if (n == 0) on_pad_done();
}

void Handshake::on_pad_done() {
    if (params_.role == Role::receiver) {
        state_ = State::await_ia_len;
    } else {
        finish_initiator();
    }
}

void Handshake::finish_receiver() {
    // Message 4: E_B(VC | crypto_select | len(PadD) | PadD).
    const std::size_t from = out_.size();
    out_.insert(out_.end(), kVcSize, std::uint8_t{0});
    put_be32(out_, static_cast<std::uint32_t>(method_));
    put_be16(out_, params_.encrypted_pad_size);
    out_.insert(out_.end(), params_.encrypted_pad_size, std::uint8_t{0});
    encrypt_tail(*enc_, out_, from);
    state_ = State::done;
}

void Handshake::finish_initiator() {
    state_ = State::done;
}

}  // namespace bt::mse
