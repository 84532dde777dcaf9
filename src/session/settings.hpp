#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bandwidth/schedule.hpp"
#include "core/endpoint.hpp"
#include "net/peer_handshake.hpp"

namespace bt::session {

struct Settings {
    std::uint16_t listen_port = 6881;  // 0: any free port
    std::string listen_address = "0.0.0.0";
    std::uint32_t max_peers = 50;      // connected peers per torrent
    std::uint32_t max_half_open = 16;  // outgoing connection attempts in flight per torrent
    // Peer addresses remembered per torrent (from trackers and --peer). Past it, a new address from a
    // tracker replaces the idle one that failed most often, or is dropped when none has failed yet: no
    // tracker can grow the list without bound, and dead addresses make room for fresh ones.
    std::uint32_t max_known_peers = 3000;
    // The largest info dictionary taken from peers for a magnet link (BEP 9): a peer announcing more is not
    // asked. 32 MiB holds the piece hashes of a 400 GiB torrent in 256 KiB pieces.
    std::uint64_t max_metadata_size = 32 * 1024 * 1024;
    std::chrono::seconds connect_timeout{10};
    // Whole opening exchange (MSE and BitTorrent handshakes): a peer that has not finished by then is
    // closed, whether it stalled before its MSE key or at any later step.
    std::chrono::seconds handshake_timeout{30};
    net::EncryptionPolicy encryption = net::EncryptionPolicy::prefer;
    // both: offer and accept RC4 and header-only MSE, RC4 preferred, as other clients do; rc4 alone leaves a
    // peer that forces header-only MSE stalled with nobody to talk to.
    net::EncryptionLevel encryption_level = net::EncryptionLevel::both;
    std::chrono::seconds peer_idle_timeout{180};   // nothing received: close
    std::chrono::seconds keep_alive_interval{90};  // nothing sent: send a keep-alive
    std::chrono::seconds request_timeout{60};      // requests outstanding and no block: snubbed
    std::chrono::seconds choke_interval{10};
    std::chrono::seconds tracker_timeout{30};
    std::chrono::seconds stop_announce_timeout{5};
    std::uint32_t hash_failures_before_ban =
        2;  // per peer; a sole contributor of a bad piece is banned at once
    std::uint32_t max_incoming_requests = 500;  // per peer; more are dropped (and counted)
    // Peers unchoked at once per torrent: one optimistic slot (a random interested peer, moved every 30 s)
    // and the others by rate. 0: nobody is unchoked, and a starting peer only gets the pieces it may fetch
    // while choked (its allowed fast set, BEP 6).
    std::uint32_t upload_slots = 5;
    // Banned peer ids and addresses remembered per list (the session's, each torrent's), and peers with
    // hash-failure strikes per torrent: the oldest is forgotten first, so misbehaving peers cannot grow them.
    std::uint32_t max_ban_records = 10'000;
    // Incoming connections still in their opening exchange (MSE and BitTorrent handshakes), over all
    // torrents. A real peer finishes in a round trip or two, so few are ever pending at once; the bound
    // keeps idle or half-finished connections (each may linger handshake_timeout) from holding the file
    // descriptors that real peers, outgoing dials and files need. Past it, each new connection evicts the
    // oldest pending one (the likeliest to be idle), so a storm of idle sockets cannot lock real peers out.
    std::uint32_t max_pending_incoming = 64;
    // Peer sockets over all torrents (established plus pending incoming). Session::listen() lowers it to
    // fit RLIMIT_NOFILE, keeping kReservedDescriptors (session.hpp) for files, dials and the event loop.
    std::uint32_t max_connections = 500;
    // The session's rate limits in bytes per second (0: none). They count every byte a peer connection
    // reads or writes after the handshakes (payload and protocol, encrypted or not); each torrent may have
    // its own limits under them (Torrent::set_rate_limits).
    std::uint64_t download_limit = 0;
    std::uint64_t upload_limit = 0;
    // Alternative speed limits ("turtle mode", Transmission's alt-speed-*): while alt_speed_enabled, the
    // session's channels take alt_download_limit and alt_upload_limit (bytes per second, 0: none) instead of
    // the two above; torrents' own limits stay. 50 KiB/s each by default, as Transmission's 50.
    std::uint64_t alt_download_limit = 50 * 1024;
    std::uint64_t alt_upload_limit = 50 * 1024;
    bool alt_speed_enabled = false;
    // The weekly schedule (alt-speed-time-enabled, -begin, -end, -day; bandwidth/schedule.hpp): while on,
    // alt_speed_enabled follows it by local time, switched when a range begins and when it ends. A switch
    // by hand (Session::set_alt_speed_enabled) holds until the schedule's next switch, as in Transmission.
    bool alt_speed_schedule_enabled = false;
    bandwidth::AltSpeedSchedule alt_speed_schedule;
    // Torrents started through Session::start_queued run at most this many at once (0: no limit):
    // downloads (fetching metadata, checking or downloading) and seeds. The others wait in the order they
    // were queued. A download that has moved no payload for queue_stalled_after does not hold its slot (as
    // Transmission's queue-stalled-minutes).
    std::uint32_t max_active_downloads = 0;
    std::uint32_t max_active_seeds = 0;
    std::chrono::seconds queue_stalled_after{30 * 60};
    // Block requests outstanding over all peers of a torrent (16 KiB each): bounds the memory of pieces in
    // progress. 4 MiB keeps 1 Gbit/s full at 30 ms of round trip (100 Mbit/s at 300 ms); each peer's own
    // queue follows its rate (about two seconds of its transfer, 16 to 500 requests).
    std::uint32_t max_requests_in_flight = 256;
    unsigned disk_threads = 2;
    // Completed pieces waiting to be hashed and written, per torrent: past this, peers stop sending new
    // requests until the disk catches up, so a slow disk costs speed instead of memory. At least one piece
    // is always let through, whatever its size.
    std::uint64_t max_disk_backlog = 4 * 1024 * 1024;
    // The read cache for uploads (storage/read_cache.hpp), shared by every torrent: blocks are read from
    // disk in runs of up to 256 KiB and stay here while they are served and after, least recently used out
    // first. Lines being read are never evicted, and lines a peer's queued blocks still need outlive their
    // eviction: up to 1.25 MiB per uploading peer on top of this (session/peer_connection.cpp).
    std::uint64_t read_cache_bytes = 4 * 1024 * 1024;
    // Verified pieces go to disk with O_DIRECT where the file system allows it, instead of through the page
    // cache (storage/file_storage.hpp, "Direct writes"): less CPU per byte, and a big download does not
    // evict everything else from memory. Off: plain buffered writes.
    bool direct_writes = true;
    // Resume data (storage/resume_data.hpp) is saved at most this often while pieces get verified, and at
    // stop. After a crash, pieces verified since the last save are found again by hashing the files that
    // changed, so the interval bounds only how much is rechecked, not what is lost. Saves while
    // downloading do not flush the data (the record names the boot); the first save while seeding does.
    std::chrono::seconds resume_save_interval{5};
    // Announces per second over all seeding torrents, after a first second's worth at once (0: no limit):
    // ten thousand seeds started together reach their trackers over minutes instead of in one burst, and
    // stay spread at every interval after (tracker/announce_pacer.hpp). Downloads are not held back.
    std::uint32_t announces_per_second = 20;
    // The folder that holds the resume records (storage/resume_store.hpp), created when first needed; taken
    // when a torrent is added. Empty: no records are kept, and every start hashes the files on disk.
    std::string resume_dir;
    // The DHT (BEP 5, session/dht_service.hpp): started by listen() when the session has a UDP socket.
    // Private torrents (BEP 27) never use it. A change takes effect at the next listen() or new port.
    bool dht = true;
    // Nodes to join the DHT through, "HOST:PORT" or "[v6]:PORT". Empty by default, so that an embedded
    // session (and every test) never leaves the machine unless told to; the bitveil CLI names the public
    // routers.
    std::vector<std::string> dht_bootstrap;
    // Our node id and routing table, kept between runs (a restart needs no bootstrap node). Empty: not kept.
    std::string dht_state_file;
    bool dht_read_only = false;  // BEP 43: we query but answer nobody and stay out of others' tables
    std::string user_agent = "bitveil/0.1.0";
};

}  // namespace bt::session
