#pragma once
// Builds the bytes of a v1 .torrent (BEP 3, BEP 12 announce-list, BEP 27 private) from values the
// caller has already computed (file list, piece hashes). Pure: no file system, no clock; the
// caller passes the creation date.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/sha1.hpp"
#include "metainfo/metainfo.hpp"

namespace bt::metainfo {

struct BuildFile {
    // Path components relative to the torrent's root folder (`name`), e.g. {"sub", "a.txt"}.
    // Empty for the single-file form, where the one file is `name` itself.
    std::vector<std::string> path;
    std::int64_t length = 0;
};

struct TorrentSpec {
    std::string name;  // info.name: the file's name (single file) or the root folder's name
    // In torrent order. Exactly one file with an empty path gives the single-file form (info.length);
    // otherwise every path is non-empty and the multi-file form (info.files) is written.
    std::vector<BuildFile> files;
    std::int64_t piece_length = 0;  // positive; the caller enforces its own rules (power of two, ...)
    std::vector<crypto::Sha1Digest> piece_hashes;  // exactly ceil(total / piece_length) of them
    // Tiers of tracker URLs. announce = the first URL; announce-list is written when there is more
    // than one URL in all. Empty tiers are not allowed.
    std::vector<std::vector<std::string>> trackers;
    bool is_private = false;
    std::string comment;                        // omitted when empty
    std::string created_by;                     // omitted when empty
    std::optional<std::int64_t> creation_date;  // seconds since the Unix epoch
};

// The bencoded .torrent. Refuses (Error) what would not parse back: an empty or unsafe name or path
// component ("", ".", "..", '/' or NUL inside), duplicate paths or a file that is also a folder,
// a negative length, a total size of 0, a non-positive piece length, the wrong number of piece
// hashes, an empty tracker URL or tier.
Result<std::string, Error> build_torrent(const TorrentSpec& spec);

// A .torrent around an info dictionary received as it is (a magnet link's metadata, BEP 9): 'announce'
// and 'announce-list' from `trackers` (tiers; empty tiers and URLs skipped), then 'info', byte for byte,
// so the file's info-hash is the magnet's.
std::string wrap_info_dictionary(std::string_view info_bytes,
                                 const std::vector<std::vector<std::string>>& trackers);

}  // namespace bt::metainfo
