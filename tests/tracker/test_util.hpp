#pragma once
// Helpers shared by the tracker tests.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/hex.hpp"

namespace bt::tracker::test {

// Hex with optional spaces (to lay packets out field by field) -> bytes.
inline std::vector<std::uint8_t> hex(std::string_view text) {
    std::string compact;
    for (char c : text) {
        if (c != ' ') compact.push_back(c);
    }
    auto bytes = from_hex(compact);
    if (!bytes) throw std::invalid_argument("bad hex in test: " + compact);
    return *bytes;
}

inline std::string hex_of(std::string_view text) {
    return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace bt::tracker::test
