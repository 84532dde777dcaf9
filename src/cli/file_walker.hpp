#pragma once
// Finds the files `bitveil create PATH` puts into a torrent.
//
// Rules (also in `bitveil create --help`):
// - PATH a regular file: a single-file torrent named after the file.
// - PATH a folder: a multi-file torrent named after the folder (its real name for "." or ".."); every
//   regular file below it is included, hidden ones too, and empty ones too (length 0). Empty folders
//   cannot be represented in a torrent and are left out.
// - Order: depth first with the entries of each folder sorted as byte strings, which is the same as
//   sorting the paths component by component ("a/b" < "a.txt" < "b"). This is the canonical BEP 52 file
//   order that libtorrent uses; mktorrent sorts whole path strings instead ("a.txt" < "a/b"), so
//   trees where a name sorts between a folder's name and that name followed by '/' differ from it.
// - Symbolic links are followed, as libtorrent and mktorrent do: a link to a file adds that file's
//   bytes under the link's name, a link to a folder is walked. A broken link, a link that loops back
//   to a folder being walked, and anything that is neither a file nor a folder (FIFO, socket, device)
//   is an error, never skipped silently.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace bt::cli {

struct FoundFile {
    std::vector<std::string> path;  // components below the root folder; empty for a single file
    std::string disk_path;          // PATH joined with the components, to open for reading
    std::int64_t length = 0;
    dev_t device = 0;  // identity, to notice that an output file lies inside the data
    ino_t inode = 0;
};

struct FoundTree {
    std::string name;          // the torrent's name: the file's or the folder's name
    bool single_file = false;  // PATH is a file
    std::vector<FoundFile> files;
};

struct WalkError {
    std::string path;     // the file or folder concerned
    std::string message;  // e.g. "broken symbolic link"
};

Result<FoundTree, WalkError> find_files(const std::string& path);

}  // namespace bt::cli
