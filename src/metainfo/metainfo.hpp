#pragma once
// A v1 .torrent (BEP 3), with BEP 12 announce-list, BEP 27 private flag, BEP 19/17 web seeds and
// BEP 47 pad files. Pure code: bytes in, a validated Metainfo or an Error out.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/sha1.hpp"

namespace bt::metainfo {

struct InfoHash {
    crypto::Sha1Digest bytes{};
    std::string hex() const;
    friend auto operator<=>(const InfoHash&, const InfoHash&) = default;
};

enum class Errc : std::uint8_t {
    malformed_bencode = 1,  // the file is not valid bencode
    not_a_dictionary,
    missing_info,
    invalid_name,
    invalid_piece_length,
    invalid_pieces,     // 'pieces' missing, not a multiple of 20, or not matching the total size
    invalid_length,     // negative, zero where not allowed, or overflowing
    no_files,
    invalid_path,       // empty path, NUL, '..', or a conflict between two files
    invalid_field,      // a known field of the wrong type (announce, comment, ...)
    v2_only,            // BEP 52 torrent without v1 'pieces'
    invalid_magnet,
};

struct Error {
    Errc code;
    std::string detail;  // names the field and what is wrong with it, e.g. "info.files[3].path: '..'"
    std::string message() const;
};

struct FileEntry {
    // Sanitised path components, relative to the download folder's torrent root (which is `name` for
    // multi-file torrents). Never empty, never '.' or '..', no '/' or '\' or NUL inside a component.
    std::vector<std::string> path;
    std::int64_t length = 0;
    std::int64_t offset = 0;  // where this file starts in the torrent's concatenated data
    bool pad = false;         // BEP 47 attr 'p': never written to disk, all zeros
    bool executable = false;  // BEP 47 attr 'x'
    bool hidden = false;      // BEP 47 attr 'h'
    std::string path_string() const;  // components joined with '/'
};

struct Metainfo {
    InfoHash info_hash;        // SHA-1 of the info dictionary exactly as it stands in the file
    std::string info_bytes;    // those bytes (served later over ut_metadata)
    std::string name;          // sanitised like a path component
    bool multi_file = false;   // 'files' form: files live under the folder `name`
    std::int64_t piece_length = 0;
    std::int64_t total_size = 0;
    std::vector<crypto::Sha1Digest> piece_hashes;
    std::vector<FileEntry> files;  // in torrent order, pad files included
    bool is_private = false;
    bool hybrid = false;  // also carries BEP 52 v2 fields; loaded as v1

    std::vector<std::vector<std::string>> trackers;  // tiers: announce-list, else [[announce]]
    std::vector<std::string> url_list;                // BEP 19
    std::vector<std::string> http_seeds;              // BEP 17
    std::optional<std::int64_t> creation_date;
    std::string comment;
    std::string created_by;

    std::uint32_t num_pieces() const { return static_cast<std::uint32_t>(piece_hashes.size()); }
    std::int64_t piece_size(std::uint32_t piece) const;  // the last piece may be shorter
};

// A whole .torrent file.
Result<Metainfo, Error> parse_torrent(std::string_view bytes);
// A bare info dictionary (as received through ut_metadata); tracker fields stay empty.
Result<Metainfo, Error> parse_info(std::string_view info_bytes);

}  // namespace bt::metainfo
