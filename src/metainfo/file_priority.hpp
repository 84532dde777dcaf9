#pragma once
// File selection and priorities: which files of a torrent the user wants, and which first. Pure code: from
// per-file priorities to per-piece ones (a piece is as urgent as the most urgent file it holds bytes of),
// and the numbering users see (`bitveil info`, --select-file).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "metainfo/metainfo.hpp"

namespace bt::metainfo {

// Ordered: a higher value is fetched first. `skip`: not downloaded, never created on disk.
enum class FilePriority : std::uint8_t { skip = 0, low = 1, normal = 2, high = 3 };
inline constexpr std::size_t kFilePriorityLevels = 4;
const char* priority_name(FilePriority priority) noexcept;

// Per piece, the highest priority among the files it holds bytes of; pad files and empty files hold none.
// `files` has one entry per metainfo file (pad files included, their entry ignored); a missing entry counts
// as normal. A piece that touches only skipped files (or only pad bytes) is `skip`.
std::vector<FilePriority> piece_priorities(const Metainfo& metainfo, std::span<const FilePriority> files);

// The files users see and number from 1, in torrent order: every file but BEP 47 pad files.
std::vector<FileIndex> numbered_files(const Metainfo& metainfo);

// "1,3-5" (aria2's --select-file): file numbers from 1, ranges inclusive. Whitespace around items is
// allowed. The error names what is wrong ("'3-1': a range must go upwards"). Numbers are not checked against
// a torrent here (a magnet's file count is known later): see resolve_file_numbers.
std::optional<std::string> parse_file_numbers(std::string_view text, std::vector<std::uint32_t>& out);
// The metainfo files the numbers name; the error names the first number beyond the torrent's file count.
std::optional<std::string> resolve_file_numbers(const Metainfo& metainfo,
                                                std::span<const std::uint32_t> numbers,
                                                std::vector<FileIndex>& out);

// The user's choice by file numbers: `selected` (empty: every file), then `high` and `low` among them.
struct FileChoice {
    std::vector<std::uint32_t> selected;
    std::vector<std::uint32_t> high;
    std::vector<std::uint32_t> low;
    bool empty() const noexcept { return selected.empty() && high.empty() && low.empty(); }
};
// One priority per metainfo file (pad files: skip). The error names a number beyond the file count, a file
// both high and low, or a prioritised file that is not selected.
std::optional<std::string> choose_priorities(const Metainfo& metainfo, const FileChoice& choice,
                                             std::vector<FilePriority>& out);

}  // namespace bt::metainfo
