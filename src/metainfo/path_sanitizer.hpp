#pragma once
// Turns the path elements a .torrent names into components that are safe to join under the download
// folder, the way libtorrent 2.0 does (sanitize_append_path_element() in its torrent_info.cpp, on POSIX),
// so that a torrent gets the same file names in bitveil as in libtorrent. One element:
//   1. "." is dropped (it names no folder);
//   2. an empty element becomes "_";
//   3. NUL, '/' and '\' and the characters that change the direction of the text (U+200E, U+200F,
//      U+202A..U+202E: "invoice\u202Etxt.exe" shows as "invoiceexe.txt") are removed, so one element can
//      never become several nor be cut short;
//   4. another control character (U+0001..U+001F) and each invalid UTF-8 sequence become '_';
//   5. at 240 bytes the element is cut (at a character boundary) and, when it has one within its last 9
//      bytes, its extension is put back on;
//   6. what is left is dropped when it is "", "." or ".." ("/..", "\." and the like): a ".." element is
//      dropped, never followed.
// A path whose elements are all dropped becomes "_". So every component is non-empty, never "." or
// "..", holds no '/', '\' or NUL and is at most 255 bytes (an element that rule 5 leaves longer, made long
// by replacements, is cut at 255 on a character boundary; libtorrent would fail to create that file):
// joined with '/', a sanitised path always stays inside the folder. A whole relative path (name/a/b) longer
// than kMaxPathBytes is refused by the parser. One more rule for info.name alone, the only component that
// lands in the download folder itself (a multi-file torrent's files are under <name>/, a single-file
// torrent's file is <name>):
//   7. a name equal to kReservedRootName, the folder where earlier versions kept their resume records
//      (<download dir>/.bitveil/<info-hash>.resume; still read once and moved, storage/resume_store.hpp),
//      gets a '_' appended, so a torrent can neither overwrite nor delete those records nor plant one. The
//      comparison ignores ASCII case, for case-insensitive file systems (FAT, exFAT, casefolded ext4).
//      Renaming, as clients do with reserved names, keeps such a torrent usable; the info-hash is not
//      affected.
// A `.bitveil` component deeper in a path is harmless (it is inside <name>/) and is kept.
// Two files with the same path, or a file that is also another file's folder, are told apart by
// file_tree.hpp; find_path_conflict() is the final check that none is left.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bt::metainfo::detail {

inline constexpr std::size_t kMaxComponentBytes = 255;  // the usual file system limit
inline constexpr std::size_t kCutComponentAt = 240;     // rule 5 (libtorrent's figure)
inline constexpr std::size_t kMaxExtensionBytes = 9;    // rule 5: a '.' within the last 9 bytes
inline constexpr std::size_t kMaxPathBytes = 4096;
// Rule 7's folder; storage::kLegacyResumeFolder names the same one.
inline constexpr std::string_view kReservedRootName = ".bitveil";

// What sanitising changed, for the notes `bitveil info` prints. Several can hold at once.
struct PathChanges {
    bool parent_dropped = false;  // a ".." element (rule 6)
    bool dot_dropped = false;     // a "." element (rules 1, 6)
    bool empty_replaced = false;  // an empty element, or a path with nothing left, became "_"
    bool chars_removed = false;   // rule 3
    bool chars_replaced = false;  // rule 4
    bool shortened = false;       // rule 5
    bool any() const noexcept;
    // e.g. "'..' dropped, characters replaced by '_'"
    std::string describe() const;
    PathChanges& operator|=(const PathChanges& other) noexcept;
};

// One element. An empty result means "drop this element".
std::string sanitize_component(std::string_view raw, PathChanges* changes = nullptr);
// A whole path (a file's path list); never returns an empty list.
std::vector<std::string> sanitize_path(std::span<const std::string_view> raw, PathChanges* changes = nullptr);

// Rule 7: whether `component` is kReservedRootName in any ASCII case.
bool is_reserved_root_name(std::string_view component) noexcept;
// Rule 7: `name` (already sanitised) with a '_' appended when is_reserved_root_name(name).
std::string rename_reserved_root(std::string name);

// One UTF-8 sequence at the start of `text` (not empty), as libtorrent decodes it: the code point, or -1
// for an invalid sequence, and the bytes it takes (an invalid lead byte takes one byte, a sequence cut
// short by the end of the text all that is left, a bad continuation or an overlong form its whole length).
std::pair<std::int32_t, std::size_t> decode_utf8(std::string_view text) noexcept;

// Indices (into `paths`) of two paths that clash: equal, or the first is a folder of the second.
std::optional<std::pair<std::size_t, std::size_t>> find_path_conflict(
    std::span<const std::vector<std::string>* const> paths);

}  // namespace bt::metainfo::detail
