#pragma once
// Turns the path components a .torrent names into components that are safe to join under the download
// folder. The rule (applied to every component of info.files[i].path and to info.name):
//   1. a NUL byte anywhere is an error (it would cut the path short in any C API);
//   2. ".." is an error: it would climb out of the download folder;
//   3. empty components and "." are dropped (they name no folder);
//   4. '/' and '\' inside a component become '_', so one component can never become several;
//   5. a component longer than 255 bytes (the usual file system limit) is shortened to 255 bytes,
//      keeping a short extension and never cutting a UTF-8 sequence in half.
// A path left with no components is an error, and so is a whole relative path (name/a/b) longer than
// 4096 bytes. Together these mean a sanitised path, joined with '/', always stays inside the folder.
// One more rule for info.name alone, the only component that lands in the download folder itself (a
// multi-file torrent's files are under <name>/, a single-file torrent's file is <name>):
//   6. a name equal to kReservedRootName, the folder where earlier versions kept their resume records
//      (<download dir>/.bitveil/<info-hash>.resume; still read once and moved, storage/resume_store.hpp),
//      gets a '_' appended, so a torrent can neither overwrite nor delete those records nor plant one. The comparison
//      ignores ASCII case, for case-insensitive file systems (FAT, exFAT, casefolded ext4). Renaming, as
//      clients do with reserved names, keeps such a torrent usable; the info-hash is not affected.
// A `.bitveil` component deeper in a path is harmless (it is inside <name>/) and is kept.
// Conflicts between files (two identical paths, or a file that is also another file's folder) are
// found by find_path_conflict().
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace bt::metainfo::detail {

inline constexpr std::size_t kMaxComponentBytes = 255;
inline constexpr std::size_t kMaxExtensionBytes = 16;  // ".flac", ".torrent": kept when truncating
inline constexpr std::size_t kMaxPathBytes = 4096;
// Rule 6's folder; storage::kLegacyResumeFolder names the same one.
inline constexpr std::string_view kReservedRootName = ".bitveil";

enum class PathProblem : std::uint8_t {
    nul_byte,    // a component contains a NUL byte
    parent_dir,  // a component is ".."
    empty,       // nothing is left once empty and "." components are dropped
};
// e.g. "path escapes the download folder ('..')"
const char* describe(PathProblem problem) noexcept;

// One component. An empty result means "drop this component" (it was empty or ".").
Result<std::string, PathProblem> sanitize_component(std::string_view raw);
// A whole path; never returns an empty list.
Result<std::vector<std::string>, PathProblem> sanitize_path(std::span<const std::string_view> raw);

// Rule 6: whether `component` is kReservedRootName in any ASCII case.
bool is_reserved_root_name(std::string_view component) noexcept;
// Rule 6: `name` (already sanitised) with a '_' appended when is_reserved_root_name(name).
std::string rename_reserved_root(std::string name);

// Shortens `text` to at most `max_bytes`, backing off so that a UTF-8 sequence is never cut.
std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) noexcept;
// Shortens a component to kMaxComponentBytes, keeping a short extension.
std::string truncate_component(std::string_view component);

// Indices (into `paths`) of two paths that clash: equal, or the first is a folder of the second.
std::optional<std::pair<std::size_t, std::size_t>> find_path_conflict(
    std::span<const std::vector<std::string>* const> paths);

}  // namespace bt::metainfo::detail
