// HTTP tracker bodies. Oracles: never crash or throw; keep at most max_peers peers; whatever parses
// re-encodes (dictionary peer form, which keeps order and peer ids) to a body that parses to the same
// response, minus the skipped and dropped counts. Scrape bodies round-trip the same way (hash order),
// keep at most max_scrape_files entries, and asking for a hash keeps just its entry. The input as an
// announce URL goes through the BEP 48 scrape URL derivation.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/http_response.hpp"
#include "tracker/url.hpp"

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
    bt::tracker::ResponseLimits limits;
    limits.max_scrape_files = 16;  // small, so the bound is exercised
    auto parsed = bt::tracker::parse_scrape_response(body, limits);
    if (!parsed) return;
    if (parsed->files.size() > limits.max_scrape_files) std::abort();
    auto expected = *parsed;
    expected.dropped_files = 0;
    std::sort(expected.files.begin(), expected.files.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    auto again = bt::tracker::parse_scrape_response(bt::tracker::encode_scrape_response(*parsed), limits);
    if (!again || !(*again == expected)) std::abort();
    // Asking for the first hash kept (if any) keeps exactly that one.
    if (parsed->failure_reason || parsed->files.empty()) return;
    const std::vector<bt::tracker::InfoHashBytes> wanted = {parsed->files.front().first};
    auto asked = bt::tracker::parse_scrape_response(body, limits, wanted);
    if (!asked || asked->files.size() != 1 || asked->find(wanted[0]) == nullptr ||
        !(*asked->find(wanted[0]) == parsed->files.front().second)) {
        std::abort();
    }
}

// The input as an announce URL: BEP 48 derivation never crashes, and what it derives has "scrape" where
// "announce" was and can be scraped.
void check_scrape_url(std::string_view url) {
    const auto scrape = bt::tracker::scrape_url_from_announce(url);
    const bool udp = bt::tracker::parse_udp_tracker_url(url).has_value();
    if (bt::tracker::can_scrape(url) != (scrape.has_value() || udp)) std::abort();
    if (!scrape) return;
    if (scrape->size() != url.size() - 2 || scrape->find("scrape") == std::string::npos) std::abort();
    const std::vector<bt::tracker::InfoHashBytes> hashes(2);
    const std::string full = bt::tracker::build_scrape_url(*scrape, hashes);
    if (!full.starts_with(scrape->substr(0, scrape->find('#')))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    check_announce(body);
    check_scrape(body);
    check_scrape_url(body);
    return 0;
}
