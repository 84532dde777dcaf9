#include "wire/message_reader.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/bitfield.hpp"

namespace bt::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint32_t kPieces = 100;  // bitfield payload: 13 bytes, last 4 bits spare

Bytes be32(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// <length><id><payload> with an explicit (possibly lying) length.
Bytes frame(std::uint32_t length, std::uint8_t id, const Bytes& payload = {}) {
    Bytes out = be32(length);
    out.push_back(id);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes triple(std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    return cat({be32(a), be32(b), be32(c)});
}

const Bytes& block_16k() {
    static const Bytes block = [] {
        Bytes b(kMaxBlockSize);
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i * 7);
        return b;
    }();
    return block;
}
const Bytes kBits = {0xFF, 0, 0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xF0};  // 13 bytes = 100 pieces
const Bytes kExtHandshake = {'d', '1', ':', 'm', 'd', 'e', 'e'};
const Bytes kSmallBlock = {1, 2, 3};

// One of every message type, with fields near their bounds.
std::vector<Message> all_messages() {
    return {
        KeepAlive{},
        Choke{},
        Unchoke{},
        Interested{},
        NotInterested{},
        Have{PieceIndex{kPieces - 1}},
        Bitfield{kBits},
        Request{PieceIndex{0}, 0, kMaxBlockSize},
        Piece{PieceIndex{99}, 0xFFFFFFFF, block_16k()},
        Piece{PieceIndex{5}, 16384, kSmallBlock},
        Cancel{PieceIndex{3}, 16384, 1},
        Port{65535},
        HaveAll{},
        HaveNone{},
        SuggestPiece{PieceIndex{42}},
        RejectRequest{PieceIndex{7}, 0, 16384},
        AllowedFast{PieceIndex{0}},
        Extended{0, kExtHandshake},
        Extended{200, {}},
    };
}

// What a reader produced, with bytes copied out (views die at the next call).
struct Outcome {
    std::vector<Bytes> frames;  // re-encoded messages; Unknown frames prefixed with a 0xEE marker
    std::error_code error;
    std::size_t buffered = 0;  // after the last NeedMore
    friend bool operator==(const Outcome&, const Outcome&) = default;
};

void drain(MessageReader& reader, Outcome& out) {
    for (;;) {
        auto item = reader.next();
        if (!item) {
            out.error = item.error();
            out.buffered = 0;  // unspecified after an error
            return;
        }
        if (std::holds_alternative<NeedMore>(*item)) {
            EXPECT_TRUE(reader.last_frame().empty());
            break;
        }
        const auto frame_bytes = reader.last_frame();
        if (const auto* m = std::get_if<Message>(&*item)) {
            const Bytes encoded = to_bytes(*m);
            // Round trip: the message re-encodes to exactly the frame it came from.
            EXPECT_EQ(encoded, Bytes(frame_bytes.begin(), frame_bytes.end())) << name_of(*m);
            out.frames.push_back(encoded);
        } else {
            Bytes marked{0xEE};
            marked.insert(marked.end(), frame_bytes.begin(), frame_bytes.end());
            out.frames.push_back(marked);
        }
    }
    out.buffered = reader.buffered();
}

// Feeds `stream` cut at the given offsets (ascending), draining after each piece.
Outcome run(const Bytes& stream, const std::vector<std::size_t>& cuts,
            std::optional<std::uint32_t> num_pieces = kPieces) {
    MessageReader reader(num_pieces);
    Outcome out;
    std::size_t from = 0;
    auto feed_to = [&](std::size_t to) {
        reader.feed(std::span(stream.data() + from, to - from));
        from = to;
        drain(reader, out);
    };
    for (auto cut : cuts) feed_to(cut);
    feed_to(stream.size());
    return out;
}

Bytes all_messages_stream() {
    Bytes stream;
    for (const auto& m : all_messages()) encode(m, stream);
    const Bytes unknown = frame(4, 99, {7, 8, 9});
    stream.insert(stream.end(), unknown.begin(), unknown.end());
    encode(Message{KeepAlive{}}, stream);
    return stream;
}

Outcome expected_for_all_messages() {
    Outcome out;
    for (const auto& m : all_messages()) out.frames.push_back(to_bytes(m));
    out.frames.push_back(cat({Bytes{0xEE}, frame(4, 99, {7, 8, 9})}));
    out.frames.push_back(be32(0));
    return out;
}

TEST(MessageReader, RoundTripsEveryMessageType) {
    for (const auto& m : all_messages()) {
        MessageReader reader(kPieces);
        const Bytes bytes = to_bytes(m);
        reader.feed(bytes);
        auto item = reader.next();
        ASSERT_TRUE(item.has_value()) << name_of(m) << ": " << item.error().message();
        ASSERT_TRUE(std::holds_alternative<Message>(*item)) << name_of(m);
        EXPECT_EQ(std::get<Message>(*item), m) << name_of(m);
        EXPECT_EQ(Bytes(reader.last_frame().begin(), reader.last_frame().end()), bytes);
        auto after = reader.next();
        ASSERT_TRUE(after.has_value());
        EXPECT_TRUE(std::holds_alternative<NeedMore>(*after)) << name_of(m);
        EXPECT_EQ(reader.buffered(), 0u);
    }
}

TEST(MessageReader, DecodesAStreamFedWhole) {
    EXPECT_EQ(run(all_messages_stream(), {}), expected_for_all_messages());
}

TEST(MessageReader, DecodesAStreamFedByteByByte) {
    const Bytes stream = all_messages_stream();
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
    EXPECT_EQ(run(stream, cuts), expected_for_all_messages());
}

TEST(MessageReader, DecodesAStreamSplitAtEveryOffset) {
    const Bytes stream = all_messages_stream();
    const Outcome expected = expected_for_all_messages();
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        ASSERT_EQ(run(stream, {cut}), expected) << "cut at " << cut;
    }
}

