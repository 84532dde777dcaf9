#pragma once
// The MSE / PE handshake as a pure state machine (spec/mse.md; STYLE.md §3): bytes in, bytes out, no
// sockets, no clock, no global RNG. Both roles:
//
//   1  A->B  Ya | PadA
//   2  B->A  Yb | PadB
//   3  A->B  HASH('req1',S) | HASH('req2',SKEY)^HASH('req3',S) | E_A(VC | provide | len(PadC) | PadC |
//   len(IA)) | E_A(IA) 4  B->A  E_B(VC | select | len(PadD) | PadD)
//
// Usage: create(), send take_output() whenever it is non-empty, feed() the peer's bytes, and once
// done() send the last take_output() and call finish(). Timeouts are the caller's: a peer that stops
// sending leaves the handshake waiting (not done, no error).
//
// Consumption: until the handshake completes, feed() consumes all of `in`. The call that completes it
// consumes exactly up to the handshake's last byte (the end of IA for the receiver, the end of PadD for
// the initiator) and returns that count; the caller keeps the rest, which is the first part of the
// peer's stream, and decrypts it with Outcome::cipher (a no-op when plaintext was selected). Once done,
// feed() consumes nothing. After an error, feed() keeps returning that error.
//
// The initiator sends nothing after message 3 until done(): it does not know the method before
// crypto_select arrives (spec §2, §11 item 7).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "core/result.hpp"
#include "crypto/dh.hpp"
#include "crypto/rc4.hpp"
#include "mse/errors.hpp"
#include "mse/keys.hpp"
#include "mse/stream_cipher.hpp"

namespace bt::crypto {
class RandomSource;
}

namespace bt::mse {

enum class Role : std::uint8_t {
    initiator,  // A: opened the connection
    receiver,   // B: accepted it
};

struct Params {
    Role role = Role::initiator;
    // Big-endian DH exponent, 1..96 bytes and at least 2. Production: 20 CSPRNG bytes (randomize()).
    std::vector<std::uint8_t> private_key;
    // PadA (initiator) or PadB (receiver), sent in the clear after our Y: 0..512 bytes.
    std::vector<std::uint8_t> pad;
    // len(PadC) (initiator) or len(PadD) (receiver): 0..512. Its content is zeros before encryption.
    std::size_t encrypted_pad_size = 0;
    // Initiator: crypto_provide. Receiver: the methods it may select. Must not be empty; reserved bits
    // are ignored. spec §5: offer both under "enabled", RC4 only under "forced".
    CryptoMask allowed = CryptoMask::both();
    // Receiver: which method to select when the peer offers both and both are allowed.
    bool prefer_rc4 = true;

    // Initiator only: the torrent's info-hash and the initial payload IA (our 68-byte BitTorrent
    // handshake, or empty to send it after message 4). At most 68 bytes.
    Skey skey{};
    std::vector<std::uint8_t> initial_payload;

    // Receiver only: maps HASH('req2', SKEY) to the SKEY of one of our torrents (SkeyIndex::lookup()).
    std::function<std::optional<Skey>(const Sha1Digest& req2)> find_skey;
    // Receiver only: the largest len(IA) accepted (libtorrent, aria2 and rtorrent reject more than 68).
    std::size_t max_initial_payload = kBtHandshakeSize;
};

// Production values from `rng`: a 160-bit private key, a clear pad of uniform length 0..512 with
// random content, and an encrypted pad length uniform in 0..512.
void randomize(Params& params, crypto::RandomSource& rng);

struct Outcome {
    CryptoMethod method = CryptoMethod::rc4;
    Skey skey{};  // the torrent: given (initiator) or identified (receiver)
    // Receiver: the initiator's IA, decrypted (0..max_initial_payload bytes; for BitTorrent the peer's
    // handshake, whose info-hash the caller should check against skey). Initiator: empty.
    std::vector<std::uint8_t> initial_payload;
    // RC4 in both directions, positioned at the first stream byte; empty (pass-through) for plaintext.
    StreamCipher cipher;
};

class Handshake {
  public:
    // Fails with Errc::invalid_params. The initiator's message 1 is queued at once.
    [[nodiscard]] static Result<Handshake> create(Params params);

    [[nodiscard]] Result<std::size_t> feed(std::span<const std::uint8_t> in);
    [[nodiscard]] std::vector<std::uint8_t> take_output();
    [[nodiscard]] bool done() const noexcept { return state_ == State::done; }
    [[nodiscard]] bool failed() const noexcept { return state_ == State::failed; }
    [[nodiscard]] Role role() const noexcept { return params_.role; }
    // Valid once done(); otherwise Errc::handshake_incomplete (or the error that stopped it).
    [[nodiscard]] Result<Outcome> finish() &&;

  private:
    enum class State : std::uint8_t {
        await_key,         // both: the peer's 96-byte Y
        sync_req1,         // receiver: scan PadA for HASH('req1', S)
        await_skey_hash,   // receiver: HASH('req2', SKEY) ^ HASH('req3', S)
        await_vc_provide,  // receiver: E_A(VC | crypto_provide | len(PadC))
        skip_pad,          // both: PadC (receiver) or PadD (initiator)
        await_ia_len,      // receiver: E_A(len(IA))
        await_ia,          // receiver: E_A(IA)
        sync_vc,           // initiator: scan PadB for E_B(VC)
        await_select,      // initiator: E_B(crypto_select | len(PadD))
        done,
        failed,
    };

    Handshake(Params params, crypto::Dh dh);

    Result<std::size_t> step(std::span<const std::uint8_t> in);
    bool collect(std::span<const std::uint8_t> in, std::size_t need, std::size_t& used);
    Result<std::size_t> sync(std::span<const std::uint8_t> in, Errc not_found);
    Result<void> on_peer_key();
    Result<void> on_skey_hash();
    Result<void> on_vc_provide();
    Result<void> on_ia_len();
    Result<void> on_select();
    void enter_skip_pad(std::size_t n);
    void on_pad_done();
    void finish_receiver();
    void finish_initiator();

    Params params_;
    crypto::Dh dh_;
    State state_ = State::await_key;
    std::error_code error_;
    std::vector<std::uint8_t> buf_;  // the bytes of the current fixed-size field, or the sync window
    std::vector<std::uint8_t> out_;
    crypto::DhKey secret_{};
    std::array<std::uint8_t, kHashSize> pattern_{};  // req1 (receiver) or E_B(VC) (initiator)
    std::size_t pattern_size_ = 0;
    Sha1Digest req3_{};
    std::optional<crypto::Rc4> enc_;
    std::optional<crypto::Rc4> dec_;
    Skey skey_{};
    CryptoMethod method_ = CryptoMethod::rc4;
    std::size_t pad_left_ = 0;
    std::size_t ia_size_ = 0;
    std::vector<std::uint8_t> ia_;
};

}  // namespace bt::mse
