#include "core/bitfield.hpp"

#include <bit>

namespace bt {

Bitfield::Bitfield(std::uint32_t size, bool value) : bytes_((size + 7) / 8, 0), size_(size) {
    if (value) set_all();
}

std::optional<Bitfield> Bitfield::from_bytes(std::span<const std::uint8_t> bytes, std::uint32_t size) {
    if (bytes.size() != (static_cast<std::size_t>(size) + 7) / 8) return std::nullopt;
    Bitfield field(size);
    field.bytes_.assign(bytes.begin(), bytes.end());
    if (size % 8 != 0) {
        const auto spare_mask = static_cast<std::uint8_t>(0xff >> (size % 8));
        if ((field.bytes_.back() & spare_mask) != 0) return std::nullopt;
    }
    std::uint32_t count = 0;
    for (auto b : field.bytes_) count += static_cast<std::uint32_t>(std::popcount(b));
    field.count_ = count;
    return field;
}

bool Bitfield::test(PieceIndex piece) const noexcept {
    if (piece.value >= size_) return false;
    return (bytes_[piece.value / 8] & (0x80 >> (piece.value % 8))) != 0;
}

void Bitfield::set(PieceIndex piece) noexcept {
    if (piece.value >= size_ || test(piece)) return;
    bytes_[piece.value / 8] = static_cast<std::uint8_t>(bytes_[piece.value / 8] | (0x80 >> (piece.value % 8)));
    ++count_;
}

void Bitfield::reset(PieceIndex piece) noexcept {
    if (!test(piece)) return;
    bytes_[piece.value / 8] = static_cast<std::uint8_t>(bytes_[piece.value / 8] & ~(0x80 >> (piece.value % 8)));
    --count_;
}

void Bitfield::set_all() noexcept {
    for (auto& b : bytes_) b = 0xff;
    if (size_ % 8 != 0) bytes_.back() = static_cast<std::uint8_t>(0xff << (8 - size_ % 8));
    count_ = size_;
}

}  // namespace bt