TEST(MessageReader, DecodesASmallStreamSplitAtEveryPairOfOffsets) {
    // Everything but the 16 KiB piece, so that all (i, j) pairs stay cheap.
    Bytes stream;
    Outcome expected;
    for (const auto& m : all_messages()) {
        if (encoded_size(m) > 1000) continue;
        encode(m, stream);
        expected.frames.push_back(to_bytes(m));
    }
    for (std::size_t i = 0; i <= stream.size(); ++i) {
        for (std::size_t j = i; j <= stream.size(); ++j) {
            ASSERT_EQ(run(stream, {i, j}), expected) << "cuts at " << i << ", " << j;
        }
    }
}

TEST(MessageReader, ReportsTheSameErrorWhereverTheStreamIsSplit) {
    Bytes stream = cat({to_bytes(Have{PieceIndex{1}}), frame(13, 6, triple(1, 0, kMaxBlockSize + 1))});
    Outcome expected;
    expected.frames.push_back(to_bytes(Have{PieceIndex{1}}));
    expected.error = make_error_code(Errc::request_too_large);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        ASSERT_EQ(run(stream, {cut}), expected) << "cut at " << cut;
    }
}

TEST(MessageReader, PieceBlockIsAViewIntoTheFrame) {
    MessageReader reader(kPieces);
    reader.feed(to_bytes(Piece{PieceIndex{1}, 0, block_16k()}));
    auto item = reader.next();
    ASSERT_TRUE(item.has_value());
    const auto& piece = std::get<Piece>(std::get<Message>(*item));
    const auto frame_bytes = reader.last_frame();
    EXPECT_EQ(piece.block.data(), frame_bytes.data() + kPieceHeaderSize);
    EXPECT_EQ(piece.block.size(), kMaxBlockSize);
}

// ---------------------------------------------------------------------------------------------------
// Encrypted streams

// A toy keystream that depends on the position: a byte decrypted twice, skipped or out of order comes out
// wrong, so the messages after it do not decode.
struct ToyKeystream {
    std::uint64_t position = 0;
    void apply(std::span<std::uint8_t> bytes) {
        for (auto& b : bytes) {
            b ^= static_cast<std::uint8_t>(position * 167 + (position >> 8) * 13 + 91);
            ++position;
        }
    }
};

