#pragma once
// Torrent layouts for storage tests, built from a short list of files, and content to fill them with.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "metainfo/metainfo.hpp"
#include "storage/file_storage.hpp"

namespace bt::storage::test_support {

struct Spec {
    std::vector<std::string> path;
    std::int64_t length = 0;
    bool pad = false;
};

// The files in order, each starting where the one before ends.
inline Layout make_layout(const std::vector<Spec>& specs, std::int64_t piece_length,
                          std::vector<std::string> root) {
    Layout l;
    l.piece_length = piece_length;
    l.root = std::move(root);
    for (const auto& s : specs) {
        metainfo::FileEntry f;
        f.path = s.path;
        f.length = s.length;
        f.offset = l.total_size;
        f.pad = s.pad;
        l.total_size += s.length;
        l.files.push_back(std::move(f));
    }
    return l;
}

// Deterministic torrent content; pad ranges are zero.
inline std::vector<std::uint8_t> content(const Layout& l) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(l.total_size));
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7 + 1);
    for (const auto& f : l.files) {
        if (f.pad) std::fill_n(out.begin() + f.offset, f.length, 0);
    }
    return out;
}

}  // namespace bt::storage::test_support
