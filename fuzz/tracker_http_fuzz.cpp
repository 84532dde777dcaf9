// HTTP tracker bodies. Oracles: never crash or throw; keep at most max_peers peers; whatever parses
// re-encodes (dictionary peer form, which keeps order and peer ids) to a body that parses to the same
// response, minus the skipped and dropped counts. Scrape bodies round-trip the same way (hash order).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tracker/http_response.hpp"

namespace {

void check_announce(std::string_view body) {
    bt::tracker::ResponseLimits limits;
    limits.max_peers = 64;  // small, so the bound is exercised
    auto parsed = bt::tracker::parse_announce_response(body, limits);
    if (!parsed) return;
    if (parsed->peers.size() > limits.max_peers) std::abort();
    if (parsed->interval < limits.interval_floor || parsed->interval > limits.interval_ceiling) std::abort();
    auto expected = *parsed;
    expected.invalid_peers = 0;
    expected.dropped_peers = 0;
    auto again =
        bt::tracker::parse_announce_response(bt::tracker::encode_announce_response(*parsed, false), limits);
    if (!again || !(*again == expected)) std::abort();
    if (!bt::tracker::parse_announce_response(bt::tracker::encode_announce_response(*parsed, true), limits)) {
        std::abort();
    }
}

void check_scrape(std::string_view body) {
    auto parsed = bt::tracker::parse_scrape_response(body);
    if (!parsed) return;
    auto expected = *parsed;
    std::sort(expected.files.begin(), expected.files.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    auto again = bt::tracker::parse_scrape_response(bt::tracker::encode_scrape_response(*parsed));
    if (!again || !(*again == expected)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    check_announce(body);
    check_scrape(body);
    return 0;
}
