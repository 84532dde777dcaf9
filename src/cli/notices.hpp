#pragma once
// What the command line tells the user besides the progress line, one line each: why a download moves no
// data (in words the user can act on), what the start-up check found, which piece failed its check. Pure:
// the command line passes what it knows (the torrent's status, whether it has trackers, --peer, the policy).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metainfo/metainfo.hpp"
#include "net/peer_handshake.hpp"
#include "session/torrent.hpp"

namespace bt::cli {

struct StallFacts {
    session::TorrentStatus status;
    bool has_trackers = false;
    std::size_t given_peers = 0;  // --peer
    net::EncryptionPolicy policy = net::EncryptionPolicy::prefer;
    bool dht = false;  // the torrent asks the DHT for peers
    // A dial is under way and the torrent has not been without peers for long: it may yet connect. (In a
    // swarm of dead addresses some dial is nearly always under way, so this must not last.)
    bool dialling = false;
};

// Why a torrent that is not complete has no peer to download from; nullopt while it has one, while
// `dialling`, or when nothing useful can be said (peers are still being asked).
std::optional<std::string> stall_hint(const StallFacts& facts);

// "piece 12 of file a/b.bin failed its check: fetching it again" (the first file the piece touches
// that is not padding; several files: "of files a, b and 2 more").
std::string hash_failure_text(const metainfo::Metainfo& metainfo, PieceIndex piece);

// What the start-up check found: "resumed 667 of 1536 pieces (660 from the resume record, 7 by hashing
// 2 changed files); 869 to download", "nothing on disk yet: 1536 pieces to download", "all 1536 pieces on
// disk". `seed`: the seed command, where nothing on disk means the folder is probably the wrong one.
std::string check_report_text(const session::TorrentStatus& status, bool seed, const std::string& data_path);

// Where a torrent's data is, as the user named its folder: DIR/NAME with one '/' between them however DIR
// ends (`-d /srv/data/` and `-d /srv/data` both give "/srv/data/album").
std::string data_location(std::string_view dir, std::string_view name);
// What `download` and `seed` say before starting about a torrent read as libtorrent reads it
// (Metainfo::notes): each link not created (at most `max_links`, then how many more), and one line counting
// the rest, pointing at `bitveil info`. Empty when nothing was changed. Unescaped: print with printable().
std::vector<std::string> metainfo_notices(const metainfo::Metainfo& metainfo, std::size_t max_links = 5);

}  // namespace bt::cli
