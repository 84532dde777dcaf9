#include "dht/routing_table.hpp"

#include <algorithm>

#include "dht/node_id.hpp"

namespace bt::dht {

RoutingTable::RoutingTable(const NodeId& self, std::size_t bucket_size, TimePoint now)
    : self_(self), bucket_size_(std::max<std::size_t>(bucket_size, 1)) {
    buckets_.push_back(Bucket{.live = {}, .replacements = {}, .last_changed = now});
}

NodeStatus RoutingTable::status(const RoutingEntry& entry, TimePoint now) const noexcept {
    if (entry.timeouts >= kMaxTimeouts) return NodeStatus::bad;
    const bool answered_lately =
        entry.last_response != TimePoint{} && now - entry.last_response < kNodeGoodFor;
    const bool queried_lately = entry.last_response != TimePoint{} &&
                                entry.last_query_received != TimePoint{} &&
                                now - entry.last_query_received < kNodeGoodFor;
    return answered_lately || queried_lately ? NodeStatus::good : NodeStatus::questionable;
}

std::size_t RoutingTable::bucket_index(const NodeId& id) const noexcept {
    return std::min(common_prefix_length(self_, id), buckets_.size() - 1);
}

bool RoutingTable::can_split(std::size_t index) const noexcept {
    return index + 1 == buckets_.size() && buckets_.size() < kNodeIdBits;
}

void RoutingTable::split_last() {
    const std::size_t old_index = buckets_.size() - 1;
    buckets_.push_back(
        Bucket{.live = {}, .replacements = {}, .last_changed = buckets_[old_index].last_changed});
    Bucket& near = buckets_.back();
    Bucket& far = buckets_[old_index];
    const auto moves = [&](const RoutingEntry& e) {
        return common_prefix_length(self_, e.node.id) > old_index;
    };
    for (auto* list : {&far.live, &far.replacements}) {
        auto& target = list == &far.live ? near.live : near.replacements;
        for (const auto& entry : *list) {
            if (moves(entry)) target.push_back(entry);
        }
        std::erase_if(*list, moves);
    }
    // Either half may have room now: the newest replacements take it.
    for (Bucket* bucket : {&far, &near}) {
        while (bucket->live.size() < bucket_size_ && !bucket->replacements.empty()) {
            bucket->live.push_back(bucket->replacements.back());
            bucket->replacements.pop_back();
        }
    }
}

RoutingEntry* RoutingTable::find_live(const NodeId& id) {
    auto& live = buckets_[bucket_index(id)].live;
    const auto it =
        std::find_if(live.begin(), live.end(), [&](const RoutingEntry& e) { return e.node.id == id; });
    return it == live.end() ? nullptr : &*it;
}

const RoutingEntry* RoutingTable::find(const NodeId& id) const {
    const auto& live = buckets_[bucket_index(id)].live;
    const auto it =
        std::find_if(live.begin(), live.end(), [&](const RoutingEntry& e) { return e.node.id == id; });
    return it == live.end() ? nullptr : &*it;
}

bool RoutingTable::free_endpoint(const Endpoint& endpoint, const NodeId& new_id, TimePoint now) {
    const auto holds = [&](const RoutingEntry& e) {
        return e.node.endpoint == endpoint && e.node.id != new_id;
    };
    for (auto& bucket : buckets_) {
        for (const auto& entry : bucket.live) {
            if (holds(entry) && status(entry, now) == NodeStatus::good) return false;
        }
    }
    for (auto& bucket : buckets_) {
        std::erase_if(bucket.live, holds);
        std::erase_if(bucket.replacements, holds);
    }
    return true;
}

Placement RoutingTable::on_answer(const NodeInfo& node, TimePoint now) {
    if (node.id == self_) return Placement::rejected;
    if (RoutingEntry* entry = find_live(node.id)) {
        if (entry->node.endpoint != node.endpoint) return Placement::rejected;
        entry->last_response = now;
        entry->timeouts = 0;
        buckets_[bucket_index(node.id)].last_changed = now;
        return Placement::live;
    }
    auto& cached = buckets_[bucket_index(node.id)].replacements;
    const auto same_id = [&](const RoutingEntry& e) { return e.node.id == node.id; };
    if (const auto it = std::find_if(cached.begin(), cached.end(), same_id);
        it != cached.end() && it->node.endpoint != node.endpoint) {
        return Placement::rejected;
    }
    std::erase_if(cached, same_id);  // re-added below as the newest
    if (!free_endpoint(node.endpoint, node.id, now)) return Placement::rejected;

    const RoutingEntry entry{.node = node, .last_response = now};
    for (;;) {
        const std::size_t index = bucket_index(node.id);
        Bucket& bucket = buckets_[index];
        if (bucket.live.size() < bucket_size_) {
            bucket.live.push_back(entry);
            bucket.last_changed = now;
            return Placement::live;
        }
        const auto bad = std::find_if(bucket.live.begin(), bucket.live.end(), [&](const RoutingEntry& e) {
            return status(e, now) == NodeStatus::bad;
        });
        if (bad != bucket.live.end()) {
            *bad = entry;
            bucket.last_changed = now;
            return Placement::live;
        }
        if (!can_split(index)) {
            bucket.replacements.push_back(entry);
            if (bucket.replacements.size() > bucket_size_)
                bucket.replacements.erase(bucket.replacements.begin());
            return Placement::replacement;
        }
        split_last();
    }
}

void RoutingTable::on_query(const NodeInfo& node, TimePoint now) {
    if (RoutingEntry* entry = find_live(node.id); entry != nullptr && entry->node.endpoint == node.endpoint) {
        entry->last_query_received = now;
    }
}

void RoutingTable::on_timeout(const NodeInfo& node, TimePoint now) {
    Bucket& bucket = buckets_[bucket_index(node.id)];
    std::erase_if(bucket.replacements, [&](const RoutingEntry& e) { return e.node == node; });
    RoutingEntry* entry = find_live(node.id);
    if (entry == nullptr || entry->node.endpoint != node.endpoint) return;
    ++entry->timeouts;
    if (status(*entry, now) == NodeStatus::bad && !bucket.replacements.empty()) {
        *entry = bucket.replacements.back();
        bucket.replacements.pop_back();
        bucket.last_changed = now;
    }
}

bool RoutingTable::would_accept(const NodeId& id, const Endpoint& endpoint) const {
    if (id == self_ || find(id) != nullptr) return false;
    for (const auto& bucket : buckets_) {
        for (const auto& entry : bucket.live) {
            if (entry.node.endpoint == endpoint) return false;
        }
    }
    const std::size_t index = bucket_index(id);
    const Bucket& bucket = buckets_[index];
    if (bucket.live.size() < bucket_size_ || can_split(index)) return true;
    return std::any_of(bucket.live.begin(), bucket.live.end(),
                       [](const RoutingEntry& e) { return e.timeouts >= kMaxTimeouts; });
}

std::vector<NodeInfo> RoutingTable::closest(const NodeId& target, std::size_t count,
                                            const std::function<bool(const NodeInfo&)>& keep) const {
    std::vector<NodeInfo> nodes;
    for (const auto& bucket : buckets_) {
        for (const auto& entry : bucket.live) {
            if (entry.timeouts >= kMaxTimeouts) continue;
            if (keep && !keep(entry.node)) continue;
            nodes.push_back(entry.node);
        }
    }
    const auto by_distance = [&](const NodeInfo& a, const NodeInfo& b) { return closer(target, a.id, b.id); };
    const std::size_t n = std::min(count, nodes.size());
    std::partial_sort(nodes.begin(), nodes.begin() + static_cast<std::ptrdiff_t>(n), nodes.end(),
                      by_distance);
    nodes.resize(n);
    return nodes;
}

std::vector<std::size_t> RoutingTable::stale_buckets(TimePoint now, std::chrono::nanoseconds refresh) const {
    std::vector<std::size_t> stale;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        if (now - buckets_[i].last_changed >= refresh) stale.push_back(i);
    }
    return stale;
}

