#pragma once
// The metadata extension's messages (BEP 9, ut_metadata), sent as extended messages (BEP 10) with the id
// the receiver chose. https://www.bittorrent.org/beps/bep_0009.html
//
// Each payload is a bencoded dictionary; a 'data' message is followed by the metadata piece itself:
//   {'msg_type': 0, 'piece': 0}                                  request
//   {'msg_type': 1, 'piece': 0, 'total_size': 3425} + piece bytes  data
//   {'msg_type': 2, 'piece': 0}                                  reject
// "The metadata is handled in blocks of 16KiB (16384 Bytes)"; every piece is that size but the last.
// Decoding is strict about what we act on (the type, the piece, the size of a data message) and ignores
// other keys, as BEP 10 asks; unknown message types are reported, not errors ("In order to support future
// extensability, an unrecognized message ID MUST be ignored").
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/result.hpp"

namespace bt::wire {

inline constexpr std::uint32_t kMetadataPieceSize = 16 * 1024;
inline constexpr const char* kMetadataExtensionName = "ut_metadata";

enum class MetadataMessageType : std::uint8_t { request = 0, data = 1, reject = 2, unknown = 255 };

struct MetadataMessage {
    MetadataMessageType type = MetadataMessageType::unknown;
    std::uint32_t piece = 0;
    std::optional<std::uint64_t> total_size;  // 'total_size' of a data message
    std::span<const std::uint8_t> data;       // the bytes after the dictionary (data only)
};

// The number of pieces of metadata `size` bytes long, and the size of piece `piece` of it.
std::uint32_t metadata_piece_count(std::uint64_t size) noexcept;
std::uint32_t metadata_piece_size(std::uint64_t size, std::uint32_t piece) noexcept;

// A one-line reason when the payload is not a metadata message: not a bencoded dictionary, no integer
// msg_type or piece (or out of range), a data message without total_size, bytes after a request or reject.
Result<MetadataMessage, std::string> decode_metadata_message(std::span<const std::uint8_t> payload);

std::string encode_metadata_request(std::uint32_t piece);
std::string encode_metadata_reject(std::uint32_t piece);
// The dictionary and the piece's bytes.
std::string encode_metadata_data(std::uint32_t piece, std::uint64_t total_size,
                                 std::span<const std::uint8_t> data);

}  // namespace bt::wire