// The stream's first `plain_prefix` bytes arrive in plaintext (feed), the rest encrypted (prepare/commit) in
// chunks of the given sizes (cycled).
Outcome run_encrypted(const Bytes& stream, std::size_t plain_prefix, const std::vector<std::size_t>& chunks) {
    Bytes wire = stream;
    ToyKeystream sender;
    sender.apply(std::span(wire).subspan(plain_prefix));

    MessageReader reader(kPieces);
    ToyKeystream receiver;
    Outcome out;
    reader.feed(std::span(wire.data(), plain_prefix));
    drain(reader, out);
    reader.set_decryptor([&](std::span<std::uint8_t> bytes) { receiver.apply(bytes); });
    std::size_t from = plain_prefix;
    for (std::size_t i = 0; from < wire.size(); ++i) {
        const std::size_t n = std::min(chunks[i % chunks.size()], wire.size() - from);
        auto dst = reader.prepare(n);
        std::memcpy(dst.data(), wire.data() + from, n);
        reader.commit(n);
        from += n;
        drain(reader, out);
    }
    return out;
}

Bytes block_heavy_stream() {
    Bytes stream = all_messages_stream();
    for (std::uint32_t i = 0; i < 6; ++i) {
        encode(Message{Have{PieceIndex{i}}}, stream);
        encode(Message{Piece{PieceIndex{i}, i * 16384, block_16k()}}, stream);
        encode(Message{Piece{PieceIndex{i}, 7, kSmallBlock}}, stream);
    }
    return stream;
}

TEST(MessageReader, DecryptsAsItParsesPieceBlocksIncluded) {
    const Bytes stream = block_heavy_stream();
    const Outcome expected = run(stream, {});
    ASSERT_FALSE(expected.error);
    EXPECT_EQ(run_encrypted(stream, 0, {stream.size()}), expected) << "whole";
    EXPECT_EQ(run_encrypted(stream, 0, {1}), expected) << "byte by byte";
    EXPECT_EQ(run_encrypted(stream, 0, {65536}), expected) << "64 KiB reads";
    std::mt19937 random(7);
    for (int round = 0; round < 20; ++round) {
        std::vector<std::size_t> chunks;
        for (int i = 0; i < 16; ++i) chunks.push_back(1 + random() % 20000);
        EXPECT_EQ(run_encrypted(stream, 0, chunks), expected) << "random chunks, round " << round;
    }
}

TEST(MessageReader, PlaintextFedBeforeTheDecryptorIsNotDecrypted) {
    // Bytes the handshake already decrypted arrive through feed(), the rest through the socket.
    const Bytes stream = block_heavy_stream();
    const Outcome expected = run(stream, {});
    for (const std::size_t prefix :
         {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{100}, std::size_t{16400}}) {
        EXPECT_EQ(run_encrypted(stream, prefix, {4096, 333}), expected) << "prefix " << prefix;
    }
}

TEST(MessageReader, BitfieldBytesValidateWithCoreBitfield) {
    MessageReader reader(kPieces);
    reader.feed(to_bytes(Bitfield{kBits}));
    auto item = reader.next();
    ASSERT_TRUE(item.has_value());
    const auto& bits = std::get<Bitfield>(std::get<Message>(*item));
    auto field = bt::Bitfield::from_bytes(bits.bytes, kPieces);
    ASSERT_TRUE(field.has_value());
    EXPECT_TRUE(field->test(PieceIndex{0}));
    EXPECT_FALSE(field->test(PieceIndex{8}));
    EXPECT_TRUE(field->test(PieceIndex{16}));
    // Spare bits are the caller's check: the reader passes them through, from_bytes refuses them.
    Bytes spare = kBits;
    spare.back() = 0xF1;
    MessageReader reader2(kPieces);
    reader2.feed(to_bytes(Bitfield{spare}));
    auto item2 = reader2.next();
    ASSERT_TRUE(item2.has_value());
    EXPECT_FALSE(
        bt::Bitfield::from_bytes(std::get<Bitfield>(std::get<Message>(*item2)).bytes, kPieces).has_value());
}

TEST(MessageReader, SkipsUnknownIdsAndReportsThem) {
    MessageReader reader(kPieces);
    reader.feed(cat({frame(1, 21), frame(4, 0xFF, {1, 2, 3}), to_bytes(Have{PieceIndex{2}})}));
    auto first = reader.next();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(std::get<Unknown>(*first), (Unknown{21, {}}));
    auto second = reader.next();
    ASSERT_TRUE(second.has_value());
    const Bytes payload = {1, 2, 3};
    EXPECT_EQ(std::get<Unknown>(*second), (Unknown{0xFF, payload}));
    auto third = reader.next();
    ASSERT_TRUE(third.has_value());
    EXPECT_EQ(std::get<Message>(*third), Message{Have{PieceIndex{2}}});
}

