#pragma once
// A v1 .torrent (BEP 3), with BEP 12 announce-list, BEP 27 private flag, BEP 19/17 web seeds and
// BEP 47 file attributes (pad files, executable, hidden, symlinks). Pure code: bytes in, a validated
// Metainfo or an Error out.
//
// Torrents from the wild are read as libtorrent 2.0 reads them, so that they get the same file names:
// path elements are sanitised (path_sanitizer.hpp: '..' and '.' dropped, '/' removed, empty elements and
// invalid characters replaced), two files with the same path (ASCII case ignored) or a file that is also
// another file's folder get distinct names ("a.txt" becomes "a.1.txt", file_tree.hpp), optional fields of
// the wrong type are ignored, and a symlink whose target is not a file or folder of the torrent is
// skipped. Every such change is listed in Metainfo::notes.
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
    invalid_pieces,  // 'pieces' missing, not a multiple of 20, or not matching the total size
    invalid_length,  // negative, zero where not allowed, or overflowing
    no_files,
    invalid_path,   // a path that is missing, not a list of strings, or longer than 4096 bytes
    invalid_field,  // a known field of the wrong type (announce, comment, ...)
    v2_only,        // BEP 52 torrent without v1 'pieces'
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
    bool pad = false;         // BEP 47 attr 'p' (or a BitComet "_____padding_file_"): never on disk, zeros
    bool executable = false;  // BEP 47 attr 'x': created with the executable bits
    bool hidden = false;      // BEP 47 attr 'h': nothing to do on POSIX (the name says it)
    // BEP 47 attr 'l' with a 'symlink path': a link, holding no data (length 0). `symlink_target` names a
    // file or folder of the torrent, as components below the torrent root (sanitised like paths); it is empty
    // when the target is not in the torrent, and then the link is not created (a note says so).
    bool symlink = false;
    std::vector<std::string> symlink_target{};
    std::string path_string() const;  // components joined with '/'
};

// Something the parser changed to accept a torrent as libtorrent does. Paths are shown as libtorrent
// shows them: "name/dir/file" for a multi-file torrent, "name" for a single file; `from` is the torrent's
// own bytes (not escaped: print them with printable()).
struct Note {
    enum class Kind : std::uint8_t {
        renamed,          // a path or the name sanitised; `reason` says how
        duplicate,        // a path another file or folder of the torrent already has: given a ".N" suffix
        symlink_skipped,  // a BEP 47 link whose target is not in the torrent: not created
        not_a_symlink,    // a BEP 47 link without a usable 'symlink path': an empty file instead
        field_ignored,    // an optional field of the wrong type (or out of range), ignored
    };
    Kind kind;
    std::string field;         // "info.files[3].path", "url-list[2]", "info.name"
    std::string from;          // the path as in the torrent, a link's target, or empty
    std::string to;            // the path it got (renamed, duplicate), else empty
    std::string reason;        // "'..' dropped", "not a string", ...
    std::string text() const;  // one line for people, e.g. "renamed 'a/../b' to 'a/b' ('..' dropped)"
};
const char* note_kind_name(Note::Kind kind) noexcept;  // "renamed", "duplicate", ... (for JSON)

struct Metainfo {
    InfoHash info_hash;       // SHA-1 of the info dictionary exactly as it stands in the file
    std::string info_bytes;   // those bytes (served later over ut_metadata)
    std::string name;         // sanitised like a path component
    bool multi_file = false;  // 'files' form: files live under the folder `name`
    std::int64_t piece_length = 0;
    std::int64_t total_size = 0;
    std::vector<crypto::Sha1Digest> piece_hashes;
    std::vector<FileEntry> files;  // in torrent order, pad files included
    bool is_private = false;
    bool hybrid = false;  // also carries BEP 52 v2 fields; loaded as v1

    std::vector<std::vector<std::string>> trackers;  // tiers: announce-list, else [[announce]]
    std::vector<std::string> url_list;               // BEP 19
    std::vector<std::string> http_seeds;             // BEP 17
    std::optional<std::int64_t> creation_date;
    std::string comment;
    std::string created_by;
    std::vector<Note> notes;  // what was renamed, skipped or ignored, in the order found

    std::uint32_t num_pieces() const { return static_cast<std::uint32_t>(piece_hashes.size()); }
    std::int64_t piece_size(std::uint32_t piece) const;  // the last piece may be shorter
};

// A whole .torrent file.
Result<Metainfo, Error> parse_torrent(std::string_view bytes);
// A bare info dictionary (as received through ut_metadata); tracker fields stay empty.
Result<Metainfo, Error> parse_info(std::string_view info_bytes);

}  // namespace bt::metainfo
