#include "http/login_throttle.hpp"

#include <algorithm>

namespace bt::http {

LoginThrottle::Clock::duration LoginThrottle::delay_after(std::size_t failures) const {
    if (failures == 0) return Clock::duration::zero();
    Clock::duration delay = settings_.first_delay;
    for (std::size_t i = 1; i < failures && delay < settings_.max_delay; ++i) delay *= 2;
    return std::min(delay, settings_.max_delay);
}

LoginThrottle::Clock::duration LoginThrottle::wait_before_check(const std::string& address,
                                                                Clock::time_point now) {
    return *wait_within(address, now, Clock::duration::max());
}

std::optional<LoginThrottle::Clock::duration> LoginThrottle::wait_within(const std::string& address,
                                                                         Clock::time_point now,
                                                                         Clock::duration max_wait) {
    const auto it = entries_.find(address);
    if (it == entries_.end()) return Clock::duration::zero();
    Entry& entry = it->second;
    if (now - entry.last_failure > settings_.forget_after) {
        entries_.erase(it);
        return Clock::duration::zero();
    }
    const Clock::time_point start = std::max(now, entry.next_check);
    if (start - now > max_wait) return std::nullopt;
    entry.next_check = start + delay_after(entry.failures);
    return start - now;
}

void LoginThrottle::on_failure(const std::string& address, Clock::time_point now) {
    if (!entries_.contains(address)) make_room(now);
    Entry& entry = entries_[address];
    ++entry.failures;
    entry.last_failure = now;
    entry.next_check = std::max(entry.next_check, now + delay_after(entry.failures));
}

void LoginThrottle::on_success(const std::string& address) {
    entries_.erase(address);
}

std::size_t LoginThrottle::failures(const std::string& address) const {
    const auto it = entries_.find(address);
    return it == entries_.end() ? 0 : it->second.failures;
}

void LoginThrottle::make_room(Clock::time_point now) {
    if (entries_.size() < settings_.max_addresses) return;
    std::erase_if(entries_,
                  [&](const auto& item) { return now - item.second.last_failure > settings_.forget_after; });
    while (entries_.size() >= settings_.max_addresses) {
        // Full of recent failures: the address that failed longest ago starts over.
        const auto oldest = std::min_element(
            entries_.begin(), entries_.end(),
            [](const auto& a, const auto& b) { return a.second.last_failure < b.second.last_failure; });
        entries_.erase(oldest);
    }
}

}  // namespace bt::http
