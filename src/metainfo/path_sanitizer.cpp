#include "metainfo/path_sanitizer.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <numeric>

namespace bt::metainfo::detail {

namespace {

// Rule 3: NUL, '/', '\' and the code points that change the direction of the text.
bool is_removed(std::int32_t cp) noexcept {
    constexpr std::array<std::int32_t, 7> kDirection = {0x202a, 0x202b, 0x202c, 0x202d,
                                                        0x202e, 0x200e, 0x200f};
    return cp == 0 || cp == '/' || cp == '\\' ||
           std::find(kDirection.begin(), kDirection.end(), cp) != kDirection.end();
}

// The bytes of a UTF-8 sequence its lead byte announces: 0 for a byte that cannot start one. A lead of the
// old 5-byte form still takes 5 bytes (libtorrent skips them together).
std::size_t sequence_length(unsigned char b) noexcept {
    if (b < 0x80) return 1;
    if ((b >> 5) == 0b110) return 2;
    if ((b >> 4) == 0b1110) return 3;
    if ((b >> 3) == 0b11110) return 4;
    if ((b >> 2) == 0b111110) return 5;
    return 0;
}

}  // namespace

bool PathChanges::any() const noexcept {
    return parent_dropped || dot_dropped || empty_replaced || chars_removed || chars_replaced || shortened;
}

PathChanges& PathChanges::operator|=(const PathChanges& other) noexcept {
    parent_dropped = parent_dropped || other.parent_dropped;
    dot_dropped = dot_dropped || other.dot_dropped;
    empty_replaced = empty_replaced || other.empty_replaced;
    chars_removed = chars_removed || other.chars_removed;
    chars_replaced = chars_replaced || other.chars_replaced;
    shortened = shortened || other.shortened;
    return *this;
}

std::string PathChanges::describe() const {
    std::string out;
    const auto add = [&](bool on, const char* what) {
        if (!on) return;
        if (!out.empty()) out += ", ";
        out += what;
    };
    add(parent_dropped, "'..' dropped");
    add(dot_dropped, "'.' dropped");
    add(empty_replaced, "empty name replaced by '_'");
    add(chars_removed, "NUL, '/', '\\' or direction marks removed");
    add(chars_replaced, "control characters or invalid UTF-8 replaced by '_'");
    add(shortened, "shortened");
    return out;
}

std::pair<std::int32_t, std::size_t> decode_utf8(std::string_view text) noexcept {
    if (text.empty()) return {-1, 0};
    const auto lead = static_cast<unsigned char>(text[0]);
    const std::size_t len = sequence_length(lead);
    if (len == 1) return {lead, 1};
    if (len == 0) return {-1, 1};
    if (len > 4 || len > text.size()) return {-1, std::min(len, text.size())};
    std::int32_t cp = lead & (0x7f >> len);
    for (std::size_t i = 1; i < len; ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        if ((b & 0xc0) != 0x80) return {-1, len};
        cp = (cp << 6) | (b & 0x3f);
    }
    constexpr std::array<std::int32_t, 5> kSmallest = {0, 0, 0x80, 0x800,
                                                       0x10000};  // shorter forms: overlong
    if (cp < kSmallest[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return {-1, len};
    return {cp, len};
}

std::string sanitize_component(std::string_view raw, PathChanges* changes) {
    PathChanges seen;
    if (raw == ".") {
        seen.dot_dropped = true;
        if (changes != nullptr) *changes |= seen;
        return {};
    }
    if (raw.empty()) {
        seen.empty_replaced = true;
        if (changes != nullptr) *changes |= seen;
        return "_";
    }
    std::string out;
    out.reserve(std::min(raw.size(), kMaxComponentBytes));
    std::size_t dots = 0;
    bool extension_kept = false;
    std::size_t step = 0;
    for (std::size_t i = 0; i < raw.size(); i += step) {
        const auto [cp, len] = decode_utf8(raw.substr(i));
        step = len;
        if (cp >= 0 && is_removed(cp)) {
            seen.chars_removed = true;
            continue;
        }
        if (cp < 0x20) {  // invalid (-1) or a control character
            seen.chars_replaced = true;
            out += '_';
            continue;
        }
        out.append(raw.substr(i, len));
        if (cp == '.') ++dots;
        if (out.size() < kCutComponentAt || extension_kept) continue;
        // Rule 5: the element is cut here; an extension in its last bytes goes on after the cut.
        const auto size = static_cast<std::ptrdiff_t>(raw.size());
        std::ptrdiff_t dot = -1;
        const std::ptrdiff_t stop = std::max(size - static_cast<std::ptrdiff_t>(kMaxExtensionBytes) - 1,
                                             static_cast<std::ptrdiff_t>(i));
        for (std::ptrdiff_t j = size - 1; j > stop; --j) {
            if (raw[static_cast<std::size_t>(j)] == '.') {
                dot = j;
                break;
            }
        }
        if (i + len < raw.size() && (dot < 0 || static_cast<std::size_t>(dot) > i + len))
            seen.shortened = true;
        if (dot < 0) break;
        extension_kept = true;
        step = static_cast<std::size_t>(dot) - i;  // the next character read is the '.'
    }
    if (out.size() > kMaxComponentBytes) {
        // Only replacements ('_' for invalid bytes) can take it past rule 5's cut; libtorrent would keep the
        // name and then fail to create the file. `out` is valid UTF-8: cut before a sequence's first byte.
        std::size_t cut = kMaxComponentBytes;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
        out.resize(cut);
        seen.shortened = true;
    }
    if (out.size() == dots && dots <= 2) {  // "", "." or ".." once the rest is removed
        if (dots == 2) seen.parent_dropped = true;
        if (dots == 1) seen.dot_dropped = true;
        out.clear();
    }
    if (changes != nullptr) *changes |= seen;
    return out;
}

std::vector<std::string> sanitize_path(std::span<const std::string_view> raw, PathChanges* changes) {
    std::vector<std::string> out;
    out.reserve(raw.size());
    for (auto element : raw) {
        std::string clean = sanitize_component(element, changes);
        if (!clean.empty()) out.push_back(std::move(clean));
    }
    if (out.empty()) {
        if (changes != nullptr) changes->empty_replaced = true;
        out.emplace_back("_");
    }
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
