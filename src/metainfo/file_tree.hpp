#pragma once
// The file list of a multi-file torrent, taken as a whole once each path is sanitised: files that would
// land on the same path are told apart, and BEP 47 symlinks are checked against the torrent's own files.
// Both follow libtorrent 2.0 (torrent_info::resolve_duplicate_filenames_slow() and
// file_storage::sanitize_symlinks()), so a torrent gets the same names in bitveil as in libtorrent. Paths
// are relative to the torrent root (all files share it, so leaving it out changes no comparison).
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "metainfo/metainfo.hpp"

namespace bt::metainfo::detail {

struct Renamed {
    std::size_t file;               // index into the file list
    std::vector<std::string> from;  // its path before
    std::size_t same_as;            // the file whose path it had, or `files.size()` for a folder
};

// Gives each file that clashes a path of its own, in torrent order. First every folder the paths name is
// taken; then each file keeps its path unless a folder or an earlier file has it (ASCII case ignored, as
// on case-insensitive file systems): then ".1", ".2", ... goes before its extension ("a.txt" becomes
// "a.1.txt", "README" "README.1", ".hidden" ".1.hidden"), the first number whose path is free. Two pad
// files of the same size may share a path (they are never on disk). `pathless_pad[i]` marks a pad file the
// torrent gave no path (libtorrent keeps those outside the torrent's folder): never renamed, and no other
// file is renamed for it, though its folder counts. Linear in the number of files (a repeated path resumes
// counting where the previous copy stopped).
std::vector<Renamed> resolve_duplicate_paths(std::vector<FileEntry>& files,
                                             const std::vector<bool>& pathless_pad);

struct SkippedLink {
    std::size_t file;
    std::vector<std::string> target;  // what the torrent asked for (sanitised)
};

// Keeps the symlink_target of each link that names a file or folder of the torrent: directly, relative to
// the link's own folder (then the target is rewritten from the root), or through other links of the
// torrent that do. Clears it for every other link (which is then not created) and returns those. A link
// whose target is, or goes through, a cleared link is cleared too. Work is bounded: past a budget (far
// beyond any real torrent) the links not yet shown to be good are cleared.
std::vector<SkippedLink> check_symlinks(std::vector<FileEntry>& files);

// The text of the link on disk: `target` (from the torrent root) relative to the folder of the link at
// `link` (from the root): "../../x/y". Never climbs above the root; "." for the link's own folder.
std::string relative_link_text(std::span<const std::string> link, std::span<const std::string> target);

}  // namespace bt::metainfo::detail
