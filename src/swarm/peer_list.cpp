#include "swarm/peer_list.hpp"

#include <algorithm>
#include <cassert>

namespace bt::swarm {

namespace {

std::uint8_t bit(PeerSource source) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(source));
}

}  // namespace

const char* source_name(PeerSource source) noexcept {
    switch (source) {
        case PeerSource::tracker:
            return "tracker";
        case PeerSource::given:
            return "given";
        case PeerSource::incoming:
            return "incoming";
        case PeerSource::pex:
            return "pex";
        case PeerSource::dht:
            return "dht";
    }
    return "?";
}

std::chrono::seconds reconnect_backoff(std::uint32_t failures) noexcept {
    const auto shifted = kFirstReconnectBackoff * (1u << std::min<std::uint32_t>(failures, 6));
    return std::min<std::chrono::seconds>(shifted, kMaxReconnectBackoff);
}

PeerList::PeerList(PeerListSettings settings) : settings_(settings) {}

void PeerList::apply_settings(const PeerListSettings& settings) {
    assert(settings.is_private == settings_.is_private);
    settings_.max_size = settings.max_size;
    if (entries_.size() > settings_.max_size) forget_failed_peers(entries_.size() - settings_.max_size);
}

AddResult PeerList::add(const Endpoint& endpoint, PeerSource source) {
    bool failed_left = true;
    return add_one(endpoint, source, failed_left);
}

std::size_t PeerList::add(std::span<const Endpoint> endpoints, PeerSource source) {
    bool failed_left = true;
    std::size_t added = 0;
    for (const auto& e : endpoints) {
        if (add_one(e, source, failed_left) == AddResult::added) ++added;
    }
    return added;
}

AddResult PeerList::add_one(const Endpoint& endpoint, PeerSource source, bool& failed_left) {
    if (endpoint.port == 0) return AddResult::refused;
    if (settings_.is_private && (source == PeerSource::pex || source == PeerSource::dht))
        return AddResult::refused;
    if (auto it = entries_.find(endpoint); it != entries_.end()) {
        it->second.sources |= bit(source);
        return AddResult::known;
    }
    if (source != PeerSource::given && entries_.size() >= settings_.max_size) {
        // More than one when the bound was lowered: the list shrinks back to it as addresses fail.
        failed_left = failed_left && forget_failed_peers(entries_.size() - settings_.max_size + 1) > 0;
        if (!failed_left) return AddResult::dropped;
    }
    entries_[endpoint].sources = bit(source);
    return AddResult::added;
}

std::size_t PeerList::forget_failed_peers(std::size_t count) {
    std::vector<std::map<Endpoint, Entry>::iterator> failed;
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        const auto& p = it->second;
        if (p.failures == 0 || p.connected || p.connecting || p.banned || p.is_self || p.is_given()) continue;
        failed.push_back(it);
    }
    count = std::min(count, failed.size());
    // Only the first `count` are sorted: O(failed) for the usual single address.
    std::partial_sort(failed.begin(), failed.begin() + static_cast<std::ptrdiff_t>(count), failed.end(),
                      [](const auto& a, const auto& b) {
                          if (a->second.failures != b->second.failures)
                              return a->second.failures > b->second.failures;
                          return a->first < b->first;
                      });
    for (std::size_t i = 0; i < count; ++i) entries_.erase(failed[i]);
    return count;
}

std::vector<Endpoint> PeerList::pick_to_dial(TimePoint now, const DialLimits& limits,
                                             const std::function<bool(const Endpoint&)>& skip) {
    std::vector<Endpoint> out;
    // Two passes when encrypted_first: the peers that prefer encryption, then the rest.
    for (const bool encrypted_pass : {true, false}) {
        if (encrypted_pass && !limits.encrypted_first) continue;
        for (auto& [endpoint, p] : entries_) {
            if (limits.connected + connecting_ >= limits.max_peers || connecting_ >= limits.max_half_open)
                return out;
            if (limits.encrypted_first && p.prefers_encryption != encrypted_pass) continue;
            if (p.connected || p.connecting || p.banned || p.is_self || p.next_attempt > now) continue;
            if (limits.seeding && !p.is_given()) continue;
            if (skip && skip(endpoint)) continue;
            p.connecting = true;
            ++connecting_;
            out.push_back(endpoint);
        }
    }
    return out;
}

PeerList::Entry& PeerList::entry(const Endpoint& endpoint) {
    return entries_[endpoint];
}

void PeerList::stop_connecting(Entry& e) {
    if (!e.connecting) return;
    e.connecting = false;
    --connecting_;
}

void PeerList::on_connected(const Endpoint& endpoint) {
    auto& e = entry(endpoint);
    stop_connecting(e);
    e.connected = true;
    e.failures = 0;
}

void PeerList::on_dial_failed(const Endpoint& endpoint, TimePoint now) {
    auto& e = entry(endpoint);
    stop_connecting(e);
    ++e.failures;
    e.next_attempt = now + reconnect_backoff(e.failures);
}

void PeerList::make_all_due(TimePoint now) {
    for (auto& [endpoint, e] : entries_) e.next_attempt = std::min(e.next_attempt, now);
}

void PeerList::on_dial_refused(const Endpoint& endpoint, TimePoint now) {
    auto& e = entry(endpoint);
    stop_connecting(e);
    e.next_attempt = now + reconnect_backoff(e.failures + 1);
}

void PeerList::on_self(const Endpoint& endpoint) {
    entry(endpoint).is_self = true;
}

void PeerList::on_plaintext_worked(const Endpoint& endpoint) {
    entry(endpoint).plaintext_works = true;
}

void PeerList::on_disconnected(const Endpoint& endpoint, TimePoint now) {
    auto& e = entry(endpoint);
    e.connected = false;
    e.next_attempt = now + reconnect_backoff(e.failures++);
}

void PeerList::on_stopped(const Endpoint& endpoint) {
    auto& e = entry(endpoint);
    stop_connecting(e);
    e.connected = false;
    e.next_attempt = {};
}

void PeerList::ban(const Endpoint& endpoint) {
    entry(endpoint).banned = true;
}

void PeerList::mark_prefers_encryption(const Endpoint& endpoint) {
    if (const auto it = entries_.find(endpoint); it != entries_.end()) it->second.prefers_encryption = true;
}

bool PeerList::is_banned(const Endpoint& endpoint) const {
    const auto* e = find(endpoint);
    return e != nullptr && e->banned;
}

bool PeerList::plaintext_works(const Endpoint& endpoint) const {
    const auto* e = find(endpoint);
    return e != nullptr && e->plaintext_works;
}

const PeerList::Entry* PeerList::find(const Endpoint& endpoint) const {
    auto it = entries_.find(endpoint);
    return it == entries_.end() ? nullptr : &it->second;
}

bool PeerList::has_given() const {
    return std::any_of(entries_.begin(), entries_.end(), [](const auto& e) { return e.second.is_given(); });
}

}  // namespace bt::swarm
