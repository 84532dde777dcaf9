#include "wire/message.hpp"

#include <cstring>

#include "wire/endian.hpp"

namespace bt::wire {
namespace {

using detail::store_u16;
using detail::store_u32;

// Per-type wire facts: ID, payload size (after the ID byte) and payload writer.
struct Traits {
    static constexpr MessageId id(Choke) { return MessageId::choke; }
    static constexpr MessageId id(Unchoke) { return MessageId::unchoke; }
    static constexpr MessageId id(Interested) { return MessageId::interested; }
    static constexpr MessageId id(NotInterested) { return MessageId::not_interested; }
    static constexpr MessageId id(const Have&) { return MessageId::have; }
    static constexpr MessageId id(const Bitfield&) { return MessageId::bitfield; }
    static constexpr MessageId id(const Request&) { return MessageId::request; }
    static constexpr MessageId id(const Piece&) { return MessageId::piece; }
    static constexpr MessageId id(const Cancel&) { return MessageId::cancel; }
    static constexpr MessageId id(const Port&) { return MessageId::port; }
    static constexpr MessageId id(HaveAll) { return MessageId::have_all; }
    static constexpr MessageId id(HaveNone) { return MessageId::have_none; }
    static constexpr MessageId id(const SuggestPiece&) { return MessageId::suggest_piece; }
    static constexpr MessageId id(const RejectRequest&) { return MessageId::reject_request; }
    static constexpr MessageId id(const AllowedFast&) { return MessageId::allowed_fast; }
    static constexpr MessageId id(const Extended&) { return MessageId::extended; }

    template <class T>
    static std::size_t payload_size(const T&) {
        return 0;
    }
    static std::size_t payload_size(const Have&) { return 4; }
    static std::size_t payload_size(const Bitfield& m) { return m.bytes.size(); }
    static std::size_t payload_size(const Request&) { return 12; }
    static std::size_t payload_size(const Piece& m) { return 8 + m.block.size(); }
    static std::size_t payload_size(const Cancel&) { return 12; }
    static std::size_t payload_size(const Port&) { return 2; }
    static std::size_t payload_size(const SuggestPiece&) { return 4; }
    static std::size_t payload_size(const RejectRequest&) { return 12; }
    static std::size_t payload_size(const AllowedFast&) { return 4; }
    static std::size_t payload_size(const Extended& m) { return 1 + m.payload.size(); }

    template <class T>
    static std::uint8_t* write_payload(const T&, std::uint8_t* p) {
        return p;
    }
    static std::uint8_t* write_payload(const Have& m, std::uint8_t* p) { return store_u32(p, m.index.value); }
    static std::uint8_t* write_payload(const Bitfield& m, std::uint8_t* p) { return copy(m.bytes, p); }
    static std::uint8_t* write_payload(const Request& m, std::uint8_t* p) { return triple(m, p); }
    static std::uint8_t* write_payload(const Piece& m, std::uint8_t* p) {
        p = store_u32(p, m.index.value);
        p = store_u32(p, m.begin);
        return copy(m.block, p);
    }
    static std::uint8_t* write_payload(const Cancel& m, std::uint8_t* p) { return triple(m, p); }
    static std::uint8_t* write_payload(const Port& m, std::uint8_t* p) { return store_u16(p, m.port); }
    static std::uint8_t* write_payload(const SuggestPiece& m, std::uint8_t* p) {
        return store_u32(p, m.index.value);
    }
    static std::uint8_t* write_payload(const RejectRequest& m, std::uint8_t* p) { return triple(m, p); }
    static std::uint8_t* write_payload(const AllowedFast& m, std::uint8_t* p) {
        return store_u32(p, m.index.value);
    }
    static std::uint8_t* write_payload(const Extended& m, std::uint8_t* p) {
        *p++ = m.id;
        return copy(m.payload, p);
    }

  private:
    static std::uint8_t* copy(std::span<const std::uint8_t> bytes, std::uint8_t* p) {
        if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
        return p + bytes.size();
    }
    template <class T>
    static std::uint8_t* triple(const T& m, std::uint8_t* p) {
        p = store_u32(p, m.index.value);
        p = store_u32(p, m.begin);
        return store_u32(p, m.length);
    }
};

}  // namespace

std::optional<MessageId> id_of(const Message& m) noexcept {
    return std::visit(
        [](const auto& msg) -> std::optional<MessageId> {
            if constexpr (std::is_same_v<std::decay_t<decltype(msg)>, KeepAlive>) {
                return std::nullopt;
            } else {
                return Traits::id(msg);
            }
        },
        m);
}

std::string_view name_of(const Message& m) noexcept {
    static constexpr std::string_view kNames[] = {
        "keep-alive", "choke",         "unchoke",        "interested",   "not-interested", "have",
        "bitfield",   "request",       "piece",          "cancel",       "port",           "have-all",
        "have-none",  "suggest-piece", "reject-request", "allowed-fast", "extended"};
    static_assert(std::size(kNames) == std::variant_size_v<Message>);
    return kNames[m.index()];
}

std::size_t encoded_size(const Message& m) noexcept {
    return std::visit(
        [](const auto& msg) -> std::size_t {
            if constexpr (std::is_same_v<std::decay_t<decltype(msg)>, KeepAlive>) {
                return kLengthPrefixSize;
            } else {
                return kLengthPrefixSize + 1 + Traits::payload_size(msg);
            }
        },
        m);
}

std::uint8_t* encode_to(const Message& m, std::uint8_t* out) noexcept {
    return std::visit(
        [out](const auto& msg) -> std::uint8_t* {
            if constexpr (std::is_same_v<std::decay_t<decltype(msg)>, KeepAlive>) {
                return store_u32(out, 0);
            } else {
                std::uint8_t* p = store_u32(out, static_cast<std::uint32_t>(1 + Traits::payload_size(msg)));
                *p++ = static_cast<std::uint8_t>(Traits::id(msg));
                return Traits::write_payload(msg, p);
            }
        },
        m);
}

std::vector<std::uint8_t> to_bytes(const Message& m) {
    std::vector<std::uint8_t> out;
    encode(m, out);
    return out;
}

std::array<std::uint8_t, kPieceHeaderSize> encode_piece_header(PieceIndex index, std::uint32_t begin,
                                                               std::uint32_t block_length) noexcept {
    std::array<std::uint8_t, kPieceHeaderSize> out{};
    std::uint8_t* p = store_u32(out.data(), 9 + block_length);
    *p++ = static_cast<std::uint8_t>(MessageId::piece);
    p = store_u32(p, index.value);
    store_u32(p, begin);
    return out;
}

}  // namespace bt::wire
