#include "tracker/announcer.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace bt::tracker {

Announcer::Announcer(std::vector<std::vector<std::string>> tiers, AnnouncerSettings settings)
    : settings_(settings), retry_(settings.first_retry) {
    for (auto& tier : tiers) {
        if (!tier.empty()) tiers_.push_back(std::move(tier));
    }
}

std::size_t Announcer::num_urls() const noexcept {
    std::size_t n = 0;
    for (const auto& tier : tiers_) n += tier.size();
    return n;
}

std::pair<std::size_t, std::size_t> Announcer::locate(std::size_t position) const noexcept {
    for (std::size_t t = 0; t < tiers_.size(); ++t) {
        if (position < tiers_[t].size()) return {t, position};
        position -= tiers_[t].size();
    }
    return {tiers_.size(), 0};
}

Event Announcer::round_event() const noexcept {
    if (!started_announced_) return Event::started;
    if (completed_pending_) return Event::completed;
    return Event::none;
}

std::optional<NextAnnounce> Announcer::next_deadline() const {
    if (done_ || position_ >= num_urls()) return std::nullopt;
    const auto [tier, index] = locate(position_);
    NextAnnounce next;
    next.url = tiers_[tier][index];
    if (stopping_) {
        next.event = Event::stopped;
    } else {
        next.event = position_ > 0 ? event_in_round_ : round_event();
    }
    next.at = at_;
    return next;
}

void Announcer::on_success(const NextAnnounce& sent, const AnnounceResponse& reply, TimePoint now) {
    if (done_ || position_ >= num_urls()) return;
    // BEP 12: the tracker that answered moves to the front of its tier.
    const auto [tier, index] = locate(position_);
    auto& urls = tiers_[tier];
    std::rotate(urls.begin(), urls.begin() + static_cast<std::ptrdiff_t>(index),
                urls.begin() + static_cast<std::ptrdiff_t>(index) + 1);
    position_ = 0;
    interval_ = reply.interval;
    if (reply.min_interval) interval_ = std::max(interval_, *reply.min_interval);
    if (reply.tracker_id) tracker_id_ = reply.tracker_id;
    if (stopping_) {
        done_ = true;
        return;
    }
    if (sent.event == Event::started) started_announced_ = true;
    if (sent.event == Event::completed) {
        completed_pending_ = false;
        completed_announced_ = true;
    }
    retry_ = settings_.first_retry;
    // A download that completed during this round announces it at once.
    at_ = completed_pending_ && started_announced_ ? now : now + interval_;
}

void Announcer::on_failure(const NextAnnounce& sent, TimePoint now) {
    if (done_ || position_ >= num_urls()) return;
    if (position_ + 1 < num_urls()) {
        // The next tracker of the round, at once, with the event the round started with.
        if (position_ == 0) event_in_round_ = sent.event;
        ++position_;
        at_ = now;
        return;
    }
    position_ = 0;
    if (stopping_) {
        done_ = true;
        return;
    }
    at_ = now + retry_;
    retry_ = std::min(retry_ * 2, settings_.max_retry);
}

void Announcer::on_completed(TimePoint now) {
    if (stopping_ || completed_pending_ || completed_announced_) return;
    completed_pending_ = true;
    at_ = std::min(at_, now);
}

void Announcer::announce_now(TimePoint now) {
    if (stopping_) return;
    at_ = std::min(at_, now);
}

bool Announcer::on_stop(TimePoint now) {
    if (stopping_) return !done_;
    stopping_ = true;
    position_ = 0;
    at_ = now;
    done_ = !started_announced_ || num_urls() == 0;
    return !done_;
}

}  // namespace bt::tracker
