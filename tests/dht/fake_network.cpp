#include "dht/fake_network.hpp"

#include "dht/node_id.hpp"

namespace bt::dht::test {

using namespace std::chrono_literals;

FakeNetwork::FakeNetwork(std::uint64_t seed) : rng_(seed), now_(TimePoint{} + 24h) {}

Endpoint FakeNetwork::address_of(std::size_t index) {
    return Endpoint::v4({5, 0, static_cast<std::uint8_t>(index >> 8), static_cast<std::uint8_t>(index)},
                        6881);
}

NodeId FakeNetwork::id_for(const Endpoint& address) {
    return node_id_for_address(address, static_cast<std::uint8_t>(rng_.next()), rng_);
}

Node& FakeNetwork::add(const Endpoint& address, NodeSettings settings) {
    auto node =
        std::make_unique<Node>(std::move(settings), id_for(address), address.family, rng_.next(), now_);
    Node& added = *node;
    nodes_[address] = std::move(node);
    order_.push_back(address);
    return added;
}

void FakeNetwork::collect(const Endpoint& address, std::vector<Datagram>& queue) {
    Node& node = *nodes_.at(address);
    for (auto& out : node.take_outgoing())
        queue.push_back(Datagram{address, out.to, std::move(out.datagram)});
    for (auto& event : node.take_events()) events_[address].push_back(std::move(event));
}

void FakeNetwork::pump() {
    std::vector<Datagram> queue;
    for (const auto& address : order_) collect(address, queue);
    for (int round = 0; round < 10000 && !queue.empty(); ++round) {
        std::vector<Datagram> next;
        for (auto& datagram : queue) {
            ++datagrams_;
            const auto it = nodes_.find(datagram.to);
            if (it == nodes_.end()) {
                outsiders_[datagram.to].push_back(std::move(datagram.bytes));
                continue;
            }
            if (silent_.contains(datagram.to)) continue;
            if (loss_ > 0 && static_cast<double>(rng_.below(1'000'000)) < loss_ * 1'000'000) continue;
            it->second->receive(datagram.from, datagram.bytes, now_);
            collect(datagram.to, next);
        }
        queue = std::move(next);
    }
}

void FakeNetwork::run_for(std::chrono::milliseconds duration, std::chrono::milliseconds step) {
    const TimePoint end = now_ + duration;
    while (now_ < end) {
        now_ += step;
        for (const auto& address : order_) {
            if (!silent_.contains(address)) nodes_.at(address)->tick(now_);
        }
        pump();
    }
}

void FakeNetwork::inject(const Endpoint& from, const Endpoint& to, std::string_view datagram) {
    nodes_.at(to)->receive(from, datagram, now_);
    pump();
}

void FakeNetwork::set_silent(const Endpoint& address, bool silent) {
    if (silent) {
        silent_.insert(address);
    } else {
        silent_.erase(address);
    }
}

}  // namespace bt::dht::test
