// parse_torrent must never crash or throw; whatever it accepts must satisfy Metainfo's invariants: among
// them, every path stays inside the torrent's folder and no two files land on one path, whatever was
// renamed to get there (duplicates, '..', invalid names), and a link's text never climbs out of it.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>

#include "crypto/sha1.hpp"
#include "metainfo/file_tree.hpp"
#include "metainfo/metainfo.hpp"

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

bool is_safe(const std::string& c) {
    return !c.empty() && c != "." && c != ".." && c.size() <= 255 && c.find('/') == std::string::npos &&
           c.find('\\') == std::string::npos && c.find('\0') == std::string::npos;
}

std::string lower(std::string s) {
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

// No two files on one path and no file where a folder is (ASCII case ignored); pad files are never on disk.
void check_distinct(const bt::metainfo::Metainfo& m) {
    std::unordered_set<std::string> files;
    std::unordered_set<std::string> folders;
    for (const auto& f : m.files) {
        if (f.pad) continue;
        std::string path;
        for (std::size_t i = 0; i + 1 < f.path.size(); ++i) {
            path += lower(f.path[i]);
            folders.insert(path);
            path += '/';
        }
        check(files.insert(path + lower(f.path.back())).second);
    }
    for (const auto& folder : folders) check(files.count(folder) == 0);
}

void check_link(const bt::metainfo::Metainfo& m, const bt::metainfo::FileEntry& f) {
    check(f.length == 0 && m.multi_file);
    for (const auto& c : f.symlink_target) check(is_safe(c));
    if (f.symlink_target.empty()) return;
    // The text on disk climbs at most out of the link's own folders, to the torrent's folder.
    const std::string text = bt::metainfo::detail::relative_link_text(f.path, f.symlink_target);
    std::size_t ups = 0;
    std::string_view rest = text;
    while (rest == ".." || rest.substr(0, 3) == "../") {
        ++ups;
        rest.remove_prefix(std::min<std::size_t>(3, rest.size()));
    }
    check(ups + 1 <= f.path.size());
    if (rest.empty() || rest == ".") return;
    for (std::size_t start = 0;;) {
        const auto slash = rest.find('/', start);
        check(is_safe(std::string(rest.substr(start, slash - start))));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
}

void check_invariants(const bt::metainfo::Metainfo& m) {
    check(!m.files.empty());
    check(m.total_size > 0);
    check(m.piece_length >= 16 * 1024 && (m.piece_length & (m.piece_length - 1)) == 0);
    check(m.info_hash.bytes == bt::crypto::sha1(m.info_bytes));
    check(!m.name.empty() && m.name != "." && m.name != ".." && m.name.size() <= 255);
    std::int64_t offset = 0;
    for (const auto& f : m.files) {
        check(f.length >= 0);
        check(f.offset == offset);
        offset += f.length;
        check(!f.path.empty());
        for (const auto& c : f.path) check(is_safe(c));
        if (f.symlink) check_link(m, f);
    }
    check_distinct(m);
    for (const auto& note : m.notes) check(!note.text().empty());
    check(offset == m.total_size);
    check(m.multi_file ||
          (m.files.size() == 1 && m.files[0].path.size() == 1 && m.files[0].path[0] == m.name));
    const std::int64_t pieces = m.total_size / m.piece_length + (m.total_size % m.piece_length != 0 ? 1 : 0);
    check(static_cast<std::int64_t>(m.num_pieces()) == pieces);
    std::int64_t sum = 0;
    for (std::uint32_t i = 0; i < m.num_pieces(); ++i) {
        const auto size = m.piece_size(i);
        check(size > 0 && size <= m.piece_length);
        sum += size;
    }
    check(sum == m.total_size);
    for (const auto& tier : m.trackers) {
        check(!tier.empty());
        for (const auto& url : tier) check(!url.empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = bt::metainfo::parse_torrent(input);
    if (!parsed) {
        check(!parsed.error().message().empty());
        return 0;
    }
    check_invariants(*parsed);
    // The info dictionary alone must load to the same content.
    auto again = bt::metainfo::parse_info(parsed->info_bytes);
    check(again.has_value());
    check(again->info_hash == parsed->info_hash && again->files.size() == parsed->files.size());
    return 0;
}
