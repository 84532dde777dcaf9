#pragma once
// The peers of one torrent as pure code: the piece picker and the choker they share, the route of every
// received block (picker, piece assembly, CANCELs to the other requesters in end-game), what happens when a
// piece passes or fails its hash check (HAVE to every peer, or strikes and bans), and the transfer
// counters. Each connected peer is a PeerSession that joins on construction and leaves when it closes.
//
// The torrent around it (session::Torrent, or the swarm harness in tests) is its SwarmHost: it assembles
// pieces, hashes and writes them off the network thread and reports back with on_piece_verified /
// on_piece_failed, and keeps its own books on peers that leave. The time comes in with every call that
// needs it; nothing here reads a clock.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/bounded_map.hpp"
#include "core/endpoint.hpp"
#include "swarm/choker.hpp"
#include "swarm/extension_registry.hpp"
#include "swarm/peer_session.hpp"
#include "swarm/piece_picker.hpp"
#include "swarm/transfer_stats.hpp"
#include "wire/handshake.hpp"

namespace bt::swarm {

// Swarm::apply_settings changes them while peers are connected; each comment says when a change applies.
struct SwarmSettings {
    PeerSettings peer;  // see there
    // A change runs a choke round at once.
    ChokerSettings choker;
    // Counted from the last round: a shorter one that is already over runs a round at the next tick.
    std::chrono::seconds choke_interval{10};
    // Block requests outstanding over all peers (16 KiB each): bounds the memory of pieces in progress.
    // Lowered below those in flight, no peer sends another until they are under it; raised, peers request
    // at once.
    std::uint32_t max_requests_in_flight = 256;
    // Per peer; a sole contributor of a bad piece is banned at once. Read at each strike: strikes counted
    // before a change are held against the new value at the peer's next strike.
    std::uint32_t hash_failures_before_ban = 2;
    // Banned peer ids and peers with strikes remembered; the oldest are forgotten first (at once when
    // lowered). At least 1.
    std::uint32_t max_ban_records = 10'000;
    // What our handshakes say: reserved bits (BEP 10, BEP 6), 'v' and 'p' of the extended handshake.
    // Reserved bits are fixed by each connection's handshake: a change applies to new connections. A new
    // name or port goes to connected peers at once, in a fresh extended handshake (BEP 10).
    wire::Reserved reserved{};
    std::string client_name;
    std::uint16_t listen_port = 0;  // 0: not sent
};

class SwarmHost {
  public:
    // An accepted block (block.length plaintext bytes): copy it into its piece.
    virtual void store_block(const Block& block, std::span<const std::uint8_t> data) = 0;
    // Every block of `piece` is stored: hash it and write it, then call Swarm::on_piece_verified or
    // on_piece_failed (or on_write_failed).
    virtual void on_piece_complete(PieceIndex piece) = 0;
    // Too many completed pieces wait for the disk: peers hold back new requests.
    virtual bool disk_backlogged() const = 0;
    // A session closed; it has left the swarm already.
    virtual void on_peer_closed(PeerSession& peer, const CloseReason& reason) = 0;
    // A peer that sent corrupt data is banned from this torrent; its address (which it may have left
    // already) should not be dialled again.
    virtual void on_corrupt_peer_banned(const Endpoint& address) = 0;

  protected:
    virtual ~SwarmHost() = default;
};

class Swarm {
  public:
    using TimePoint = PeerSession::TimePoint;

    Swarm(SwarmHost& host, PiecePicker picker, SwarmSettings settings, std::uint64_t seed);
    Swarm(const Swarm&) = delete;
    Swarm& operator=(const Swarm&) = delete;

