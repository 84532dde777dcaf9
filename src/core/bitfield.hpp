#pragma once
// A fixed-size set of pieces, stored as in the wire BITFIELD message: piece 0 is the high bit of byte 0.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/ids.hpp"

namespace bt {

class Bitfield {
public:
    Bitfield() = default;
    explicit Bitfield(std::uint32_t size, bool value = false);
    // From wire bytes; nullopt when the byte count is wrong or spare bits past `size` are set (BEP 3).
    static std::optional<Bitfield> from_bytes(std::span<const std::uint8_t> bytes, std::uint32_t size);

    std::uint32_t size() const noexcept { return size_; }
    std::uint32_t count() const noexcept { return count_; }
    bool all() const noexcept { return count_ == size_; }
    bool none() const noexcept { return count_ == 0; }

    bool test(PieceIndex piece) const noexcept;
    void set(PieceIndex piece) noexcept;
    void reset(PieceIndex piece) noexcept;
    void set_all() noexcept;

    std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
    friend bool operator==(const Bitfield& a, const Bitfield& b) { return a.size_ == b.size_ && a.bytes_ == b.bytes_; }

private:
    std::vector<std::uint8_t> bytes_;
    std::uint32_t size_ = 0;
    std::uint32_t count_ = 0;
};

}  // namespace bt
