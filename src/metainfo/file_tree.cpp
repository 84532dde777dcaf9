#include "metainfo/file_tree.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace bt::metainfo::detail {

namespace {

std::string join(std::span<const std::string> components, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) out += '/';
        out += components[i];
    }
    return out;
}

std::string join(std::span<const std::string> components) {
    return join(components, components.size());
}

std::string lower(std::string s) {
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto slash = path.find('/', start);
        out.push_back(path.substr(start, slash - start));
        if (slash == std::string::npos) return out;
        start = slash + 1;
    }
}

constexpr std::size_t kFolder = static_cast<std::size_t>(-1);

}  // namespace

std::vector<Renamed> resolve_duplicate_paths(std::vector<FileEntry>& files,
                                             const std::vector<bool>& pathless_pad) {
    // Lower-cased path -> the file that has it, or kFolder.
    std::unordered_map<std::string, std::size_t> taken;
    taken.reserve(files.size() * 2);
    for (const auto& f : files) {
        for (std::size_t n = 1; n < f.path.size(); ++n) taken.emplace(lower(join(f.path, n)), kFolder);
    }
    std::unordered_map<std::string, unsigned> last_number;  // lower-cased path -> the last ".N" it was given
    std::vector<Renamed> renamed;
    for (std::size_t i = 0; i < files.size(); ++i) {
        auto& f = files[i];
        if (i < pathless_pad.size() && pathless_pad[i]) continue;
        const std::string key = lower(join(f.path));
        const auto [it, fresh] = taken.emplace(key, i);
        if (fresh) continue;
        const std::size_t other = it->second;
        if (other != kFolder && f.pad && files[other].pad && f.length == files[other].length) continue;

        std::string& leaf = f.path.back();
        const auto dot = leaf.rfind('.');
        const std::string stem = dot == std::string::npos ? leaf : leaf.substr(0, dot);
        const std::string ext = dot == std::string::npos ? std::string() : leaf.substr(dot);
        const std::string folder = f.path.size() > 1 ? join(f.path, f.path.size() - 1) + "/" : std::string();
        unsigned& number = last_number[key];
        std::string candidate;
        do {
            ++number;
            candidate = stem + "." + std::to_string(number) + ext;
        } while (!taken.emplace(lower(folder + candidate), i).second);
        renamed.push_back({i, f.path, other == kFolder ? files.size() : other});
        leaf = std::move(candidate);
    }
    return renamed;
}

std::vector<SkippedLink> check_symlinks(std::vector<FileEntry>& files) {
    const bool any = std::any_of(files.begin(), files.end(),
                                 [](const FileEntry& f) { return f.symlink && !f.symlink_target.empty(); });
    if (!any) return {};

    std::unordered_map<std::string, std::size_t> file_at;  // path -> the first file with it
    std::unordered_set<std::string> folders;               // every folder the paths name
    std::unordered_set<std::string> parents;               // the folders that hold a file ("" the root)
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& path = files[i].path;
        file_at.emplace(join(path), i);
        parents.insert(join(path, path.size() - 1));
        for (std::size_t n = 1; n < path.size(); ++n) folders.insert(join(path, n));
    }
    const auto is_link = [&](std::size_t i) { return files[i].symlink && !files[i].symlink_target.empty(); };

    // A link's own path -> its target, for the links a path may go through (libtorrent's "dir_links").
    std::unordered_map<std::string, std::string> through;
    std::vector<std::size_t> links;
    std::vector<std::size_t> unresolved;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (!is_link(i)) continue;
        auto& f = files[i];
        links.push_back(i);
        const std::string self = join(f.path);
        const std::string target = join(f.symlink_target);
        if (auto it = file_at.find(target); it != file_at.end()) {
            if (is_link(it->second)) through[self] = target;
            continue;
        }
        if (folders.count(target) != 0) {
            through[self] = target;
            continue;
        }
        // Relative to the link's own folder (libtorrent accepts that too, for older torrents).
        const std::string folder = join(f.path, f.path.size() - 1);
        const std::string beside = folder.empty() ? target : folder + "/" + target;
        if (parents.count(beside) != 0 || folders.count(beside) != 0) {
            f.symlink_target = split(beside);
            through[self] = beside;
            continue;
        }
        if (auto it = file_at.find(beside); it != file_at.end()) {
            f.symlink_target = split(beside);
            if (is_link(it->second)) through[self] = beside;
            continue;
        }
        through[self] = target;
        unresolved.push_back(i);
    }

    std::vector<bool> skipped(files.size(), false);
    std::size_t budget = std::size_t{1} << 24;  // bytes of paths looked at, over every call
    // Whether `target` names a file or folder of the torrent, following the links in `through` on the way
    // and, when it names a link, that link's target: never round in a circle.
    const auto resolves = [&](std::string target) -> bool {
        std::unordered_set<std::string> followed;
        std::unordered_set<std::size_t> visited;
        for (;;) {
            std::size_t end = target.find('/');
            while (end != std::string::npos) {
                if (budget <= target.size()) return false;
                budget -= target.size() + 1;
                const std::string branch = target.substr(0, end);
                if (folders.count(branch) != 0) {
                    end = target.find('/', end + 1);
                    continue;
                }
                const auto link = through.find(branch);
                if (link == through.end() || !followed.insert(branch).second) return false;
                target = link->second + target.substr(end);
                end = target.find('/');
            }
            if (budget <= target.size()) return false;
            budget -= target.size() + 1;
            if (folders.count(target) != 0) return true;
            const auto it = file_at.find(target);
            if (it == file_at.end() || skipped[it->second] || !visited.insert(it->second).second)
                return false;
            if (!is_link(it->second)) return true;
            target = join(files[it->second].symlink_target);
        }
    };
    for (std::size_t i : unresolved) {
        if (!resolves(join(files[i].symlink_target))) skipped[i] = true;
    }
    // A link to, or through, a skipped link is skipped too; repeat until nothing changes.
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t i : links) {
            if (skipped[i]) through.erase(join(files[i].path));
        }
        for (std::size_t i : links) {
            if (skipped[i] || resolves(join(files[i].symlink_target))) continue;
            skipped[i] = true;
            changed = true;
        }
    }

    std::vector<SkippedLink> out;
    for (std::size_t i : links) {
        if (!skipped[i]) continue;
        out.push_back({i, std::move(files[i].symlink_target)});
        files[i].symlink_target.clear();
    }
    return out;
}

std::string relative_link_text(std::span<const std::string> link, std::span<const std::string> target) {
    const std::size_t depth = link.empty() ? 0 : link.size() - 1;  // folders between the root and the link
    std::size_t common = 0;
    while (common < depth && common < target.size() && link[common] == target[common]) ++common;
    std::string out;
    for (std::size_t i = common; i < depth; ++i) out += "../";
    for (std::size_t i = common; i < target.size(); ++i) {
        out += target[i];
        out += '/';
    }
    if (out.empty()) return ".";
    out.pop_back();
    return out;
}

}  // namespace bt::metainfo::detail
