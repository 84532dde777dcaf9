#include "net/peer_handshake.hpp"

#include <array>
#include <asio/error.hpp>

#include "crypto/random.hpp"
#include "mse/handshake.hpp"
#include "mse/incoming.hpp"

namespace bt::net {

namespace {

using Failure = HandshakeFailure;

bool is_closed(const std::error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset;
}

// The handshake deadline closes the stream under the pending operation.
bool is_deadline(const std::error_code& ec) {
    return ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor;
}

// A stream read or write that failed.
Failure read_failure(const std::error_code& ec) {
    if (is_closed(ec)) return {Errc::closed_during_handshake, ec};
    if (is_deadline(ec)) return {Errc::handshake_timeout, ec};
    return {Errc::handshake_error, ec};
}

// A stream read of the peer's MSE bytes that failed.
Failure mse_read_failure(const std::error_code& ec) {
    if (is_closed(ec)) return {Errc::mse_closed_during_handshake, ec, true};
    if (is_deadline(ec)) return {Errc::mse_handshake_timeout, ec, true};
    return {Errc::mse_handshake_error, ec, true};
}

// An error of mse::Handshake.
Failure mse_failure(const std::error_code& ec) {
    Errc code = Errc::mse_error;
    if (ec.category() == mse::error_category()) {
        switch (static_cast<mse::Errc>(ec.value())) {
            case mse::Errc::peer_key_invalid:
                code = Errc::mse_invalid_public_key;
                break;
            case mse::Errc::plaintext_reply:
                code = Errc::mse_plaintext_reply;
                break;
            case mse::Errc::req1_not_found:
            case mse::Errc::vc_not_found:
                code = Errc::mse_no_sync;
                break;
            case mse::Errc::unknown_skey:
                code = Errc::mse_unknown_torrent;
                break;
            case mse::Errc::bad_vc:
                code = Errc::mse_bad_vc;
                break;
            case mse::Errc::no_common_method:
                code = Errc::mse_no_common_method;
                break;
            case mse::Errc::invalid_select:
                code = Errc::mse_invalid_select;
                break;
            case mse::Errc::pad_too_long:
                code = Errc::mse_pad_too_long;
                break;
            case mse::Errc::ia_too_long:
                code = Errc::mse_ia_too_long;
                break;
            default:
                break;
        }
    }
    return {code, ec, true};
}

Result<Handshaken, Failure> failure(Failure f) {
    return fail(std::move(f));
}

Result<Handshaken, Failure> failure(Errc code) {
    return fail(Failure{code});
}

// Reads the peer's BitTorrent handshake from `pending` (decrypted) and then the stream; whatever follows
// it stays in `pending` as the start of the message stream.
asio::awaitable<Result<wire::Handshake, Failure>> read_bt_handshake(ByteStream& stream,
                                                                    mse::StreamCipher& cipher,
                                                                    std::vector<std::uint8_t>& pending,
                                                                    std::uint64_t& received) {
    wire::HandshakeParser parser;
    std::array<std::uint8_t, 4096> buffer;
    for (;;) {
        auto used = parser.feed(pending);
        if (!used)
            co_return Result<wire::Handshake, Failure>(fail(Failure{Errc::not_bittorrent, used.error()}));
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(*used));
        if (parser.is_complete()) co_return *parser.handshake();
        auto [ec, n] = co_await stream.read_some(buffer);
        if (ec) co_return Result<wire::Handshake, Failure>(fail(read_failure(ec)));
        received += n;
        cipher.decrypt(std::span<std::uint8_t>(buffer.data(), n));
        pending.insert(pending.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
}

ConnectionKind kind_of(const mse::Outcome& outcome) {
    return outcome.method == mse::CryptoMethod::rc4 ? ConnectionKind::mse_rc4 : ConnectionKind::mse_header;
}

// Drives an MSE handshake over the stream until done. `pending` holds bytes already read (receiver);
// on success it holds the stream bytes that followed the handshake, still as they came off the wire.
asio::awaitable<Result<mse::Outcome, Failure>> run_mse(ByteStream& stream, mse::Handshake& hs,
                                                       std::vector<std::uint8_t>& pending,
                                                       std::uint64_t& received, std::uint64_t& sent) {
    std::array<std::uint8_t, 4096> buffer;
    for (;;) {
        if (!pending.empty()) {
            auto used = hs.feed(pending);
            if (!used) co_return Result<mse::Outcome, Failure>(fail(mse_failure(used.error())));
            pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(*used));
        }
        if (auto out = hs.take_output(); !out.empty()) {
            auto [ec, n] = co_await stream.write(out);
            sent += n;
            if (ec) {
                auto f = read_failure(ec);
                f.mse_failed = true;
                co_return Result<mse::Outcome, Failure>(fail(std::move(f)));
            }
        }
        if (hs.done()) {
            auto outcome = std::move(hs).finish();
            if (!outcome) co_return Result<mse::Outcome, Failure>(fail(mse_failure(outcome.error())));
            co_return std::move(*outcome);
        }
        auto [ec, n] = co_await stream.read_some(buffer);
        if (ec) co_return Result<mse::Outcome, Failure>(fail(mse_read_failure(ec)));
        received += n;
        pending.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
}

}  // namespace

mse::CryptoMask crypto_mask(EncryptionLevel level) noexcept {
    switch (level) {
        case EncryptionLevel::rc4:
            return mse::CryptoMask::only(mse::CryptoMethod::rc4);
        case EncryptionLevel::header:
            return mse::CryptoMask::only(mse::CryptoMethod::plaintext);
        case EncryptionLevel::both:
            return mse::CryptoMask::both();
    }
    return mse::CryptoMask::only(mse::CryptoMethod::rc4);
}

std::string HandshakeFailure::reason() const {
    std::string out = ec.message();
    if (ec == Errc::handshake_error || ec == Errc::mse_handshake_error || ec == Errc::mse_error) {
        out += ": ";
        out += cause.message();
    }
    return out;
}

const char* kind_name(ConnectionKind kind) noexcept {
    switch (kind) {
        case ConnectionKind::plaintext:
            return "plaintext";
        case ConnectionKind::mse_rc4:
            return "mse_rc4";
        case ConnectionKind::mse_header:
            return "mse_header";
    }
    return "?";
}

asio::awaitable<Result<Handshaken, HandshakeFailure>> handshake_outgoing(std::unique_ptr<ByteStream>& stream,
                                                                         OutgoingHandshake params) {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::vector<std::uint8_t> pending;
    mse::StreamCipher cipher;
    ConnectionKind kind = ConnectionKind::plaintext;
    const auto ours = wire::encode_handshake(params.ours);
    if (params.encrypt) {
        // Our BitTorrent handshake rides in IA, so MSE costs no extra round trip.
        mse::Params mp;
        mp.role = mse::Role::initiator;
        crypto::SystemRandom rng;
        mse::randomize(mp, rng);
        mp.allowed = crypto_mask(params.level);
        mp.skey = params.ours.info_hash;
        mp.initial_payload.assign(ours.begin(), ours.end());
        auto hs = mse::Handshake::create(std::move(mp));
        if (!hs) co_return failure(mse_failure(hs.error()));
        auto outcome = co_await run_mse(*stream, *hs, pending, received, sent);
        if (!outcome) co_return Result<Handshaken, Failure>(fail(std::move(outcome).error()));
        kind = kind_of(*outcome);
        cipher = std::move(outcome->cipher);
        cipher.decrypt(pending);
    } else {
        auto [ec, n] = co_await stream->write(ours);
        sent += n;
        if (ec) co_return failure(read_failure(ec));
    }
    auto remote = co_await read_bt_handshake(*stream, cipher, pending, received);
    if (!remote) co_return Result<Handshaken, Failure>(fail(std::move(remote).error()));
    if (remote->info_hash != params.ours.info_hash) co_return failure(Errc::wrong_info_hash);
    co_return Handshaken{Transport{std::move(stream), std::move(cipher), kind}, *remote, std::move(pending),
                         received, sent};
}

asio::awaitable<Result<Handshaken, HandshakeFailure>> handshake_incoming(std::unique_ptr<ByteStream>& stream,
                                                                         IncomingHandshake params) {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::vector<std::uint8_t> pending;
    std::array<std::uint8_t, 4096> buffer;
    // Never decide from the first byte: read until the 20-byte plaintext header matches or differs.
    auto kind = mse::IncomingKind::need_more;
    while (kind == mse::IncomingKind::need_more) {
        auto [ec, n] = co_await stream->read_some(buffer);
        if (ec) {
            // Some bytes, all of them the plain header's so far, then nothing: neither a key nor a handshake.
            if (pending.size() < 96 && !pending.empty())
                co_return failure(Failure{Errc::handshake_timeout_before_key, ec});
            co_return failure(read_failure(ec));
        }
        received += n;
        pending.insert(pending.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
        kind = mse::classify_incoming(pending);
    }
    mse::StreamCipher cipher;
    ConnectionKind connection_kind = ConnectionKind::plaintext;
    if (kind == mse::IncomingKind::plaintext) {
        if (params.policy == EncryptionPolicy::require) co_return failure(Errc::plaintext_refused);
    } else {
        if (params.policy == EncryptionPolicy::disable) co_return failure(Errc::mse_refused);
        mse::Params mp;
        mp.role = mse::Role::receiver;
        crypto::SystemRandom rng;
        mse::randomize(mp, rng);
        mp.allowed = crypto_mask(params.level);
        mp.prefer_rc4 = true;
        mp.find_skey = params.find_skey;
        auto hs = mse::Handshake::create(std::move(mp));
        if (!hs) co_return failure(mse_failure(hs.error()));
        auto outcome = co_await run_mse(*stream, *hs, pending, received, sent);
        if (!outcome) {
            // Fewer than 96 bytes before the stream closed or timed out: the peer never sent its key.
            auto f = std::move(outcome).error();
            if (received < 96 && is_timeout(f.ec)) f.ec = Errc::mse_timeout_before_ya;
            co_return Result<Handshaken, Failure>(fail(std::move(f)));
        }
        connection_kind = kind_of(*outcome);
        cipher = std::move(outcome->cipher);
        cipher.decrypt(pending);
        // The initiator's IA (already decrypted) is the start of its stream: usually its whole handshake.
        pending.insert(pending.begin(), outcome->initial_payload.begin(), outcome->initial_payload.end());
    }
    auto remote = co_await read_bt_handshake(*stream, cipher, pending, received);
    if (!remote) co_return Result<Handshaken, Failure>(fail(std::move(remote).error()));
    auto reply = params.reply_for(remote->info_hash);
    if (!reply) co_return failure(Errc::unknown_info_hash);
    auto ours = wire::encode_handshake(*reply);
    cipher.encrypt(ours);
    auto [ec, n] = co_await stream->write(ours);
    sent += n;
    if (ec) co_return failure(read_failure(ec));
    co_return Handshaken{Transport{std::move(stream), std::move(cipher), connection_kind}, *remote,
                         std::move(pending), received, sent};
}

}  // namespace bt::net