    // Sessions read the settings from here whenever they need them; none keeps a copy.
    const SwarmSettings& settings() const noexcept { return settings_; }
    // New settings for the swarm and every connected session (see SwarmSettings for when each applies).
    void apply_settings(const SwarmSettings& settings, TimePoint now);
    PiecePicker& picker() noexcept { return picker_; }
    const PiecePicker& picker() const noexcept { return picker_; }
    TransferStats& stats() noexcept { return stats_; }
    const TransferStats& stats() const noexcept { return stats_; }
    ExtensionRegistry& extensions() noexcept { return extensions_; }
    // BEP 9: serves `info` (the info dictionary, exactly the bytes hashed for the info hash) to peers that
    // ask over ut_metadata, registered here, and says its size ('metadata_size') in our extended
    // handshakes. Call it before any peer joins (their handshake goes out at start); `info` must outlive
    // the swarm. Whether a torrent's metadata is served at all is the torrent's call (not for a private
    // one: see session::Torrent::make_swarm).
    void serve_metadata(std::span<const std::uint8_t> info);
    // What serve_metadata was given; empty when the metadata is not served.
    std::span<const std::uint8_t> metadata() const noexcept { return metadata_; }
    const std::vector<PeerSession*>& peers() const noexcept { return peers_; }
    bool is_complete() const noexcept { return picker_.is_finished(); }
    bool is_banned(const wire::PeerId& peer_id) const { return banned_ids_.contains(peer_id); }
    bool disk_backlogged() const { return host_.disk_backlogged(); }
    // Requests the peers may still send (max_requests_in_flight less those outstanding).
    std::uint32_t request_budget() const noexcept;
    PeerSession* find(PeerId id) noexcept;

    // Once a second: every peer's tick, and a choke round every choke_interval.
    void tick(TimePoint now);
    void run_choker(TimePoint now);
    // The hash check of a complete piece passed (and the piece is written), or failed.
    void on_piece_verified(PieceIndex piece);
    void on_piece_failed(PieceIndex piece);
    // The piece could not be written (the torrent stops), or was not because its files are skipped now: its
    // blocks are free again.
    void on_write_failed(PieceIndex piece);
    // The disk backlog went down: peers may request again.
    void on_disk_caught_up();
    // Every wanted piece is verified: seeds are closed, the others lose our interest.
    void on_download_complete();
    // The picker's wanted pieces changed (file priorities): interest and requests follow.
    void on_wanted_changed();
    void close_all(const std::string& reason);

    // From the sessions.
    void join(PeerSession& peer, const Endpoint& address);
    void leave(PeerSession& peer, const CloseReason& reason, TimePoint now);
    void forget(PeerSession& peer) noexcept;  // destroyed without closing: no callbacks
    void on_block(PeerSession& peer, const Block& block, std::span<const std::uint8_t> data);
    void on_interest_changed(TimePoint now);
    void on_requests_sent(std::uint32_t count) noexcept { in_flight_ += count; }
    void on_requests_done(std::uint32_t count) noexcept { in_flight_ -= std::min(in_flight_, count); }

  private:
    struct PeerRecord {
        Endpoint address;
        wire::PeerId peer_id;
    };
    // A peer delivered part of a piece that failed its hash check.
    void strike(PeerId id, bool sole_contributor);
    // Forgets departed peers whose blocks have all been verified or failed.
    void forget_departed_contributors();
    void request_more_everywhere();

    SwarmHost& host_;
    PiecePicker picker_;
    SwarmSettings settings_;
    Choker choker_;
    TransferStats stats_;
    ExtensionRegistry extensions_;
    std::span<const std::uint8_t> metadata_;
    std::vector<PeerSession*> peers_;
    std::uint32_t in_flight_ = 0;
    // Connected peers, and departed ones whose blocks wait in unverified pieces: a bad piece blames them
    // after they left. Departed peers are dropped once the picker holds none of their blocks, so connection
    // churn does not grow this.
    std::unordered_map<std::uint32_t, PeerRecord> records_;
    std::vector<PeerId> departed_contributors_;
    BoundedMap<wire::PeerId, std::uint32_t> strikes_;
    BoundedMap<wire::PeerId> banned_ids_;
    std::optional<TimePoint> last_choke_;
    bool closing_all_ = false;  // no choke rounds while every peer leaves
};

}  // namespace bt::swarm
