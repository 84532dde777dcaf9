#pragma once
// Framing and decoding of the peer-wire message stream (everything after the handshake).
//
//   MessageReader reader(num_pieces);
//   reader.feed(bytes_from_socket);          // any split: 1 byte, half a message, many messages
//   for (;;) {
//       auto item = reader.next();
//       if (!item) { /* protocol error: close the connection (item.error() is a wire::Errc) */ }
//       if (std::holds_alternative<NeedMore>(*item)) break;
//       if (auto* m = std::get_if<Message>(&*item)) handle(*m);  // else Unknown: count and ignore
//   }
//
// Bounds (checked on the length prefix, before the frame is buffered; the peer cannot make the reader
// allocate more than one maximal frame):
//   - a fixed-size message must have exactly its size (HAVE = 5, REQUEST = 13, CHOKE = 1, ...);
//   - PIECE carries 1 .. 16 KiB of block data (kMaxBlockSize);
//   - BITFIELD is exactly ceil(num_pieces / 8) bytes; while the piece count is unknown (a magnet link
//     before the metadata arrived) it is 1 .. kMaxBitfieldBytesUnknownCount bytes;
//   - EXTENDED carries at most `max_extended_payload` bytes after its extended id;
//   - an unknown message ID is skipped (BEP 3: "messages with an unknown ID should be ignored") and
//     reported as Unknown if its length is within max_frame_length(); longer ones are errors.
// Once the whole frame is there the reader also checks:
//   - piece indices (HAVE, REQUEST, CANCEL, PIECE, SUGGEST, REJECT, ALLOWED_FAST) < num_pieces, when known;
//   - REQUEST / CANCEL / REJECT lengths in 1 .. 16 KiB.
// Left to the caller, who knows more: whether a block lies inside its piece (needs piece sizes), spare
// bits of a bitfield (bt::Bitfield::from_bytes), message order (BITFIELD only first), and whether the
// fast extension / extension protocol were negotiated before their messages arrive (BEP 6, BEP 10).
//
// Lifetime of views: the spans inside a returned Message / Unknown and last_frame() point into the
// reader's buffer and stay valid until the next non-const call (feed, prepare, commit, next, set_num_pieces).
//
// Memory: the buffer is allocated lazily and grows only as input arrives. A caller that drains next()
// until NeedMore before feeding again holds at most one partial frame, so the buffer never exceeds
// max_frame_length() + 4 + the size of one feed. No allocation happens per message once the buffer has
// grown to its working size; consumed bytes are reclaimed by moving the partial tail to the front.
// Errors are sticky: after one, next() keeps returning it and further input is dropped.
//
// Encrypted streams (MSE RC4): with a decryptor set, bytes given through prepare()/commit() are ciphertext
// and are decrypted in place, a whole frame at a time, as next() reaches them: PIECE blocks too. Those bytes
// are still in cache from the socket read; decrypting straight into a cold piece buffer instead stalls RC4
// on every store miss, which costs far more than the caller's copy of the plaintext block (measured in
// bench/RESULTS.md, session 11).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <variant>

#include "core/result.hpp"
#include "wire/errors.hpp"
#include "wire/message.hpp"

namespace bt::wire {

// The largest standard extended message is ut_metadata 'data' (BEP 9): a small dict plus a 16 KiB
// metadata piece. ut_pex (BEP 11) and the extended handshake are far smaller. 64 KiB leaves 4x headroom
// while keeping a hostile peer's cost per connection small.
inline constexpr std::uint32_t kDefaultMaxExtendedPayload = 64 * 1024;
// Bitfield bound while the piece count is unknown: 512 Ki pieces (e.g. 128 GiB in 256 KiB pieces).
inline constexpr std::uint32_t kMaxBitfieldBytesUnknownCount = 64 * 1024;

struct NeedMore {
    friend bool operator==(NeedMore, NeedMore) = default;
};

// A message with an ID this codec does not know; skipped, reported so the caller can count it.
struct Unknown {
    std::uint8_t id = 0;
    std::span<const std::uint8_t> payload;  // the bytes after the ID
    friend bool operator==(const Unknown& a, const Unknown& b) {
        return a.id == b.id && detail::same_bytes(a.payload, b.payload);
    }
};

using ReadItem = std::variant<NeedMore, Message, Unknown>;

// Decrypts the bytes in place, continuing one keystream.
using StreamDecryptor = std::function<void(std::span<std::uint8_t>)>;

class MessageReader {
  public:
    // `num_pieces`: the torrent's piece count, or nullopt while it is unknown (index checks are then
    // skipped).
    explicit MessageReader(std::optional<std::uint32_t> num_pieces,
                           std::uint32_t max_extended_payload = kDefaultMaxExtendedPayload);

    // Once the metadata arrives (BEP 9). Takes effect for the next frame.
    void set_num_pieces(std::uint32_t num_pieces);

    // From now on, committed bytes are ciphertext (bytes already buffered stay as they are).
    void set_decryptor(StreamDecryptor decryptor);

    // Copies plaintext `in` into the buffer (bytes that arrived before the stream was encrypted, or with no
    // decryptor set).
    void feed(std::span<const std::uint8_t> in);
    void feed(std::string_view in);
    // Zero-copy alternative to feed: read from the socket straight into prepare(n), then commit(bytes read).
    std::span<std::uint8_t> prepare(std::size_t n);
    void commit(std::size_t n);  // n <= the size of the last prepare()

    // The next message, Unknown, NeedMore, or the (sticky) error.
    Result<ReadItem> next();

    // The whole frame (length prefix included) of the item the last next() returned; empty after NeedMore.
    std::span<const std::uint8_t> last_frame() const noexcept { return last_frame_; }
    // Bytes fed but not yet returned as part of a frame.
    std::size_t buffered() const noexcept { return end_ - begin_; }
    std::size_t capacity() const noexcept { return capacity_; }
    // The largest length prefix accepted (the frame is 4 bytes more).
    std::uint32_t max_frame_length() const noexcept { return max_length_; }
    std::optional<std::uint32_t> num_pieces() const noexcept { return num_pieces_; }
    std::error_code error() const noexcept { return error_; }

  private:
    void update_bounds();
    std::error_code check_header(std::uint32_t length, std::uint8_t id) const noexcept;
    std::error_code check_index(std::uint32_t index) const noexcept;
    Result<ReadItem> fail_with(std::error_code ec);
    void decrypt_to(std::size_t end);  // decrypts buffered ciphertext in place up to buffer offset `end`

    std::unique_ptr<std::uint8_t[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;      // first byte not yet returned
    std::size_t end_ = 0;        // one past the last byte fed
    std::size_t prepared_ = 0;   // bytes handed out by prepare() and not yet committed
    std::size_t clear_end_ = 0;  // bytes before this offset are plaintext
    StreamDecryptor decryptor_;
    std::span<const std::uint8_t> last_frame_;
    std::optional<std::uint32_t> num_pieces_;
    std::uint32_t max_extended_payload_;
    std::uint32_t bitfield_bytes_ = 0;  // exact payload size when num_pieces_ is known
    std::uint32_t max_length_ = 0;
    std::error_code error_;
};

}  // namespace bt::wire
