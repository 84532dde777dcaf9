#include "wire/message_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "wire/endian.hpp"

namespace bt::wire {
namespace {

using detail::load_u16;
using detail::load_u32;

constexpr std::uint32_t kPieceFixedLength = 9;  // id + index + begin
constexpr std::uint32_t kMaxPieceLength = kPieceFixedLength + kMaxBlockSize;

// Length prefix (id included) of messages whose size never varies; 0 for variable-size or unknown IDs.
constexpr std::uint32_t fixed_length(std::uint8_t id) noexcept {
    switch (static_cast<MessageId>(id)) {
        case MessageId::choke:
        case MessageId::unchoke:
        case MessageId::interested:
        case MessageId::not_interested:
        case MessageId::have_all:
        case MessageId::have_none:
            return 1;
        case MessageId::have:
        case MessageId::suggest_piece:
        case MessageId::allowed_fast:
            return 5;
        case MessageId::request:
        case MessageId::cancel:
        case MessageId::reject_request:
            return 13;
        case MessageId::port:
            return 3;
        case MessageId::bitfield:
        case MessageId::piece:
        case MessageId::extended:
            return 0;
    }
    return 0;
}

constexpr bool is_known(std::uint8_t id) noexcept {
    return fixed_length(id) != 0 || id == static_cast<std::uint8_t>(MessageId::bitfield) ||
           id == static_cast<std::uint8_t>(MessageId::piece) ||
           id == static_cast<std::uint8_t>(MessageId::extended);
}

std::error_code make(Errc e) noexcept {
    return make_error_code(e);
}

std::error_code check_block_length(std::uint32_t length) noexcept {
    if (length == 0) return make(Errc::empty_block);
    if (length > kMaxBlockSize) return make(Errc::request_too_large);
    return {};
}

}  // namespace

MessageReader::MessageReader(std::optional<std::uint32_t> num_pieces, std::uint32_t max_extended_payload)
    : num_pieces_(num_pieces), max_extended_payload_(max_extended_payload) {
    update_bounds();
}

void MessageReader::set_num_pieces(std::uint32_t num_pieces) {
    num_pieces_ = num_pieces;
    update_bounds();
}

void MessageReader::update_bounds() {
    constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();
    std::uint64_t bitfield_length = 1 + std::uint64_t{kMaxBitfieldBytesUnknownCount};
    if (num_pieces_) {
        const std::uint64_t bytes = (std::uint64_t{*num_pieces_} + 7) / 8;
        bitfield_bytes_ = static_cast<std::uint32_t>(bytes);
        bitfield_length = 1 + bytes;
    }
    const std::uint64_t extended_length = 2 + std::uint64_t{max_extended_payload_};
    max_length_ = static_cast<std::uint32_t>(
        std::min(kU32Max, std::max({std::uint64_t{kMaxPieceLength}, bitfield_length, extended_length})));
}

void MessageReader::set_decryptor(StreamDecryptor decryptor) {
    decryptor_ = std::move(decryptor);
}

void MessageReader::feed(std::span<const std::uint8_t> in) {
    if (in.empty()) return;
    const bool all_clear = clear_end_ == end_;
    auto dst = prepare(in.size());
    std::memcpy(dst.data(), in.data(), in.size());
    commit(in.size());
    if (all_clear) clear_end_ = end_;
}

void MessageReader::feed(std::string_view in) {
    feed(std::span(reinterpret_cast<const std::uint8_t*>(in.data()), in.size()));
}

std::span<std::uint8_t> MessageReader::prepare(std::size_t n) {
    last_frame_ = {};
    // After an error input is dropped: no need to keep it.
    if (begin_ == end_ || error_) begin_ = end_ = clear_end_ = 0;
    if (capacity_ - end_ < n && begin_ > 0) {
        // Reclaim consumed bytes: move the partial tail (less than one frame when drained) to the front.
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        clear_end_ -= begin_;
        begin_ = 0;
    }
    if (capacity_ - end_ < n) {
        // Grow geometrically for small feeds, but never past what this input needs or one maximal frame.
        const std::size_t needed = end_ + n;
        const std::size_t doubled = std::min(capacity_ * 2, std::size_t{max_length_} + kLengthPrefixSize);
        const std::size_t new_capacity = std::max({needed, doubled, std::size_t{256}});
        auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(new_capacity);
        if (end_ > 0) std::memcpy(bigger.get(), buffer_.get(), end_);
        buffer_ = std::move(bigger);
        capacity_ = new_capacity;
    }
    prepared_ = n;
    return {buffer_.get() + end_, n};
}

void MessageReader::commit(std::size_t n) {
    n = std::min(n, prepared_);
    prepared_ = 0;
    if (error_) return;  // nothing more will be parsed; keep the buffer from growing
    end_ += n;
    if (!decryptor_) clear_end_ = end_;
}

void MessageReader::decrypt_to(std::size_t end) {
    if (end <= clear_end_) return;
    const std::span<std::uint8_t> bytes(buffer_.get() + clear_end_, end - clear_end_);
    decryptor_(bytes);
    clear_end_ = end;
}

Result<ReadItem> MessageReader::fail_with(std::error_code ec) {
    error_ = ec;
    last_frame_ = {};
    return fail(ec);
}

std::error_code MessageReader::check_index(std::uint32_t index) const noexcept {
    if (num_pieces_ && index >= *num_pieces_) return make(Errc::piece_index_out_of_range);
    return {};
}

std::error_code MessageReader::check_header(std::uint32_t length, std::uint8_t id) const noexcept {
    if (const std::uint32_t fixed = fixed_length(id); fixed != 0) {
        return length == fixed ? std::error_code{} : make(Errc::bad_length_for_type);
    }
    switch (static_cast<MessageId>(id)) {
        case MessageId::bitfield:
            if (num_pieces_)
                return length - 1 == bitfield_bytes_ ? std::error_code{} : make(Errc::bad_bitfield_length);
            if (length < 2 || length - 1 > kMaxBitfieldBytesUnknownCount)
                return make(Errc::bad_bitfield_length);
            return {};
        case MessageId::piece:
            if (length < kPieceFixedLength) return make(Errc::bad_length_for_type);
            if (length == kPieceFixedLength) return make(Errc::empty_block);
            if (length > kMaxPieceLength) return make(Errc::message_too_long);
            return {};
        case MessageId::extended:
            if (length < 2) return make(Errc::bad_length_for_type);
            if (length - 2 > max_extended_payload_) return make(Errc::message_too_long);
            return {};
        default:
            return {};  // unknown IDs: bounded by max_length_ only
    }
}

Result<ReadItem> MessageReader::next() {
    if (error_) return fail(error_);
    last_frame_ = {};
    const std::size_t available = end_ - begin_;
    if (available < kLengthPrefixSize) return ReadItem{NeedMore{}};
    std::uint8_t* const frame = buffer_.get() + begin_;
    decrypt_to(begin_ + kLengthPrefixSize);
    const std::uint32_t length = load_u32(frame);
    if (length > max_length_) return fail_with(make(Errc::message_too_long));
    if (length == 0) {
        begin_ += kLengthPrefixSize;
        last_frame_ = {frame, kLengthPrefixSize};
        return ReadItem{Message{KeepAlive{}}};
    }
    if (available < kLengthPrefixSize + 1) return ReadItem{NeedMore{}};
    decrypt_to(begin_ + kLengthPrefixSize + 1);
    const std::uint8_t id = frame[kLengthPrefixSize];
    if (auto ec = check_header(length, id)) return fail_with(ec);
    const std::size_t frame_size = kLengthPrefixSize + length;
    if (available < frame_size) return ReadItem{NeedMore{}};
    decrypt_to(begin_ + frame_size);

    const std::uint8_t* p = frame + kLengthPrefixSize + 1;  // payload
    const std::uint32_t payload_size = length - 1;
    const auto u32 = [p](std::size_t at) { return load_u32(p + at); };
    std::error_code ec;
    ReadItem item{NeedMore{}};
    switch (static_cast<MessageId>(id)) {
        case MessageId::choke:
            item = Message{Choke{}};
            break;
        case MessageId::unchoke:
            item = Message{Unchoke{}};
            break;
        case MessageId::interested:
            item = Message{Interested{}};
            break;
        case MessageId::not_interested:
            item = Message{NotInterested{}};
            break;
        case MessageId::have_all:
            item = Message{HaveAll{}};
            break;
        case MessageId::have_none:
            item = Message{HaveNone{}};
            break;
        case MessageId::have:
            ec = check_index(u32(0));
            item = Message{Have{PieceIndex{u32(0)}}};
            break;
        case MessageId::suggest_piece:
            ec = check_index(u32(0));
            item = Message{SuggestPiece{PieceIndex{u32(0)}}};
            break;
        case MessageId::allowed_fast:
            ec = check_index(u32(0));
            item = Message{AllowedFast{PieceIndex{u32(0)}}};
            break;
        case MessageId::request:
        case MessageId::cancel:
        case MessageId::reject_request: {
            const PieceIndex index{u32(0)};
            const std::uint32_t begin = u32(4);
            const std::uint32_t block_length = u32(8);
            ec = check_index(index.value);
            if (!ec) ec = check_block_length(block_length);
            if (id == static_cast<std::uint8_t>(MessageId::request)) {
                item = Message{Request{index, begin, block_length}};
            } else if (id == static_cast<std::uint8_t>(MessageId::cancel)) {
                item = Message{Cancel{index, begin, block_length}};
            } else {
                item = Message{RejectRequest{index, begin, block_length}};
            }
            break;
        }
        case MessageId::piece:
            ec = check_index(u32(0));
            item = Message{Piece{PieceIndex{u32(0)}, u32(4), {p + 8, payload_size - 8}}};
            break;
        case MessageId::port:
            item = Message{Port{load_u16(p)}};
            break;
        case MessageId::bitfield:
            item = Message{Bitfield{{p, payload_size}}};
            break;
        case MessageId::extended:
            item = Message{Extended{p[0], {p + 1, payload_size - 1}}};
            break;
    }
    if (!is_known(id)) item = Unknown{id, {p, payload_size}};
    if (ec) return fail_with(ec);
    begin_ += frame_size;
    last_frame_ = {frame, frame_size};
    return item;
}

}  // namespace bt::wire
