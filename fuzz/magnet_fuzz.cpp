// parse_magnet must never crash or throw; an accepted link carries no empty or duplicate tracker.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "metainfo/magnet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = bt::metainfo::parse_magnet(input);
    if (!parsed) {
        if (parsed.error().code != bt::metainfo::Errc::invalid_magnet) std::abort();
        return 0;
    }
    if (!bt::metainfo::looks_like_magnet(input)) std::abort();
    const auto& tr = parsed->trackers;
    for (std::size_t i = 0; i < tr.size(); ++i) {
        if (tr[i].empty() ||
            std::find(tr.begin() + static_cast<std::ptrdiff_t>(i) + 1, tr.end(), tr[i]) != tr.end())
            std::abort();
    }
    if (parsed->info_hash.hex().size() != 40) std::abort();
    return 0;
}
