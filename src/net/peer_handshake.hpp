#pragma once
// The opening of a peer connection, both directions: optional MSE (the pure mse::Handshake driven over
// the stream), then the BitTorrent handshake, which travels inside MSE's initial payload when we initiate.
// Any ByteStream will do. The caller bounds the whole exchange with a deadline that closes the stream; on
// success the stream is moved into the returned Transport, on failure it stays with the caller.
#include <asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "core/result.hpp"
#include "mse/keys.hpp"
#include "mse/stream_cipher.hpp"
#include "net/byte_stream.hpp"
#include "net/errors.hpp"
#include "wire/handshake.hpp"

namespace bt::net {

// What the user chose with --encryption (see the CLI's help for the behaviour of each).
enum class EncryptionPolicy : std::uint8_t { disable, allow, prefer, require };
// What we offer in crypto_provide and accept in crypto_select (--encryption-level).
enum class EncryptionLevel : std::uint8_t { rc4, header, both };

mse::CryptoMask crypto_mask(EncryptionLevel level) noexcept;

enum class ConnectionKind : std::uint8_t { plaintext, mse_rc4, mse_header };
const char* kind_name(ConnectionKind kind) noexcept;

// An open connection after both handshakes: the stream plus the stream cipher that MSE negotiated.
struct Transport {
    std::unique_ptr<ByteStream> stream;
    mse::StreamCipher cipher;  // pass-through for plaintext and MSE header-only
    ConnectionKind kind = ConnectionKind::plaintext;
};

struct Handshaken {
    Transport transport;
    wire::Handshake remote;
    std::vector<std::uint8_t> leftover;  // stream bytes that arrived with the handshake, decrypted
    std::uint64_t bytes_received = 0;    // handshake overhead, for the protocol counters
    std::uint64_t bytes_sent = 0;
};

// Why a handshake failed: a net::Errc code, the error underneath it, and whether it was MSE that failed.
struct HandshakeFailure {
    std::error_code ec{};     // a net::Errc
    std::error_code cause{};  // the stream or mse::Errc error behind ec, when there is one
    bool mse_failed = false;  // an MSE attempt failed (prefer: retry in plaintext)
    // The short, stable reason for the counters and logs: ec's message ("mse: bad VC"), followed by the
    // cause's for the codes that stand for some other error ("handshake: Broken pipe").
    std::string reason() const;
};

struct OutgoingHandshake {
    wire::Handshake ours;  // our BitTorrent handshake (info-hash, peer id, reserved bits)
    bool encrypt = false;  // MSE first, or plaintext
    EncryptionLevel level = EncryptionLevel::rc4;
};

// Sends ours (inside MSE when asked), reads and checks the peer's handshake (info-hash must match).
asio::awaitable<Result<Handshaken, HandshakeFailure>> handshake_outgoing(std::unique_ptr<ByteStream>& stream,
                                                                         OutgoingHandshake params);

struct IncomingHandshake {
    EncryptionPolicy policy = EncryptionPolicy::prefer;
    EncryptionLevel level = EncryptionLevel::rc4;
    // MSE receiver: HASH('req2', SKEY) -> SKEY of one of our torrents.
    std::function<std::optional<mse::Skey>(const mse::Sha1Digest&)> find_skey;
    // Our reply for a torrent we serve, or nullopt to refuse the info-hash.
    std::function<std::optional<wire::Handshake>(const wire::InfoHashBytes&)> reply_for;
};

// Tells plaintext from MSE by the first 20 bytes, runs the receiver side, answers with our handshake.
asio::awaitable<Result<Handshaken, HandshakeFailure>> handshake_incoming(std::unique_ptr<ByteStream>& stream,
                                                                         IncomingHandshake params);

}  // namespace bt::net
