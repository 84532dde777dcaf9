#include "metainfo/file_priority.hpp"

#include <algorithm>
#include <charconv>

namespace bt::metainfo {

const char* priority_name(FilePriority priority) noexcept {
    switch (priority) {
        case FilePriority::skip:
            return "skip";
        case FilePriority::low:
            return "low";
        case FilePriority::normal:
            return "normal";
        case FilePriority::high:
            return "high";
    }
    return "?";
}

std::vector<FilePriority> piece_priorities(const Metainfo& metainfo, std::span<const FilePriority> files) {
    const std::uint32_t pieces = metainfo.num_pieces();
    std::vector<FilePriority> out(pieces, FilePriority::skip);
    if (metainfo.piece_length <= 0) return out;
    for (std::size_t i = 0; i < metainfo.files.size(); ++i) {
        const auto& f = metainfo.files[i];
        if (f.pad || f.length <= 0) continue;
        const FilePriority p = i < files.size() ? files[i] : FilePriority::normal;
        if (p == FilePriority::skip) continue;
        const auto first = static_cast<std::uint64_t>(f.offset / metainfo.piece_length);
        const auto last = static_cast<std::uint64_t>((f.offset + f.length - 1) / metainfo.piece_length);
        for (std::uint64_t k = first; k <= last && k < pieces; ++k) out[k] = std::max(out[k], p);
    }
    return out;
}

std::vector<FileIndex> numbered_files(const Metainfo& metainfo) {
    std::vector<FileIndex> out;
    for (std::uint32_t i = 0; i < metainfo.files.size(); ++i) {
        if (!metainfo.files[i].pad) out.push_back(FileIndex{i});
    }
    return out;
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<std::uint32_t> parse_number(std::string_view s) {
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || n == 0) return std::nullopt;
    return n;
}

// Bounds the work a hostile list can ask for ("1-4000000000").
constexpr std::uint64_t kMaxListedFiles = std::uint64_t{1} << 22;

}  // namespace

std::optional<std::string> parse_file_numbers(std::string_view text, std::vector<std::uint32_t>& out) {
    out.clear();
    if (trim(text).empty()) return "no file numbers given";
    std::uint64_t listed = 0;
    while (true) {
        const auto comma = text.find(',');
        const std::string_view item = trim(text.substr(0, comma));
        const auto dash = item.find('-');
        const auto first = parse_number(trim(item.substr(0, dash)));
        const auto last = dash == std::string_view::npos ? first : parse_number(trim(item.substr(dash + 1)));
        if (!first || !last) {
            return "'" + std::string(item) + "': expected a file number from 1, or a range such as 3-5";
        }
        if (*last < *first) return "'" + std::string(item) + "': a range must go upwards";
        listed += *last - *first + 1;
        if (listed > kMaxListedFiles) return "too many files listed";
        for (std::uint32_t n = *first;; ++n) {
            out.push_back(n);
            if (n == *last) break;
        }
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return std::nullopt;
}

std::optional<std::string> resolve_file_numbers(const Metainfo& metainfo,
                                                std::span<const std::uint32_t> numbers,
                                                std::vector<FileIndex>& out) {
    out.clear();
    const auto files = numbered_files(metainfo);
    for (const std::uint32_t n : numbers) {
        if (n == 0 || n > files.size()) {
            return "file " + std::to_string(n) + ": the torrent has " + std::to_string(files.size()) +
                   (files.size() == 1 ? " file" : " files") + " (bitveil info lists them)";
        }
        out.push_back(files[n - 1]);
    }
    return std::nullopt;
}

std::optional<std::string> choose_priorities(const Metainfo& metainfo, const FileChoice& choice,
                                             std::vector<FilePriority>& out) {
    out.assign(metainfo.files.size(), FilePriority::normal);
    for (std::size_t i = 0; i < metainfo.files.size(); ++i) {
        if (metainfo.files[i].pad) out[i] = FilePriority::skip;
    }
    std::vector<FileIndex> files;
    if (!choice.selected.empty()) {
        if (auto e = resolve_file_numbers(metainfo, choice.selected, files)) return e;
        std::vector<FilePriority> chosen(metainfo.files.size(), FilePriority::skip);
        for (const FileIndex f : files) chosen[f.value] = FilePriority::normal;
        out = std::move(chosen);
    }
    const auto contains = [](const std::vector<std::uint32_t>& list, std::uint32_t n) {
        return std::binary_search(list.begin(), list.end(), n);
    };
    for (const auto& [list, priority] :
         {std::pair{&choice.high, FilePriority::high}, std::pair{&choice.low, FilePriority::low}}) {
        if (auto e = resolve_file_numbers(metainfo, *list, files)) return e;
        for (std::size_t k = 0; k < files.size(); ++k) {
            const std::uint32_t n = (*list)[k];
            if (priority == FilePriority::low && contains(choice.high, n)) {
                return "file " + std::to_string(n) + " is given both high and low priority";
            }
            if (out[files[k].value] == FilePriority::skip) {
                return "file " + std::to_string(n) + " has a priority but is not selected";
            }
            out[files[k].value] = priority;
        }
    }
    return std::nullopt;
}

}  // namespace bt::metainfo
