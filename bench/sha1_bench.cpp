#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/sha1.hpp"

namespace {

// Piece-sized inputs, comparable with `openssl speed -evp sha1` at its largest block sizes.
void BM_Sha1Piece(benchmark::State& state) {
    const std::vector<std::uint8_t> piece(static_cast<std::size_t>(state.range(0)), 0x5a);
    bt::crypto::Sha1 hasher;
    for (auto _ : state) {
        hasher.update(piece);
        auto digest = hasher.finish();
        benchmark::DoNotOptimize(digest);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * piece.size()));
}
BENCHMARK(BM_Sha1Piece)->Arg(16 * 1024)->Arg(256 * 1024)->Arg(1024 * 1024);

}  // namespace
