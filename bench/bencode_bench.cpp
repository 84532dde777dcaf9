#include <benchmark/benchmark.h>

#include <string>

#include "bencode/decode.hpp"
#include "bencode/encode.hpp"

namespace {

// A .torrent-shaped document: a dict with a 1000-entry file list and 20 KiB of piece hashes.
std::string make_torrent_like() {
    std::string files;
    for (int i = 0; i < 1000; ++i)
        files += "d6:lengthi" + std::to_string(1000 + i) + "e4:pathl3:dir9:file" +
                 std::to_string(100000 + i).substr(1) + "ee";
    const std::string pieces(20 * 1024, 'x');
    return "d8:announce23:http://127.0.0.1:6969/a4:infod5:filesl" + files +
           "e4:name4:test12:piece lengthi262144e6:pieces" + std::to_string(pieces.size()) + ":" + pieces +
           "ee";
}

void BM_BencodeDecode(benchmark::State& state) {
    const std::string doc = make_torrent_like();
    if (!bt::bencode::decode(doc)) {
        state.SkipWithError("the generated document does not decode");
        return;
    }
    for (auto _ : state) {
        auto r = bt::bencode::decode(doc);
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * doc.size()));
}
BENCHMARK(BM_BencodeDecode);

void BM_BencodeEncode(benchmark::State& state) {
    const std::string doc = make_torrent_like();
    auto value = bt::bencode::decode(doc);
    if (!value) {
        state.SkipWithError("the generated document does not decode");
        return;
    }
    for (auto _ : state) {
        auto out = bt::bencode::encode(*value);
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * doc.size()));
}
BENCHMARK(BM_BencodeEncode);

}  // namespace
