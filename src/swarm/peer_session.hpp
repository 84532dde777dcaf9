#pragma once
// The peer wire protocol with one connected peer, as pure code: decoded messages and the time go in; bytes
// to send, blocks to read for upload and the decision to close (or ban) come out. No socket, no clock, no
// log: the I/O around it (session::PeerConnection, or the swarm harness in tests) reads and decrypts
// frames, calls on_message(), writes what outbox() holds, serves next_upload() from the disk and stops when
// the session closes.
//
// It keeps choke and interest both ways, the request pipeline (its size follows the peer's rate, see
// request_queue.hpp), snubbing, the peer's queued requests for upload with a flood bucket, what the peer
// has, the extension handshake (BEP 10) and the fast extension (BEP 6, below). What concerns the whole
// torrent (the piece picker, the choker, piece assembly, strikes) is the Swarm's; a session reaches the other
// peers only through it.
//
// What a misbehaving peer gets (ban: closed, and refused by the whole session from then on):
//   Banned, for violations an honest client cannot make by mistake once the info-hash matched:
//   - any framing or bounds error from wire::MessageReader (on_protocol_error): a length prefix above the
//     largest legal frame, a fixed-size message of the wrong size, a BITFIELD of the wrong size, a piece
//     index out of range, a block length of 0 or above 16 KiB;
//   - a BITFIELD with spare bits set; a REQUEST reaching past the end of its piece;
//   - a PIECE we never asked for (neither outstanding nor among the last kMaxReleasedRemembered requests
//     we cancelled or dropped, which may still cross on the wire);
//   - (Swarm) data that fails the hash check, at once when the peer sent the whole piece.
//   Closed, not banned:
//   - a flood of REQUEST / CANCEL messages (kRequestFloodBurst): abuse, but a client with a huge pipeline
//     can get there honestly, and reconnecting costs it a handshake;
//   - a REQUEST for a piece we do not have, HAVE_ALL or HAVE_NONE after the first message (extended
//     messages, PORT and keep-alives aside), a fast extension message (BEP 6) on a connection without it,
//     an invalid extended handshake, an invalid ut_metadata message (see on_metadata_message), idle timeout.
//
// The fast extension (BEP 6), when both handshakes set its bit:
//   - we open with HAVE_ALL or HAVE_NONE instead of a full or empty BITFIELD;
//   - every request we drop is answered with a REJECT_REQUEST: at a choke, over the queue bound, and past
//     a lowered max_incoming_requests;
//   - a starting peer (fewer pieces than allowed_fast_set_size) gets our allowed fast set (allowed_fast.hpp)
//     at its first INTERESTED, less the pieces it has, and those pieces are served while it is choked: their
//     requests are queued like others (same bound) and survive a choke; each block at most
//     kAllowedFastServesPerBlock times while choked, more is rejected;
//   - the peer's ALLOWED_FAST pieces (at most kMaxAllowedFastSet kept) are requested while it chokes us,
//     through the picker like any other; one it rejects while choking us is struck off;
//   - its SUGGEST_PIECEs (the newest kMaxSuggestedPieces kept) are picked first when it has them and we
//     want them;
//   - its REJECT_REQUEST releases the block (one for a request we never sent or no longer have is ignored),
//     and its CHOKE leaves our requests standing until it rejects them.
//
// Whatever a peer sends, what a session holds for it stays bounded: max_incoming_requests queued requests,
// kMaxReleasedRemembered released blocks, kMaxQueuedMetadataRequests metadata requests (whose answers enter
// the outbox only while it holds less than kMetadataSendBuffer), kMaxAllowedFastSet allowed fast pieces each
// way, kMaxSuggestedPieces suggestions, and what the I/O layer lets the outbox grow to.
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bitfield.hpp"
#include "core/endpoint.hpp"
#include "swarm/block.hpp"
#include "swarm/extension_registry.hpp"
#include "wire/extension.hpp"
#include "wire/handshake.hpp"
#include "wire/message.hpp"

