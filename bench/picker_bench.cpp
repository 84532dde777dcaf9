#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "swarm/piece_picker.hpp"

namespace {

using bt::Bitfield;
using bt::PieceIndex;
using bt::swarm::Block;
using bt::swarm::PeerId;
using bt::swarm::PickerConfig;
using bt::swarm::PiecePicker;

constexpr std::uint32_t kPieces = 10'000;
constexpr std::uint32_t kPeers = 50;
constexpr std::uint32_t kPieceLength = 256 * 1024;  // 16 blocks

struct Swarm {
    PiecePicker picker;
    std::vector<Bitfield> has;
};

// 10k pieces, 50 peers that each have about half of them (a few are seeds).
Swarm make_swarm(std::uint64_t seed) {
    PickerConfig config;
    config.num_pieces = kPieces;
    config.piece_length = kPieceLength;
    config.total_size = std::uint64_t{kPieces} * kPieceLength;
    config.seed = seed;
    auto picker = PiecePicker::create(config);
    std::mt19937_64 rng(seed);
    std::vector<Bitfield> has;
    for (std::uint32_t p = 0; p < kPeers; ++p) {
        Bitfield f(kPieces, p % 10 == 0);
        if (p % 10 != 0) {
            for (std::uint32_t i = 0; i < kPieces; ++i) {
                if (rng() % 2 == 0) f.set(PieceIndex{i});
            }
        }
        (void)picker->add_peer_bitfield(f);
        has.push_back(std::move(f));
    }
    return Swarm{std::move(*picker), std::move(has)};
}

// Steady state: one peer asks for 16 blocks; they come back before its next turn.
void BM_PickReceiveVerify(benchmark::State& state) {
    Swarm swarm = make_swarm(1);
    std::uint32_t peer = 0;
    std::int64_t blocks = 0;
    for (auto _ : state) {
        if (swarm.picker.is_finished()) {
            state.PauseTiming();
            swarm = make_swarm(blocks + 1);
            state.ResumeTiming();
        }
        const auto picked = swarm.picker.pick(PeerId{peer}, swarm.has[peer], 16);
        for (const Block& b : picked) {
            if (swarm.picker.on_block_received(PeerId{peer}, b).piece_complete) {
                swarm.picker.on_piece_verified(b.piece);
            }
        }
        blocks += static_cast<std::int64_t>(picked.size());
        peer = (peer + 1) % kPeers;
    }
    state.SetItemsProcessed(blocks);
}
BENCHMARK(BM_PickReceiveVerify);

// pick() alone, with requests kept outstanding: every peer has a few pieces in flight.
void BM_PickWithOutstandingRequests(benchmark::State& state) {
    Swarm swarm = make_swarm(2);
    for (std::uint32_t p = 0; p < kPeers; ++p) (void)swarm.picker.pick(PeerId{p}, swarm.has[p], 32);
    std::uint32_t peer = 0;
    for (auto _ : state) {
        auto picked = swarm.picker.pick(PeerId{peer}, swarm.has[peer], 4);
        benchmark::DoNotOptimize(picked);
        for (const Block& b : picked) (void)swarm.picker.on_request_rejected(PeerId{peer}, b);
        peer = (peer + 1) % kPeers;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PickWithOutstandingRequests);

// Downloading the whole torrent: 160k blocks from 50 peers, 16 at a time.
void BM_FullDownload(benchmark::State& state) {
    for (auto _ : state) {
        state.PauseTiming();
        Swarm swarm = make_swarm(3);
        state.ResumeTiming();
        std::uint32_t peer = 0;
        while (!swarm.picker.is_finished()) {
            for (const Block& b : swarm.picker.pick(PeerId{peer}, swarm.has[peer], 16)) {
                if (swarm.picker.on_block_received(PeerId{peer}, b).piece_complete) {
                    swarm.picker.on_piece_verified(b.piece);
                }
            }
            peer = (peer + 1) % kPeers;
        }
    }
    state.SetItemsProcessed(state.iterations() * kPieces);
}
BENCHMARK(BM_FullDownload)->Unit(benchmark::kMillisecond);

// A peer connects (bitfield counted) and leaves again.
void BM_AddRemovePeerBitfield(benchmark::State& state) {
    Swarm swarm = make_swarm(4);
    const Bitfield& f = swarm.has[1];
    for (auto _ : state) {
        (void)swarm.picker.add_peer_bitfield(f);
        (void)swarm.picker.remove_peer_bitfield(f);
    }
    state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_AddRemovePeerBitfield);

}  // namespace
