// UDP tracker packets (BEP 15). Oracles: never crash or throw; responses that parse re-encode to the
// same bytes (a connect response to its first 16); requests that parse re-encode to a request that parses
// equal. Then the input drives a UdpTrackerTransaction: each chunk is fed as a datagram with the current
// transaction id patched in (so the fuzzer reaches every state) or becomes a timer tick; the transaction
// must stay bounded and end with a result once done.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "tracker/udp_codec.hpp"
#include "tracker/udp_transaction.hpp"

namespace {

using bt::Endpoint;
using namespace bt::tracker;

void check_response(std::span<const std::uint8_t> packet, Endpoint::Family family) {
    auto parsed = parse_udp_response(packet, family, 32);
    if (!parsed) return;
    if (const auto* a = std::get_if<UdpAnnounceResponse>(&*parsed)) {
        if (a->peers.size() > 32) std::abort();
        if (a->dropped_peers > 0) return;  // not every byte was kept
    }
    const auto encoded = encode_udp_response(*parsed);
    const bool connect = std::holds_alternative<UdpConnectResponse>(*parsed);
    const auto expected = connect ? packet.first(kUdpConnectResponseSize) : packet;
    if (!std::equal(encoded.begin(), encoded.end(), expected.begin(), expected.end())) std::abort();
}

void check_request(std::span<const std::uint8_t> packet) {
    auto parsed = parse_udp_request(packet);
    if (!parsed) return;
    auto again = parse_udp_request(encode_udp_request(*parsed));
    if (!again || !(*again == *parsed)) std::abort();
}

std::uint32_t current_tid(const std::vector<std::uint8_t>& last_sent) {
    return (std::uint32_t{last_sent[12]} << 24) | (std::uint32_t{last_sent[13]} << 16) |
           (std::uint32_t{last_sent[14]} << 8) | last_sent[15];
}

void drive_transaction(std::span<const std::uint8_t> input) {
    if (input.empty()) return;
    UdpTransactionSettings settings;
    settings.base_timeout = std::chrono::seconds(1);
    settings.family = (input[0] & 1) ? Endpoint::Family::v6 : Endpoint::Family::v4;
    settings.limits.max_peers = 16;
    const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    std::variant<UdpTrackerTransaction::Announce, UdpTrackerTransaction::Scrape> request;
    if (input[0] & 2) {
        request = UdpTrackerTransaction::Scrape{std::vector<InfoHashBytes>(3)};
    } else {
        request = UdpTrackerTransaction::Announce{AnnounceRequest{}, "/announce"};
    }
    UdpTrackerTransaction t(std::move(request), settings, 1234, t0);
    input = input.subspan(1);
    auto now = t0;
    std::vector<std::uint8_t> last_sent;
    for (int step = 0; step < 64 && !input.empty(); ++step) {
        for (auto& datagram : t.take_output()) {
            if (datagram.size() < 16 || datagram.size() > 98 + 2 + 255) std::abort();
            last_sent = std::move(datagram);
        }
        if (t.done()) break;
        const std::size_t len = std::min<std::size_t>(input[0], input.size() - 1);
        if (input[0] == 0xff) {  // a timer tick at the deadline
            now = *t.next_deadline();
            t.on_timer(now);
            input = input.subspan(1);
            continue;
        }
        std::vector<std::uint8_t> datagram(input.begin() + 1,
                                           input.begin() + 1 + static_cast<std::ptrdiff_t>(len));
        input = input.subspan(1 + len);
        if (datagram.size() >= 8 && !last_sent.empty() && (datagram[0] & 0x80) == 0) {
            const std::uint32_t tid = current_tid(last_sent);
            for (int i = 0; i < 4; ++i) datagram[4 + i] = static_cast<std::uint8_t>(tid >> (24 - 8 * i));
            datagram[0] = 0;  // keep the action's high bytes plausible
        }
        t.feed(datagram, now);
    }
    if (t.done() != t.result().has_value()) std::abort();
    if (t.done() && t.next_deadline()) std::abort();
    if (!t.done() && !t.next_deadline()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    check_response(input, Endpoint::Family::v4);
    check_response(input, Endpoint::Family::v6);
    check_request(input);
    drive_transaction(input);
    return 0;
}
