#pragma once
// Classifying an incoming connection from its first bytes (spec/mse.md §8): a plaintext BitTorrent
// handshake starts with the 20 bytes "\x13BitTorrent protocol"; anything else is MSE. Never decide
// from the first byte alone: a valid Ya starts with 0x13 once in 256 connections.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace bt::mse {

inline constexpr std::string_view kPlainHeader{
    "\x13"
    "BitTorrent protocol",
    20};

enum class IncomingKind : std::uint8_t {
    need_more,  // every byte so far matches the plain header, but fewer than 20 have arrived
    plaintext,  // the first 20 bytes are exactly the plain header
    encrypted,  // a byte differs from the plain header: run the MSE receiver over all the bytes
};

// Looks at (at most) the first 20 bytes and consumes nothing: the caller feeds all of them to either
// the plain handshake reader or mse::Handshake.
IncomingKind classify_incoming(std::span<const std::uint8_t> first_bytes) noexcept;

}  // namespace bt::mse
