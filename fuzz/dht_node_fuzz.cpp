// A dht::Node driven by the fuzzer: the input is a script of steps, each one of
//   0: a raw datagram (2-byte length, then the bytes) from one of a few sources,
//   1: an answer to one of the queries the node sent (same transaction id, from where it went), with an id,
//      nodes, values, a token and an "ip" taken from the input,
//   2: time passing (then tick()),
//   3: a call: get_peers (with or without announce), add_node, cancel, set_external_address.
// Oracles: nothing crashes or throws; every datagram the node sends decodes, fits one UDP datagram and goes
// to a usable address; a response or error is never answered; the stats stay within their bounds; and the
// routing table never holds us, nor an id or an address twice.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dht/krpc.hpp"
#include "dht/node.hpp"

namespace {

using namespace bt;
using namespace bt::dht;

class Input {
  public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::string bytes(std::size_t n) {
        n = std::min(n, size_ - std::min(pos_, size_));
        std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
        pos_ += n;
        return out;
    }
    template <std::size_t N>
    std::array<std::uint8_t, N> array() {
        std::array<std::uint8_t, N> out{};
        for (auto& b : out) b = byte();
        return out;
    }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

const Endpoint kSources[] = {
    Endpoint::v4({1, 2, 3, 4}, 6881),   Endpoint::v4({5, 6, 7, 8}, 51413),
    Endpoint::v4({127, 0, 0, 1}, 6881), Endpoint::v4({192, 168, 1, 9}, 6881),
    Endpoint::v4({9, 9, 9, 9}, 1),
};

NodeSettings small_settings() {
    NodeSettings settings;
    settings.max_queries_in_flight = 32;
    settings.max_lookups = 4;
    settings.max_stored_torrents = 8;
    settings.max_peers_per_torrent = 8;
    settings.max_rate_tracked_addresses = 4;
    return settings;
}

void check(const Node& node, const NodeSettings& settings) {
    const NodeStats stats = node.stats();
    if (stats.buckets == 0 || stats.buckets > 160) std::abort();
    if (stats.nodes > stats.buckets * settings.bucket_size) std::abort();
    if (stats.replacement_nodes > stats.buckets * settings.bucket_size) std::abort();
    if (stats.queries_in_flight > settings.max_queries_in_flight) std::abort();
    if (stats.lookups_running > settings.max_lookups) std::abort();
    if (stats.stored_torrents > settings.max_stored_torrents) std::abort();
    if (stats.stored_peers > settings.max_stored_torrents * settings.max_peers_per_torrent) std::abort();
    // The table: never ourselves, one entry per id and per address, only usable addresses.
    const NodeState state = node.save();
    std::set<NodeId> ids;
    std::set<Endpoint> endpoints;
    for (const auto& entry : state.nodes) {
        if (entry.id == node.id() || entry.endpoint.is_unusable() || entry.endpoint.port == 0) std::abort();
        if (!ids.insert(entry.id).second || !endpoints.insert(entry.endpoint).second) std::abort();
    }
    if (state.nodes.size() != stats.nodes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    const NodeSettings settings = small_settings();
    TimePoint now = TimePoint{} + std::chrono::hours(1);
    NodeId own_id{};
    own_id[0] = 0x5a;
    Node node(settings, own_id, Endpoint::Family::v4, 1234, now);
    std::vector<Outgoing> queries;  // what the node asked, for step 1 (at most 64 kept)

    for (int step = 0; step < 256 && !in.empty(); ++step) {
        const std::uint8_t op = in.byte();
        const Endpoint& source = kSources[(op >> 2) % std::size(kSources)];
        bool fed_reply = false;
        switch (op & 3) {
            case 0: {
                const std::size_t length = (std::size_t{in.byte()} << 8) | in.byte();
                const std::string datagram = in.bytes(length);
                if (auto decoded = decode(datagram);
                    decoded && !std::holds_alternative<Query>(decoded->body)) {
                    fed_reply = true;
                }
                node.receive(source, datagram, now);
                break;
            }
            case 1: {
                if (queries.empty()) break;
                const Outgoing& asked = queries[in.byte() % queries.size()];
                auto query = decode(asked.datagram);
                if (!query) std::abort();
                Response response{.id = in.array<20>()};
                const std::uint8_t shape = in.byte();
                if (shape & 1)
                    response.nodes =
                        decode_compact_nodes(in.bytes(26 * (in.byte() % 12)), Endpoint::Family::v4);
                if (shape & 2) response.token = in.bytes(in.byte() % 12);
                if (shape & 4) {
                    std::vector<Endpoint> values;
                    for (int i = in.byte() % 8; i > 0; --i) {
                        const auto compact = in.array<6>();
                        if (auto peer = endpoint_from_compact(compact)) values.push_back(*peer);
                    }
                    response.values = std::move(values);
                }
                std::optional<Endpoint> ip;
                if (shape & 8) ip = endpoint_from_compact(in.array<6>());
                Message answer{
                    .transaction_id = query->transaction_id, .body = std::move(response), .ip = ip};
                if (shape & 16) answer.body = ErrorReply{.code = 201, .text = "no"};
                fed_reply = true;
                node.receive(asked.to, encode(answer), now);
                break;
            }
            case 2:
                now += std::chrono::milliseconds(in.byte() * 250);
                node.tick(now);
                break;
            default: {
                const std::uint8_t call = in.byte();
                InfoHash hash{};
                hash[0] = in.byte();
                switch (call % 5) {
                    case 0:
                        (void)node.get_peers(hash, std::nullopt, now);
                        break;
                    case 1:
                        (void)node.get_peers(hash, std::uint16_t{call}, now);
                        break;
                    case 2:
                        node.add_node(source, now);
                        break;
                    case 3:
                        node.cancel(call / 5);
                        break;
                    default:
                        node.set_external_address(source, now);
                        break;
                }
            }
        }
        for (auto& out : node.take_outgoing()) {
            if (out.datagram.size() > 1500 || out.to.port == 0 || out.to.is_unusable() || !out.to.is_v4()) {
                std::abort();
            }
            auto message = decode(out.datagram);
            if (!message) std::abort();
            const bool is_query = std::holds_alternative<Query>(message->body);
            if (fed_reply && !is_query) std::abort();  // a response or an error is never answered
            if (is_query) {
                if (queries.size() >= 64) queries.erase(queries.begin());
                queries.push_back(std::move(out));
            }
        }
        (void)node.take_events();
        check(node, settings);
    }
    return 0;
}