namespace bt::swarm {

class Swarm;

// Why a session ended. `ban`: the peer broke the protocol on purpose (see the list above); `text` then
// starts with kBannedPrefix.
inline constexpr std::string_view kBannedPrefix = "banned: ";
struct CloseReason {
    std::string text;
    bool ban = false;
    // What the peer did, without kBannedPrefix.
    std::string_view offence() const noexcept {
        return ban && text.starts_with(kBannedPrefix) ? std::string_view(text).substr(kBannedPrefix.size())
                                                      : text;
    }
};

// A session reads these from its Swarm's settings whenever it needs them: the timeouts at every tick, so a
// change (Swarm::apply_settings) applies from the next one; for max_incoming_requests see
// on_settings_changed().
struct PeerSettings {
    std::uint32_t max_incoming_requests = 500;  // the peer's queued requests; more are dropped (and counted)
    std::chrono::seconds peer_idle_timeout{180};   // nothing received: close
    std::chrono::seconds keep_alive_interval{90};  // nothing sent: send a keep-alive
    std::chrono::seconds request_timeout{60};      // requests outstanding and no block: snubbed
    // BEP 6: the size of the allowed fast set a starting peer gets (the BEP's k; at most kMaxAllowedFastSet;
    // 0: none). Applies to peers that have not been sent one yet.
    std::uint32_t allowed_fast_set_size = 10;
};

// Requests given up on (cancelled, choked, snubbed) that are remembered, so a late PIECE for one of them is
// not taken for an unrequested block.
inline constexpr std::size_t kMaxReleasedRemembered = 2048;
// BEP 6 bounds: the allowed fast set we send, and the peer's ALLOWED_FAST pieces we keep (later ones are
// ignored); the peer's SUGGEST_PIECEs kept (the oldest is forgotten first); how many times each block of an
// allowed fast piece is served while the peer is choked (again after a hash failure at the peer; more is
// rejected).
inline constexpr std::uint32_t kMaxAllowedFastSet = 64;
inline constexpr std::size_t kMaxSuggestedPieces = 16;
inline constexpr std::uint32_t kAllowedFastServesPerBlock = 2;
// Requests that come to nothing cost the peer a token: a REQUEST we drop (we choke the peer, or its queue
// is full) and every CANCEL. An honest peer loses at most one pipeline of requests per choke (choke rounds
// are 10 s apart) and cancels about one pipeline in its endgame; a flood costs thousands a second. Bucket
// size, as a multiple of max_incoming_requests, and the refill per second as a divisor of it:
inline constexpr std::uint32_t kRequestFloodBurst = 4;
inline constexpr std::uint32_t kRequestFloodRefillDivisor = 5;

// Serving the metadata (BEP 9, ut_metadata; see Swarm::serve_metadata). A request is answered at once
// while the outbox holds less than kMetadataSendBuffer bytes; otherwise it waits, at most
// kMaxQueuedMetadataRequests of them, and is answered when the I/O layer takes the outbox (or at the next
// tick). Honest clients keep one (aria2) or two (libtorrent) requests outstanding per peer, so the bound
// is never reached by them; a request beyond it, or for a piece past the end, is rejected and costs a
// token of the request flood bucket (kRequestFloodBurst), so a flood of them closes the peer as a flood of
// REQUESTs does. The answers a peer can make us hold stay under kMetadataSendBuffer plus one piece.
inline constexpr std::size_t kMetadataSendBuffer = 64 * 1024;
inline constexpr std::size_t kMaxQueuedMetadataRequests = 8;

// What the I/O layer around a session is told. Calls come from inside the session's own methods or from the
// Swarm acting on other peers' messages (a CANCEL in end-game, a HAVE, a choke round).
class PeerIo {
  public:
    // The outbox grew: wake the writer.
    virtual void on_output() = 0;
    // next_upload() may have a block now (a request was queued, or the peer was unchoked): wake the uploader.
    // Apart from on_output, which comes with every message queued (a download queues a request per block).
    virtual void on_upload_ready() = 0;
    // The session closed (once): stop reading and writing. Nothing more will be fed to it.
    virtual void on_closed(const CloseReason& reason) = 0;
    // The peer's extended handshake arrived (BEP 10); `first`: its first one. For logs.
    virtual void on_extension_handshake(bool first) = 0;
    // The peer's PORT message (BEP 5): its DHT node listens on this UDP port. Only when both handshakes
    // set the DHT bit.
    virtual void on_dht_port(std::uint16_t /*port*/) {}

  protected:
    virtual ~PeerIo() = default;
};

class PeerSession {
  public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    // Joins `swarm` (which must outlive it). `address`: where the peer is (its listening address when we
    // dialled it); `remote`: its BitTorrent handshake.
    PeerSession(Swarm& swarm, PeerId id, PeerIo& io, const Endpoint& address, const wire::Handshake& remote,
                TimePoint now);
    ~PeerSession();
    PeerSession(const PeerSession&) = delete;
    PeerSession& operator=(const PeerSession&) = delete;

