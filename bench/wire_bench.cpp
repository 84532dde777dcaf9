#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "wire/message.hpp"
#include "wire/message_reader.hpp"

namespace {

using bt::PieceIndex;
namespace wire = bt::wire;

constexpr std::uint32_t kPieces = 4096;
constexpr std::size_t kStreamMessages = 256;  // 16 KiB blocks: a 4 MiB stream

std::vector<std::uint8_t> piece_stream(std::size_t count) {
    const std::vector<std::uint8_t> block(wire::kMaxBlockSize, 0xAB);
    std::vector<std::uint8_t> stream;
    for (std::size_t i = 0; i < count; ++i) {
        wire::encode(
            wire::Message{wire::Piece{PieceIndex{static_cast<std::uint32_t>(i % kPieces)},
                                      static_cast<std::uint32_t>(i % 16) * wire::kMaxBlockSize, block}},
            stream);
    }
    return stream;
}

// A stream of 16 KiB PIECE messages fed in socket-sized chunks (state.range(0)), decoded to the end.
void BM_DecodePieceStream(benchmark::State& state) {
    const auto stream = piece_stream(kStreamMessages);
    const auto chunk = static_cast<std::size_t>(state.range(0));
    wire::MessageReader reader(kPieces);
    std::uint64_t blocks = 0;
    for (auto _ : state) {
        for (std::size_t from = 0; from < stream.size(); from += chunk) {
            reader.feed(std::span(stream.data() + from, std::min(chunk, stream.size() - from)));
            for (;;) {
                auto item = reader.next();
                if (!item || std::holds_alternative<wire::NeedMore>(*item)) break;
                blocks += std::get<wire::Piece>(std::get<wire::Message>(*item)).block.size();
            }
        }
        benchmark::DoNotOptimize(blocks);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
    state.SetItemsProcessed(
        static_cast<std::int64_t>(state.iterations() * kStreamMessages));  // PIECE messages
}
BENCHMARK(BM_DecodePieceStream)->Arg(16 * 1024)->Arg(64 * 1024)->Arg(1024 * 1024);

// The same, reading straight into the reader's buffer (prepare/commit) as the socket code would.
void BM_DecodePieceStreamPrepareCommit(benchmark::State& state) {
    const auto stream = piece_stream(kStreamMessages);
    const std::size_t chunk = 64 * 1024;
    wire::MessageReader reader(kPieces);
    std::uint64_t blocks = 0;
    for (auto _ : state) {
        for (std::size_t from = 0; from < stream.size(); from += chunk) {
            const std::size_t n = std::min(chunk, stream.size() - from);
            auto space = reader.prepare(n);
            std::copy_n(stream.data() + from, n, space.data());  // stands in for recv()
            reader.commit(n);
            for (;;) {
                auto item = reader.next();
                if (!item || std::holds_alternative<wire::NeedMore>(*item)) break;
                blocks += std::get<wire::Piece>(std::get<wire::Message>(*item)).block.size();
            }
        }
        benchmark::DoNotOptimize(blocks);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kStreamMessages));
}
BENCHMARK(BM_DecodePieceStreamPrepareCommit);

// Small control messages: decode throughput in messages per second.
void BM_DecodeHaveStream(benchmark::State& state) {
    std::vector<std::uint8_t> stream;
    for (std::uint32_t i = 0; i < 10000; ++i)
        wire::encode(wire::Message{wire::Have{PieceIndex{i % kPieces}}}, stream);
    wire::MessageReader reader(kPieces);
    for (auto _ : state) {
        reader.feed(stream);
        std::size_t count = 0;
        for (;;) {
            auto item = reader.next();
            if (!item || std::holds_alternative<wire::NeedMore>(*item)) break;
            ++count;
        }
        benchmark::DoNotOptimize(count);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 10000));
}
BENCHMARK(BM_DecodeHaveStream);

void BM_EncodePieceHeader(benchmark::State& state) {
    std::uint32_t i = 0;
    for (auto _ : state) {
        auto header = wire::encode_piece_header(PieceIndex{i}, i * 16384, wire::kMaxBlockSize);
        benchmark::DoNotOptimize(header);
        ++i;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodePieceHeader);

void BM_EncodeRequests(benchmark::State& state) {
    std::vector<std::uint8_t> out;
    out.reserve(13 * 17 * 1000);
    for (auto _ : state) {
        out.clear();
        for (std::uint32_t i = 0; i < 1000; ++i)
            wire::encode(wire::Message{wire::Request{PieceIndex{i}, 0, wire::kMaxBlockSize}}, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 1000));
}
BENCHMARK(BM_EncodeRequests);

}  // namespace
