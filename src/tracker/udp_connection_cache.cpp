#include "tracker/udp_connection_cache.hpp"

#include <algorithm>

namespace bt::tracker {

UdpConnectionCache::UdpConnectionCache(std::chrono::seconds lifetime, std::size_t max_entries)
    : lifetime_(lifetime), max_entries_(std::max<std::size_t>(max_entries, 1)) {}

bool UdpConnectionCache::valid(const UdpConnection& connection, TimePoint now) const {
    return now >= connection.obtained_at && now < connection.obtained_at + lifetime_;
}

std::optional<UdpConnection> UdpConnectionCache::find(const Endpoint& tracker, TimePoint now) const {
    auto it = entries_.find(tracker);
    if (it == entries_.end() || !valid(it->second, now)) return std::nullopt;
    return it->second;
}

void UdpConnectionCache::store(const Endpoint& tracker, const UdpConnection& connection, TimePoint now) {
    if (!valid(connection, now)) {
        entries_.erase(tracker);
        return;
    }
    if (!entries_.contains(tracker) && entries_.size() >= max_entries_) {
        std::erase_if(entries_, [&](const auto& entry) { return !valid(entry.second, now); });
        if (entries_.size() >= max_entries_) {
            auto oldest = std::min_element(
                entries_.begin(), entries_.end(),
                [](const auto& a, const auto& b) { return a.second.obtained_at < b.second.obtained_at; });
            entries_.erase(oldest);
        }
    }
    entries_[tracker] = connection;
}

void UdpConnectionCache::forget(const Endpoint& tracker) {
    entries_.erase(tracker);
}

}  // namespace bt::tracker
