#include "wire/ut_metadata.hpp"

#include <algorithm>
#include <limits>
#include <string_view>

#include "bencode/decode.hpp"

namespace bt::wire {
namespace {

// A few keys of small integers: anything larger is not a metadata message.
constexpr bencode::Limits kLimits{.max_depth = 4, .max_values = 64, .allow_unsorted_keys = true};

std::optional<std::int64_t> int_key(const bencode::Value& dict, std::string_view key) {
    const bencode::Value* v = dict.find(key);
    if (v == nullptr || v->as_int() == nullptr) return std::nullopt;
    return *v->as_int();
}

}  // namespace

std::uint32_t metadata_piece_count(std::uint64_t size) noexcept {
    return static_cast<std::uint32_t>((size + kMetadataPieceSize - 1) / kMetadataPieceSize);
}

std::uint32_t metadata_piece_size(std::uint64_t size, std::uint32_t piece) noexcept {
    const std::uint64_t begin = std::uint64_t{piece} * kMetadataPieceSize;
    if (begin >= size) return 0;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(kMetadataPieceSize, size - begin));
}

Result<MetadataMessage, std::string> decode_metadata_message(std::span<const std::uint8_t> payload) {
    const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    auto prefix = bencode::decode_prefix(text, kLimits);
    if (!prefix) return fail("ut_metadata message is not valid bencode: " + prefix.error().message());
    if (prefix->value.as_dict() == nullptr)
        return fail(std::string("ut_metadata message is not a dictionary"));
    const auto type = int_key(prefix->value, "msg_type");
    const auto piece = int_key(prefix->value, "piece");
    if (!type || *type < 0 || *type > 255) return fail(std::string("ut_metadata message without a msg_type"));
    if (!piece || *piece < 0 || *piece > std::numeric_limits<std::int32_t>::max())
        return fail(std::string("ut_metadata message without a valid piece"));
    MetadataMessage out;
    out.piece = static_cast<std::uint32_t>(*piece);
    const auto rest = payload.subspan(prefix->length);
    switch (*type) {
        case 0:
        case 2:
            out.type = *type == 0 ? MetadataMessageType::request : MetadataMessageType::reject;
            if (!rest.empty())
                return fail(std::to_string(rest.size()) + " bytes after a ut_metadata request or reject");
            return out;
        case 1: {
            const auto total = int_key(prefix->value, "total_size");
            if (!total || *total <= 0)
                return fail(std::string("ut_metadata data without a valid total_size"));
            out.type = MetadataMessageType::data;
            out.total_size = static_cast<std::uint64_t>(*total);
            out.data = rest;
            return out;
        }
        default:
            return out;  // unknown: ignored by the caller
    }
}

std::string encode_metadata_request(std::uint32_t piece) {
    return "d8:msg_typei0e5:piecei" + std::to_string(piece) + "ee";
}

std::string encode_metadata_reject(std::uint32_t piece) {
    return "d8:msg_typei2e5:piecei" + std::to_string(piece) + "ee";
}

std::string encode_metadata_data(std::uint32_t piece, std::uint64_t total_size,
                                 std::span<const std::uint8_t> data) {
    std::string out = "d8:msg_typei1e5:piecei" + std::to_string(piece) + "e10:total_sizei" +
                      std::to_string(total_size) + "ee";
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    return out;
}

}  // namespace bt::wire