struct BadCase {
    const char* name;
    Bytes input;
    Errc expected;
    bool detected_from_header = false;  // reported once the first 5 bytes (4 for a bare length) are in
    std::optional<std::uint32_t> num_pieces = kPieces;
};

std::vector<BadCase> bad_cases() {
    const std::uint32_t max_ext = kDefaultMaxExtendedPayload;
    return {
        {"length 2^31", be32(0x80000000), Errc::message_too_long, true},
        {"length 2^32-1", be32(0xFFFFFFFF), Errc::message_too_long, true},
        {"length just above every bound", be32(2 + max_ext + 1), Errc::message_too_long, true},
        {"choke with payload", frame(2, 0, {0}), Errc::bad_length_for_type, true},
        {"unchoke with payload", frame(5, 1, {0, 0, 0, 0}), Errc::bad_length_for_type, true},
        {"interested with payload", frame(2, 2, {0}), Errc::bad_length_for_type, true},
        {"not interested with payload", frame(2, 3, {0}), Errc::bad_length_for_type, true},
        {"have-all with payload", frame(2, 0x0E, {0}), Errc::bad_length_for_type, true},
        {"have-none with payload", frame(2, 0x0F, {0}), Errc::bad_length_for_type, true},
        {"have of 4", frame(4, 4, {0, 0, 0}), Errc::bad_length_for_type, true},
        {"have of 6", frame(6, 4, {0, 0, 0, 0, 0}), Errc::bad_length_for_type, true},
        {"have of 1", frame(1, 4), Errc::bad_length_for_type, true},
        {"huge have", frame(16000, 4), Errc::bad_length_for_type, true},
        {"request of 12", frame(12, 6, Bytes(11)), Errc::bad_length_for_type, true},
        {"request of 14", frame(14, 6, Bytes(13)), Errc::bad_length_for_type, true},
        {"cancel of 12", frame(12, 8, Bytes(11)), Errc::bad_length_for_type, true},
        {"reject of 17", frame(17, 0x10, Bytes(16)), Errc::bad_length_for_type, true},
        {"port of 2", frame(2, 9, {0}), Errc::bad_length_for_type, true},
        {"port of 4", frame(4, 9, {0, 0, 0}), Errc::bad_length_for_type, true},
        {"suggest of 4", frame(4, 0x0D, {0, 0, 0}), Errc::bad_length_for_type, true},
        {"allowed-fast of 6", frame(6, 0x11, Bytes(5)), Errc::bad_length_for_type, true},
        {"bitfield one byte short", frame(13, 5, Bytes(12)), Errc::bad_bitfield_length, true},
        {"bitfield one byte long", frame(15, 5, Bytes(14)), Errc::bad_bitfield_length, true},
        {"empty bitfield", frame(1, 5), Errc::bad_bitfield_length, true},
        {"bitfield for zero pieces", frame(2, 5, {0}), Errc::bad_bitfield_length, true, 0},
        {"empty bitfield, count unknown", frame(1, 5), Errc::bad_bitfield_length, true, std::nullopt},
        {"bitfield over the unknown-count bound", frame(kMaxBitfieldBytesUnknownCount + 2, 5),
         Errc::bad_bitfield_length, true, std::nullopt},
        {"have out of range", frame(5, 4, be32(kPieces)), Errc::piece_index_out_of_range},
        {"have 2^32-1", frame(5, 4, be32(0xFFFFFFFF)), Errc::piece_index_out_of_range},
        {"request out of range", frame(13, 6, triple(kPieces, 0, 1)), Errc::piece_index_out_of_range},
        {"cancel out of range", frame(13, 8, triple(kPieces, 0, 1)), Errc::piece_index_out_of_range},
        {"reject out of range", frame(13, 0x10, triple(kPieces, 0, 1)), Errc::piece_index_out_of_range},
        {"piece out of range", frame(10, 7, cat({be32(kPieces), be32(0), {1}})),
         Errc::piece_index_out_of_range},
        {"suggest out of range", frame(5, 0x0D, be32(kPieces)), Errc::piece_index_out_of_range},
        {"allowed-fast out of range", frame(5, 0x11, be32(kPieces)), Errc::piece_index_out_of_range},
        {"have with zero pieces", frame(5, 4, be32(0)), Errc::piece_index_out_of_range, false, 0},
        {"request of 16 KiB + 1", frame(13, 6, triple(0, 0, kMaxBlockSize + 1)), Errc::request_too_large},
        {"request of 2^32-1", frame(13, 6, triple(0, 0, 0xFFFFFFFF)), Errc::request_too_large},
        {"cancel of 32 KiB", frame(13, 8, triple(0, 0, 32768)), Errc::request_too_large},
        {"reject of 16 KiB + 1", frame(13, 0x10, triple(0, 0, kMaxBlockSize + 1)), Errc::request_too_large},
        {"request of 0", frame(13, 6, triple(0, 0, 0)), Errc::empty_block},
        {"piece without block", frame(9, 7, cat({be32(0), be32(0)})), Errc::empty_block, true},
        {"piece shorter than its header", frame(8, 7, Bytes(7)), Errc::bad_length_for_type, true},
        {"piece of 16 KiB + 1", frame(9 + kMaxBlockSize + 1, 7), Errc::message_too_long, true},
        {"extended without id", frame(1, 20), Errc::bad_length_for_type, true},
        {"extended over the bound", frame(2 + max_ext + 1, 20), Errc::message_too_long, true},
        {"unknown id over every bound", frame(2 + max_ext + 1, 99), Errc::message_too_long, true},
    };
}

