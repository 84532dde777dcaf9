// Peer-wire reader fuzz target. Input: [flags][num_pieces:2][split:2][max_ext:1] then the stream.
// flags bit 0: the stream starts with a handshake; bit 1: piece count unknown; bit 2: feed via
// prepare/commit. Oracles:
//   - every decoded message re-encodes to exactly its frame, and frames tile the stream from its start;
//   - the stream split at the chosen point gives the same frames and final state as the whole stream;
//   - after NeedMore, the reader holds exactly the undecoded tail; its buffer stays within the bound;
//   - encrypted (with a decryptor; the part before the split fed in plaintext, the rest encrypted in
//     chunks, every other PIECE block taken): the same frames and error as the plaintext stream.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "wire/handshake.hpp"
#include "wire/message.hpp"
#include "wire/message_reader.hpp"

namespace {

using bt::wire::Message;
using bt::wire::MessageReader;
using bt::wire::NeedMore;
using bt::wire::Unknown;
using Bytes = std::vector<std::uint8_t>;

void check(bool ok) {
    if (!ok) std::abort();
}

struct Config {
    bool via_prepare = false;
    std::optional<std::uint32_t> num_pieces;
    std::uint32_t max_extended = bt::wire::kDefaultMaxExtendedPayload;
};

struct Outcome {
    std::vector<Bytes> frames;
    std::error_code error;
    std::size_t consumed = 0;
    bool operator==(const Outcome&) const = default;
};

void feed(MessageReader& reader, std::span<const std::uint8_t> part, bool via_prepare) {
    if (!via_prepare) return reader.feed(part);
    auto space = reader.prepare(part.size());
    check(space.size() >= part.size());
    std::copy(part.begin(), part.end(), space.begin());
    reader.commit(part.size());
}

void drain(MessageReader& reader, std::span<const std::uint8_t> stream, std::size_t fed, Outcome& out) {
    for (;;) {
        auto item = reader.next();
        if (!item) {
            out.error = item.error();
            check(out.error.category() == bt::wire::error_category());
            check(!reader.next().has_value());  // sticky
            return;
        }
        const auto frame = reader.last_frame();
        if (std::holds_alternative<NeedMore>(*item)) {
            check(frame.empty());
            check(reader.buffered() == fed - out.consumed);
            return;
        }
        // Frames tile the stream.
        check(frame.size() >= 4 && out.consumed + frame.size() <= fed);
        check(std::equal(frame.begin(), frame.end(),
                         stream.begin() + static_cast<std::ptrdiff_t>(out.consumed)));
        if (const auto* m = std::get_if<Message>(&*item)) {
            const Bytes encoded = bt::wire::to_bytes(*m);
            check(encoded.size() == bt::wire::encoded_size(*m));
            check(std::equal(encoded.begin(), encoded.end(), frame.begin(), frame.end()));
        } else {
            const auto& unknown = std::get<Unknown>(*item);
            check(frame.size() >= 5 && frame[4] == unknown.id);
            check(unknown.payload.data() == frame.data() + 5 && unknown.payload.size() == frame.size() - 5);
        }
        out.frames.emplace_back(frame.begin(), frame.end());
        out.consumed += frame.size();
    }
}

Outcome run(std::span<const std::uint8_t> stream, std::size_t split, const Config& config) {
    MessageReader reader(config.num_pieces, config.max_extended);
    Outcome out;
    const std::span<const std::uint8_t> parts[] = {stream.first(split), stream.subspan(split)};
    std::size_t fed = 0;
    std::size_t largest_part = 0;
    for (auto part : parts) {
        feed(reader, part, config.via_prepare);
        fed += part.size();
        // Memory bound: one maximal frame plus the largest single feed so far (an earlier, bigger feed may
        // have grown the buffer; it never shrinks).
        largest_part = std::max(largest_part, part.size());
        check(reader.capacity() <= std::max<std::size_t>(reader.max_frame_length() + 4, 256) + largest_part);
        if (!reader.error()) drain(reader, stream, fed, out);
        if (out.error) break;
    }
    return out;
}

// A position-dependent keystream: a byte decrypted twice or skipped shows in every frame after it.
struct ToyKeystream {
    std::uint64_t position = 0;
    void apply(std::span<std::uint8_t> bytes) {
        for (auto& b : bytes) {
            b ^= static_cast<std::uint8_t>(position * 167 + (position >> 8) * 13 + 91);
            ++position;
        }
    }
};

Outcome run_encrypted(std::span<const std::uint8_t> stream, std::size_t split, const Config& config) {
    Bytes wire(stream.begin(), stream.end());
    ToyKeystream sender;
    ToyKeystream receiver;
    sender.apply(std::span(wire).subspan(split));
    MessageReader reader(config.num_pieces, config.max_extended);
    Outcome out;
    auto drain_checking = [&] {
        for (;;) {
            auto item = reader.next();
            if (!item) {
                out.error = item.error();
                return;
            }
            if (std::holds_alternative<NeedMore>(*item)) return;
            const auto frame = reader.last_frame();
            Bytes plain(stream.begin() + static_cast<std::ptrdiff_t>(out.consumed),
                        stream.begin() + static_cast<std::ptrdiff_t>(out.consumed + frame.size()));
            check(std::equal(frame.begin(), frame.end(), plain.begin(), plain.end()));
            out.frames.push_back(std::move(plain));
            out.consumed += frame.size();
        }
    };
    reader.feed(stream.first(split));
    drain_checking();
    reader.set_decryptor([&](std::span<std::uint8_t> bytes) { receiver.apply(bytes); });
    for (std::size_t from = split; from < wire.size() && !out.error;) {
        const std::size_t n = std::min<std::size_t>(wire.size() - from, 1 + (from * 7919) % 4096);
        auto space = reader.prepare(n);
        std::copy_n(wire.begin() + static_cast<std::ptrdiff_t>(from), n, space.begin());
        reader.commit(n);
        from += n;
        drain_checking();
    }
    return out;
}

// Returns the bytes after the handshake, or nullopt if the handshake is refused or incomplete.
std::optional<std::span<const std::uint8_t>> skip_handshake(std::span<const std::uint8_t> in,
                                                            std::size_t split) {
    bt::wire::HandshakeParser parser;
    auto first = parser.feed(in.first(std::min(split, in.size())));
    if (!first) return std::nullopt;
    check(*first == std::min({split, in.size(), bt::wire::kHandshakeSize}));
    auto second = parser.feed(in.subspan(*first));
    if (!second) return std::nullopt;
    const std::size_t used = *first + *second;
    check(used == std::min(in.size(), bt::wire::kHandshakeSize));
    check(parser.info_hash().has_value() == (used >= 48));
    if (!parser.is_complete()) return std::nullopt;
    const auto encoded = bt::wire::encode_handshake(*parser.handshake());
    check(std::equal(encoded.begin(), encoded.end(), in.begin()));
    return in.subspan(used);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 6) return 0;
    const std::uint8_t flags = data[0];
    Config config;
    config.via_prepare = (flags & 4) != 0;
    if ((flags & 2) == 0) config.num_pieces = static_cast<std::uint32_t>((data[1] << 8) | data[2]);
    if (data[5] != 0) config.max_extended = data[5] * 257u;
    std::size_t split = static_cast<std::size_t>((data[3] << 8) | data[4]);
    std::span<const std::uint8_t> stream(data + 6, size - 6);

    if (flags & 1) {
        auto rest = skip_handshake(stream, split);
        if (!rest) return 0;
        stream = *rest;
    }
    split %= stream.size() + 1;
    const Outcome split_run = run(stream, split, config);
    const Outcome whole_run = run(stream, stream.size(), config);
    check(split_run == whole_run);
    const Outcome encrypted_run = run_encrypted(stream, split, config);
    check(encrypted_run.frames == whole_run.frames && encrypted_run.error == whole_run.error);
    return 0;
}