    // Queues our opening messages (BITFIELD or nothing, our extended handshake).
    void start();
    // BEP 5: tells the peer the UDP port of our DHT node (PORT), when both handshakes set the DHT bit.
    void send_dht_port(std::uint16_t port);

    // A decoded message; `frame_size` is its size on the wire, length prefix included.
    void on_message(const wire::Message& message, std::size_t frame_size, TimePoint now);
    // A frame with an unknown id, skipped (BEP 3).
    void on_unknown_message(std::size_t frame_size, TimePoint now);
    // The frame reader failed: the peer broke the framing (banned).
    void on_protocol_error(const std::string& what);
    // Once a second: rates, the flood bucket, timeouts, keep-alives.
    void tick(TimePoint now);
    // The I/O layer sent bytes (for the keep-alive timer).
    void on_sent(TimePoint now) noexcept { last_send_ = now; }

    // Uploads. next_upload() hands out the oldest queued request (while the peer is choked, only requests
    // for its allowed fast pieces are queued); the I/O layer reads the block and calls on_block_read() (or
    // on_read_failed()). A block cancelled or choked away while it was read is dropped then.
    std::optional<Block> next_upload();
    // Where the run of blocks the peer has asked for, starting with `first` (just handed out), ends in its
    // piece: the queued requests that follow it back to back, up to `max_bytes` from first.begin. The
    // uploader reads that much in one go.
    std::uint32_t requested_run_end(const Block& first, std::uint32_t max_bytes) const;
    void on_block_read(const Block& block, std::span<const std::uint8_t> data);
    void on_read_failed(const std::string& what);

    // Bytes to write: the I/O layer swaps them out (take_output) and encrypts and sends them. Metadata
    // answers that waited for room are queued right after a take, so the outbox may be non-empty then.
    std::size_t output_size() const noexcept { return out_.size(); }
    void take_output(std::vector<std::uint8_t>& into);

    // A ut_metadata message (BEP 9) from the peer: the handler Swarm::serve_metadata registers.
    void on_metadata_message(std::span<const std::uint8_t> payload);
    std::size_t queued_metadata_requests() const noexcept { return metadata_requests_.size(); }

    void close(const CloseReason& reason);
    bool is_closed() const noexcept { return closed_; }

    // From the Swarm.
    void send_have(PieceIndex piece);
    void set_choking(bool choke);
    void send_cancel(const Block& block);
    void request_more();
    void update_interest();
    // Swarm::apply_settings changed the settings. `handshake_changed`: our extended handshake says something
    // new (client name, listen port, or max_incoming_requests as 'reqq'): a fresh one goes out, which BEP 10
    // allows at any time. Queued requests beyond a lowered max_incoming_requests are rejected, newest first
    // (BEP 6), or, without the fast extension, dropped with a choke and an unchoke at once (BEP 3 has no
    // other way to say so): the peer asks again within the new 'reqq'.
    void on_settings_changed(bool handshake_changed);

    PeerId id() const noexcept { return id_; }
    const wire::PeerId& peer_id() const noexcept { return remote_.peer_id; }
    // The peer's 'v' from its extended handshake (BEP 10, made printable), else its peer id's client code.
    std::string client_name() const;
    const wire::PeerExtensions& extensions() const noexcept { return extensions_; }
    // An extension message (BEP 10) under the id the peer gave `name`; false when it has not enabled it.
    bool send_extension(std::string_view name, std::span<const std::uint8_t> payload);
    bool supports_fast() const noexcept { return fast_; }
    const Bitfield& pieces() const noexcept { return peer_has_; }
    bool is_seed() const noexcept { return peer_has_.all(); }
    bool is_interested() const noexcept { return peer_interested_; }
    bool is_interesting() const noexcept { return am_interested_; }
    bool am_choking() const noexcept { return am_choking_; }
    bool is_choking_us() const noexcept { return peer_choking_; }
    bool is_snubbed() const noexcept { return snubbed_; }
    std::uint64_t download_rate() const noexcept { return download_rate_; }
    std::uint64_t upload_rate() const noexcept { return upload_rate_; }
    std::uint32_t requests_in_flight() const noexcept {
        return static_cast<std::uint32_t>(outstanding_.size());
    }
    std::size_t queued_uploads() const noexcept { return incoming_requests_.size(); }
    // BEP 6: the pieces we let the peer fetch while choked, and those it lets us fetch while it chokes us.
    std::vector<PieceIndex> granted_fast() const;
    const std::vector<PieceIndex>& allowed_fast() const noexcept { return allowed_fast_; }
    const std::vector<PieceIndex>& suggested() const noexcept { return suggested_; }