TEST(MessageReader, RejectsMalformedMessages) {
    for (const auto& c : bad_cases()) {
        MessageReader reader(c.num_pieces);
        reader.feed(c.input);
        auto item = reader.next();
        ASSERT_FALSE(item.has_value()) << c.name;
        EXPECT_EQ(item.error(), make_error_code(c.expected)) << c.name << ": " << item.error().message();
        EXPECT_EQ(reader.error(), item.error()) << c.name;
        EXPECT_TRUE(reader.last_frame().empty()) << c.name;
    }
}

TEST(MessageReader, RejectsBadLengthsBeforeThePayloadArrives) {
    for (const auto& c : bad_cases()) {
        if (!c.detected_from_header) continue;
        MessageReader reader(c.num_pieces);
        reader.feed(std::span(c.input.data(), std::min<std::size_t>(c.input.size(), 5)));
        auto item = reader.next();
        ASSERT_FALSE(item.has_value()) << c.name;
        EXPECT_EQ(item.error(), make_error_code(c.expected)) << c.name;
        // No buffer sized after the length prefix.
        EXPECT_LE(reader.capacity(), 256u) << c.name;
    }
}

TEST(MessageReader, ErrorsAreSticky) {
    MessageReader reader(kPieces);
    reader.feed(frame(4, 4, {0, 0, 0}));
    ASSERT_FALSE(reader.next().has_value());
    reader.feed(to_bytes(Choke{}));
    auto again = reader.next();
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error(), make_error_code(Errc::bad_length_for_type));
}

TEST(MessageReader, AcceptsMessagesAtTheirUpperBounds) {
    const Bytes max_bits(kMaxBitfieldBytesUnknownCount, 0xFF);
    const Bytes max_ext(kDefaultMaxExtendedPayload, 'x');
    const std::vector<std::pair<Message, std::optional<std::uint32_t>>> cases = {
        {Piece{PieceIndex{kPieces - 1}, 0, block_16k()}, kPieces},
        {Bitfield{max_bits}, std::nullopt},
        {Extended{1, max_ext}, kPieces},
        {Request{PieceIndex{kPieces - 1}, 0xFFFFFFFF, kMaxBlockSize}, kPieces},
    };
    for (const auto& [m, pieces] : cases) {
        MessageReader reader(pieces);
        reader.feed(to_bytes(m));
        auto item = reader.next();
        ASSERT_TRUE(item.has_value()) << name_of(m) << ": " << item.error().message();
        EXPECT_EQ(std::get<Message>(*item), m);
    }
}

TEST(MessageReader, HonoursACustomExtendedBound) {
    const Bytes payload(100, 'x');
    MessageReader ok(kPieces, 100);
    ok.feed(to_bytes(Extended{1, payload}));
    EXPECT_TRUE(ok.next().has_value());
    MessageReader too_long(kPieces, 99);
    too_long.feed(to_bytes(Extended{1, payload}));
    auto item = too_long.next();
    ASSERT_FALSE(item.has_value());
    EXPECT_EQ(item.error(), make_error_code(Errc::message_too_long));
}

