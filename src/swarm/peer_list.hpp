#pragma once
// PeerList: every peer address a torrent knows, and which of them to dial next. Pure: the caller passes
// `now`, dials the addresses pick_to_dial() returns and reports back what happened (on_connected,
// on_dial_failed, on_disconnected, ...).
//
// Per address it keeps where it came from, the failures since the last good connection and the reconnect
// backoff that follows from them, whether it is connected or being dialled, whether a plaintext handshake
// worked after MSE failed (the 'prefer' encryption policy then dials it in plaintext), whether it is
// ourselves, and whether it is banned.
//
// The list is bounded (PeerListSettings::max_size): past it, a new address replaces the idle addresses
// with the most failures (as many as bring the list back to its bound), or is dropped when none has
// failed. Addresses the user gave (PeerSource::given) are always taken and never forgotten, and so are
// bans. A bound lowered at runtime forgets failed idle addresses at once; addresses that never failed stay
// until they fail and a new address replaces them.
//
// BEP 27: "When a client obtains a torrent that has the private flag set, it MUST only announce to the
// trackers specified in the torrent file" and must not take peers from elsewhere: a private list refuses
// addresses from PEX and the DHT.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "core/endpoint.hpp"

namespace bt::swarm {

enum class PeerSource : std::uint8_t {
    tracker,   // an announce reply from one of the torrent's trackers
    given,     // named by the user (--peer): dialled even while seeding, never forgotten
    incoming,  // the peer connected to us
    pex,       // BEP 11 peer exchange (refused for private torrents)
    dht,       // BEP 5 (refused for private torrents)
};
const char* source_name(PeerSource source) noexcept;

inline constexpr std::chrono::seconds kFirstReconnectBackoff{5};
inline constexpr std::chrono::seconds kMaxReconnectBackoff{300};
// The wait before dialling an address again: 5 s << failures, at most 300 s.
std::chrono::seconds reconnect_backoff(std::uint32_t failures) noexcept;

struct PeerListSettings {
    std::size_t max_size = 3000;  // addresses kept (given ones and bans may exceed it)
    bool is_private = false;      // BEP 27: refuse PEX and DHT addresses
};

enum class AddResult : std::uint8_t {
    added,    // a new address (possibly replacing a failed one)
    known,    // already in the list (a given source marks it given)
    dropped,  // the list is full and no address has failed
    refused,  // port 0, or a PEX/DHT address for a private torrent
};

// What pick_to_dial() may start. Dialling stops when connected + dialling reaches max_peers or dialling
// reaches max_half_open.
struct DialLimits {
    std::size_t connected = 0;  // peers connected now, both directions
    std::size_t max_peers = 50;
    std::size_t max_half_open = 16;
    bool seeding = false;  // only given addresses are dialled (leechers dial a seed)
    // --encryption require: peers known to prefer encryption (a PEX flag) are dialled before the others,
    // since they are the ones that will accept an encrypted-only connection.
    bool encrypted_first = false;
};

class PeerList {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    struct Entry {
        TimePoint next_attempt{};
        std::uint32_t failures = 0;  // failed dials and closed connections since the last connection
        std::uint8_t sources = 0;    // bit (1 << PeerSource)
        bool connected = false;      // an outgoing connection to it is open
        bool connecting = false;     // being dialled
        bool banned = false;
        bool is_self = false;
        bool plaintext_works = false;     // a plaintext handshake worked after MSE failed
        bool prefers_encryption = false;  // said by a peer's PEX flags (BEP 11)

        bool has_source(PeerSource source) const noexcept {
            return (sources & (1u << static_cast<unsigned>(source))) != 0;
        }
        bool is_given() const noexcept { return has_source(PeerSource::given); }
    };

    explicit PeerList(PeerListSettings settings = {});

    // A new max_size (see above). `is_private` must be the list's own: it is the torrent's private flag,
    // part of its info dictionary, and never changes.
    void apply_settings(const PeerListSettings& settings);

    AddResult add(const Endpoint& endpoint, PeerSource source);
    // Adds a batch. Once the list is full and no failed address is left, the rest of the batch is dropped
    // without looking again (each look scans the list). Returns how many addresses were new.
    std::size_t add(std::span<const Endpoint> endpoints, PeerSource source);

    // The addresses to dial now, in address order, each marked as being dialled: not connected, dialled,
    // banned or ourselves, next attempt due, given while seeding, and not refused by `skip` (the session's
    // own bans, for example). Each must be answered by on_connected, on_dial_failed or on_dial_refused.
    std::vector<Endpoint> pick_to_dial(TimePoint now, const DialLimits& limits,
                                       const std::function<bool(const Endpoint&)>& skip = {});

    // Dialled and handshaken, and the torrent took the connection: failures start again from 0.
    void on_connected(const Endpoint& endpoint);
    // The dial failed (connect, handshake, or the torrent was stopping): one more failure, and the next
    // attempt waits reconnect_backoff(failures).
    void on_dial_failed(const Endpoint& endpoint, TimePoint now);
    // Handshaken, but the torrent refused the connection (banned, full, already connected to that peer,
    // often because it dialled us first): not a failure, but not dialled again before the first backoff,
    // which a redial every tick (a whole handshake each time) would be.
    void on_dial_refused(const Endpoint& endpoint, TimePoint now);
    // The address is our own listener: never dialled again (the dial is then reported as failed).
    void on_self(const Endpoint& endpoint);
    // A plaintext handshake worked where MSE had failed ('prefer' dials it in plaintext from now on).
    void on_plaintext_worked(const Endpoint& endpoint);
    // Our outgoing connection to it closed: it is dialled again after reconnect_backoff(failures), and
    // the close counts as a failure.
    void on_disconnected(const Endpoint& endpoint, TimePoint now);
    // We closed our outgoing connection to it (or ended the dial) because the torrent stopped: not the
    // peer's failure, and due at once when the torrent runs again.
    void on_stopped(const Endpoint& endpoint);
    // Every address waiting out a backoff is due at `now`: the torrent wants more than before (files selected
    // after it completed), so the seeds it closed as "both seeds" are worth dialling again. Failures are
    // kept.
    void make_all_due(TimePoint now);
    // Never dialled again and refused when it connects; kept past max_size.
    void ban(const Endpoint& endpoint);
    // A peer exchange flagged it as preferring encryption (an address not in the list is ignored).
    void mark_prefers_encryption(const Endpoint& endpoint);

    bool is_banned(const Endpoint& endpoint) const;
    bool plaintext_works(const Endpoint& endpoint) const;
    const Entry* find(const Endpoint& endpoint) const;
    std::size_t size() const noexcept { return entries_.size(); }
    // Addresses being dialled now (marked by pick_to_dial and not yet answered).
    std::size_t num_connecting() const noexcept { return connecting_; }
    // Some address was named by the user: dialled even while seeding, and again after a failure.
    bool has_given() const;
    bool is_private() const noexcept { return settings_.is_private; }

  private:
    AddResult add_one(const Endpoint& endpoint, PeerSource source, bool& failed_left);
    // Forgets up to `count` idle addresses (not connected or dialled, not banned, ourselves or given) that
    // failed, those with the most failures first (in address order among equals); returns how many.
    std::size_t forget_failed_peers(std::size_t count);
    // The entry of an address already in the list, or a new one (connect results of an address that was
    // forgotten meanwhile cannot happen: addresses being dialled or connected are never forgotten).
    Entry& entry(const Endpoint& endpoint);
    void stop_connecting(Entry& e);

    PeerListSettings settings_;
    std::map<Endpoint, Entry> entries_;
    std::size_t connecting_ = 0;
};

}  // namespace bt::swarm