  private:
    void handle(const wire::Message& message);
    void on_bitfield(const wire::Bitfield& message);
    void on_have(PieceIndex piece);
    void on_have_all();
    void on_have_none();
    void on_choked();
    void on_request(const wire::Request& request);
    void on_cancel(const wire::Cancel& cancel);
    void on_piece(const wire::Piece& piece, TimePoint now);
    void on_reject(const wire::RejectRequest& reject);
    void on_allowed_fast(PieceIndex piece);
    void on_suggest(PieceIndex piece);
    // Our allowed fast set, once, at the peer's first INTERESTED (see the top of this file).
    void send_allowed_fast();
    // A request for a granted piece while the peer is choked: counts it; false past the bound or if the
    // piece was never granted.
    bool serve_while_choked(const Block& request);
    bool is_granted(PieceIndex piece) const noexcept;
    void on_extended(const wire::Extended& message);
    void send_extension_handshake();
    void on_metadata_request(std::uint32_t piece);
    // Answers waiting metadata requests while the outbox has room (kMetadataSendBuffer).
    void answer_metadata_requests();
    void send_extended(std::uint8_t id, std::string_view payload);
    // A request that came to nothing (see kRequestFloodBurst); closes the session when the bucket is empty.
    void waste_request();
    void ban(const std::string& reason) { close({std::string(kBannedPrefix) + reason, true}); }
    void remember_released(const Block& block);
    void release_requests();
    void queue(const wire::Message& message);
    void count_availability(bool add);

    Swarm& swarm_;
    PeerId id_;
    PeerIo& io_;
    Endpoint address_;
    wire::Handshake remote_;
    // Both handshakes set the bit of the fast extension (BEP 6) or of the extension protocol (BEP 10). Fixed
    // for the connection: reserved bits changed later apply to new connections only.
    bool fast_ = false;
    bool extension_protocol_ = false;
    bool dht_ = false;  // BEP 5: PORT messages go both ways
    bool heeded_dht_port_ = false;
    bool closed_ = false;

    Bitfield peer_has_;
    bool counted_as_seed_ = false;    // availability counted through add_peer_have_all
    bool got_first_message_ = false;  // a message other than an extended one, PORT or a keep-alive
    bool am_choking_ = true;
    bool am_interested_ = false;
    bool peer_choking_ = true;
    bool peer_interested_ = false;
    bool snubbed_ = false;
    wire::PeerExtensions extensions_;

    std::vector<Block> outstanding_;  // our requests to the peer, oldest first
    std::deque<Block> released_;      // newest last, at most kMaxReleasedRemembered
    std::deque<Block> incoming_requests_;
    std::vector<Block> reading_;  // handed out by next_upload(), not yet read
    std::uint32_t request_waste_budget_ = 0;
    std::deque<std::uint32_t> metadata_requests_;  // ut_metadata pieces to answer, oldest first

    // BEP 6. Ours: the allowed fast set sent to the peer, with the blocks served from each piece while it
    // was choked. While we choke the peer, incoming_requests_ and reading_ hold requests for these only.
    struct FastGrant {
        PieceIndex piece;
        std::uint32_t served_choked = 0;
    };
    std::vector<FastGrant> granted_fast_;
    bool allowed_fast_decided_ = false;
    // The peer's: pieces it allowed fast, and its suggestions, newest first.
    std::vector<PieceIndex> allowed_fast_;
    std::vector<PieceIndex> suggested_;

    std::vector<std::uint8_t> out_;

    TimePoint last_receive_;
    TimePoint last_send_;
    TimePoint last_block_;  // last requested block received (or first request sent)
    TimePoint now_;         // the time of the last input, for requests sent from Swarm calls
    std::uint64_t downloaded_this_tick_ = 0;
    std::uint64_t uploaded_this_tick_ = 0;
    std::uint64_t download_rate_ = 0;
    std::uint64_t upload_rate_ = 0;
};

}  // namespace bt::swarm