TEST(MessageReader, SkipsIndexChecksUntilThePieceCountIsKnown) {
    MessageReader reader(std::nullopt);
    reader.feed(to_bytes(Have{PieceIndex{1'000'000}}));
    auto item = reader.next();
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(std::get<Message>(*item), Message{Have{PieceIndex{1'000'000}}});
    reader.feed(to_bytes(Bitfield{kSmallBlock}));
    ASSERT_TRUE(reader.next().has_value());

    reader.set_num_pieces(kPieces);
    EXPECT_EQ(reader.num_pieces(), kPieces);
    reader.feed(to_bytes(Have{PieceIndex{kPieces}}));
    auto late = reader.next();
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error(), make_error_code(Errc::piece_index_out_of_range));
}

TEST(MessageReader, PrepareAndCommitFeedWithoutACopy) {
    const Bytes bytes = cat({to_bytes(Interested{}), to_bytes(Have{PieceIndex{3}})});
    MessageReader reader(kPieces);
    auto space = reader.prepare(64);
    ASSERT_GE(space.size(), 64u);
    std::copy(bytes.begin(), bytes.end(), space.begin());
    reader.commit(bytes.size());
    EXPECT_EQ(reader.buffered(), bytes.size());
    Outcome out;
    drain(reader, out);
    ASSERT_EQ(out.frames.size(), 2u);
    EXPECT_FALSE(out.error);
}

TEST(MessageReader, MemoryStaysBoundedAndStopsGrowingInSteadyState) {
    // 64 KiB reads of a stream of 16 KiB pieces, which never align with the reads.
    Bytes stream;
    for (std::uint32_t i = 0; i < 64; ++i)
        encode(Message{Piece{PieceIndex{i % kPieces}, i, block_16k()}}, stream);
    constexpr std::size_t kChunk = 64 * 1024 - 3;
    MessageReader reader(kPieces);
    std::size_t pieces = 0;
    std::size_t capacity_after_warmup = 0;
    for (std::size_t from = 0, round = 0; from < stream.size(); from += kChunk, ++round) {
        const std::size_t n = std::min(kChunk, stream.size() - from);
        reader.feed(std::span(stream.data() + from, n));
        EXPECT_LE(reader.capacity(), reader.max_frame_length() + 4 + kChunk);
        for (;;) {
            auto item = reader.next();
            ASSERT_TRUE(item.has_value());
            if (std::holds_alternative<NeedMore>(*item)) break;
            ++pieces;
        }
        EXPECT_LT(reader.buffered(), 4 + 9 + kMaxBlockSize);
        if (round == 2) capacity_after_warmup = reader.capacity();
        if (round > 2) {
            EXPECT_EQ(reader.capacity(), capacity_after_warmup) << round;
        }
    }
    EXPECT_EQ(pieces, 64u);
    EXPECT_EQ(reader.buffered(), 0u);
}

TEST(MessageReader, ByteByByteFeedingNeverBuffersMoreThanOneFrame) {
    const Bytes bytes = to_bytes(Piece{PieceIndex{1}, 0, block_16k()});
    MessageReader reader(kPieces);
    for (auto b : bytes) {
        reader.feed(std::span(&b, 1));
        EXPECT_LE(reader.capacity(), reader.max_frame_length() + 4);
    }
    auto item = reader.next();
    ASSERT_TRUE(item.has_value());
    EXPECT_TRUE(std::holds_alternative<Message>(*item));
}

TEST(MessageReader, MaxFrameLengthCoversTheLargestAllowedMessage) {
    EXPECT_EQ(MessageReader(kPieces).max_frame_length(), 2 + kDefaultMaxExtendedPayload);
    EXPECT_EQ(MessageReader(kPieces, 0).max_frame_length(), 9 + kMaxBlockSize);
    EXPECT_EQ(MessageReader(8'000'000, 0).max_frame_length(), 1 + 1'000'000u);
}

TEST(ErrorCategory, NamesEveryCode) {
    EXPECT_STREQ(error_category().name(), "wire");
    for (int code = static_cast<int>(Errc::bad_protocol_string); code <= static_cast<int>(Errc::empty_block);
         ++code) {
        EXPECT_NE(error_category().message(code), "unknown wire error") << code;
    }
    EXPECT_EQ(std::error_code(Errc::request_too_large).message(), "requested block larger than 16 KiB");
}

}  // namespace
}  // namespace bt::wire
