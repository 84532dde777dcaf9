#include "metainfo/path_sanitizer.hpp"

#include <algorithm>
#include <numeric>

namespace bt::metainfo::detail {

const char* describe(PathProblem problem) noexcept {
    switch (problem) {
        case PathProblem::nul_byte:
            return "contains a NUL byte";
        case PathProblem::parent_dir:
            return "path escapes the download folder ('..')";
        case PathProblem::empty:
            return "empty path";
    }
    return "invalid path";
}

std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) noexcept {
    if (text.size() <= max_bytes) return text;
    std::size_t cut = max_bytes;
    // Look back over at most 3 bytes for the lead byte of the sequence the cut falls in. Invalid UTF-8
    // (stray continuation bytes) is cut where it stands, so the result is never shortened much more.
    for (std::size_t back = 1; back <= 3 && back <= cut; ++back) {
        const auto b = static_cast<unsigned char>(text[cut - back]);
        if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
        if (b >= 0xC0) {
            const std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            if (back < len) cut -= back;  // the sequence would not fit whole
        }
        break;
    }
    return text.substr(0, cut);
}

std::string truncate_component(std::string_view component) {
    if (component.size() <= kMaxComponentBytes) return std::string(component);
    std::string_view ext;
    if (const auto dot = component.rfind('.');
        dot != std::string_view::npos && dot > 0 && component.size() - dot <= kMaxExtensionBytes) {
        ext = component.substr(dot);
    }
    std::string out(
        truncate_utf8(component.substr(0, component.size() - ext.size()), kMaxComponentBytes - ext.size()));
    out += ext;
    return out;
}

Result<std::string, PathProblem> sanitize_component(std::string_view raw) {
    if (raw.find('\0') != std::string_view::npos) return fail(PathProblem::nul_byte);
    if (raw == "..") return fail(PathProblem::parent_dir);
    if (raw.empty() || raw == ".") return std::string();
    std::string out = truncate_component(raw);
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == '/' || c == '\\'; }, '_');
    return out;
}

bool is_reserved_root_name(std::string_view component) noexcept {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return std::equal(component.begin(), component.end(), kReservedRootName.begin(), kReservedRootName.end(),
                      [&](char a, char b) { return lower(a) == b; });
}

std::string rename_reserved_root(std::string name) {
    if (is_reserved_root_name(name)) name += '_';
    return name;
}

Result<std::vector<std::string>, PathProblem> sanitize_path(std::span<const std::string_view> raw) {
    std::vector<std::string> out;
    out.reserve(raw.size());
    for (auto component : raw) {
        auto clean = sanitize_component(component);
        if (!clean) return fail(clean.error());
        if (!clean->empty()) out.push_back(std::move(*clean));
    }
    if (out.empty()) return fail(PathProblem::empty);
    return out;
}

std::optional<std::pair<std::size_t, std::size_t>> find_path_conflict(
    std::span<const std::vector<std::string>* const> paths) {
    std::vector<std::size_t> order(paths.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return *paths[a] < *paths[b] || (*paths[a] == *paths[b] && a < b);
    });
    // In lexicographic order a path sorts right before anything that extends it, so checking
    // neighbours finds every duplicate and every file that is also a folder.
    for (std::size_t i = 1; i < order.size(); ++i) {
        const auto& first = *paths[order[i - 1]];
        const auto& second = *paths[order[i]];
        if (first.size() <= second.size() && std::equal(first.begin(), first.end(), second.begin())) {
            return std::pair{order[i - 1], order[i]};
        }
    }
    return std::nullopt;
}

}  // namespace bt::metainfo::detail
