#pragma once
// Strong index types: a piece index cannot be passed where a file index is expected.
#include <compare>
#include <cstdint>
#include <functional>

namespace bt {

template <class Tag>
struct StrongId {
    std::uint32_t value = 0;
    constexpr StrongId() = default;
    constexpr explicit StrongId(std::uint32_t v) : value(v) {}
    friend constexpr auto operator<=>(StrongId, StrongId) = default;
};

using PieceIndex = StrongId<struct PieceIndexTag>;
using FileIndex = StrongId<struct FileIndexTag>;

}  // namespace bt

template <class Tag>
struct std::hash<bt::StrongId<Tag>> {
    std::size_t operator()(bt::StrongId<Tag> id) const noexcept { return std::hash<std::uint32_t>{}(id.value); }
};
