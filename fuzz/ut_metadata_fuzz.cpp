// BEP 9 ut_metadata fuzz target: the input is the payload of a ut_metadata extended message (the bytes
// after the extended id). Oracles:
//   - decoding never crashes or throws; an error says why;
//   - a decoded message is in range (piece within int32, a data message with a positive total_size) and
//     its data is the tail of the payload, present only in a data message;
//   - encoding the decoded message and decoding that gives the same message back;
//   - for a data message's total_size, the piece sizes (metadata_piece_count / metadata_piece_size) add
//     up to it, every piece but the last is 16 KiB, and a piece past the end has size 0.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>

#include "wire/ut_metadata.hpp"

namespace {

using bt::wire::MetadataMessage;
using bt::wire::MetadataMessageType;

void check(bool ok) {
    if (!ok) std::abort();
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void check_same(const MetadataMessage& a, const MetadataMessage& b) {
    check(a.type == b.type);
    check(a.piece == b.piece);
    check(a.total_size == b.total_size);
    check(a.data.size() == b.data.size());
    check(std::equal(a.data.begin(), a.data.end(), b.data.begin()));
}

void check_piece_sizes(std::uint64_t total) {
    // The count fits in 32 bits only for sizes below 2^46 (64 Ti); a metadata_size that large is refused
    // by whoever fetches long before this matters.
    if (total > (std::uint64_t{1} << 40)) return;
    const std::uint32_t count = bt::wire::metadata_piece_count(total);
    check(count >= 1);
    const std::uint32_t last = bt::wire::metadata_piece_size(total, count - 1);
    check(last >= 1 && last <= bt::wire::kMetadataPieceSize);
    check(std::uint64_t{count - 1} * bt::wire::kMetadataPieceSize + last == total);
    if (count > 1) check(bt::wire::metadata_piece_size(total, 0) == bt::wire::kMetadataPieceSize);
    check(bt::wire::metadata_piece_size(total, count) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> payload(data, size);
    auto decoded = bt::wire::decode_metadata_message(payload);
    if (!decoded) {
        check(!decoded.error().empty());
        return 0;
    }
    const MetadataMessage& m = *decoded;
    check(m.piece <= static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max()));
    std::string encoded;
    switch (m.type) {
        case MetadataMessageType::request:
        case MetadataMessageType::reject:
            check(m.data.empty());
            check(!m.total_size);
            encoded = m.type == MetadataMessageType::request ? bt::wire::encode_metadata_request(m.piece)
                                                             : bt::wire::encode_metadata_reject(m.piece);
            break;
        case MetadataMessageType::data:
            check(m.total_size.has_value() && *m.total_size >= 1);
            // The piece's bytes are what follows the dictionary: the end of the payload.
            check(m.data.size() <= size);
            check(m.data.empty() || m.data.data() + m.data.size() == data + size);
            check_piece_sizes(*m.total_size);
            encoded = bt::wire::encode_metadata_data(m.piece, *m.total_size, m.data);
            break;
        case MetadataMessageType::unknown:
            check(m.data.empty());
            return 0;  // ignored by the receiver: nothing to encode
    }
    auto again = bt::wire::decode_metadata_message(bytes_of(encoded));
    check(again.has_value());
    check_same(m, *again);
    return 0;
}
