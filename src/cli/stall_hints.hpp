#pragma once
// Words for a download that moves no data: why, in one line a user can act on. Pure: the command line
// passes what it knows (the torrent's status, whether it has trackers, the --peer count, the policy).
#include <cstddef>
#include <optional>
#include <string>

#include "metainfo/metainfo.hpp"
#include "net/peer_handshake.hpp"
#include "session/torrent.hpp"

namespace bt::cli {

struct StallFacts {
    session::TorrentStatus status;
    bool has_trackers = false;
    std::size_t given_peers = 0;  // --peer
    net::EncryptionPolicy policy = net::EncryptionPolicy::prefer;
};

// Why a torrent that is not complete has no peer to download from; nullopt while it has one, or when
// nothing useful can be said (peers are still being asked).
std::optional<std::string> stall_hint(const StallFacts& facts);

// "piece 12 of file a/b.bin failed its check: fetching it again" (the first file the piece touches
// that is not padding; several files: "of files a, b and 2 more").
std::string hash_failure_text(const metainfo::Metainfo& metainfo, PieceIndex piece);

}  // namespace bt::cli