NodeId RoutingTable::random_id_in_bucket(std::size_t index, Rng& rng) const {
    // Bucket i < last holds the ids that share exactly i bits with ours; the last one all ids sharing more.
    const bool last = index + 1 >= buckets_.size();
    return random_id_near(self_, std::min(index, buckets_.size() - 1), !last, rng);
}

void RoutingTable::touch_bucket(std::size_t index, TimePoint now) {
    if (index < buckets_.size()) buckets_[index].last_changed = now;
}

std::vector<NodeInfo> RoutingTable::take_nodes_to_ping(TimePoint now, std::chrono::nanoseconds retry,
                                                       std::size_t max) {
    std::vector<NodeInfo> nodes;
    for (auto& bucket : buckets_) {
        for (auto& entry : bucket.live) {
            if (nodes.size() >= max) return nodes;
            if (status(entry, now) == NodeStatus::good) continue;
            if (entry.last_ping != TimePoint{} && now - entry.last_ping < retry) continue;
            entry.last_ping = now;
            nodes.push_back(entry.node);
        }
    }
    return nodes;
}

std::vector<RoutingEntry> RoutingTable::entries() const {
    std::vector<RoutingEntry> all;
    for (const auto& bucket : buckets_) all.insert(all.end(), bucket.live.begin(), bucket.live.end());
    return all;
}

std::size_t RoutingTable::size(TimePoint now) const {
    std::size_t n = 0;
    for (const auto& bucket : buckets_) {
        n += static_cast<std::size_t>(
            std::count_if(bucket.live.begin(), bucket.live.end(),
                          [&](const RoutingEntry& e) { return status(e, now) != NodeStatus::bad; }));
    }
    return n;
}

std::size_t RoutingTable::replacement_count() const {
    std::size_t n = 0;
    for (const auto& bucket : buckets_) n += bucket.replacements.size();
    return n;
}

}  // namespace bt::dht
