#pragma once
// Announcer: when to announce to which tracker, with which event. Pure: the caller passes `now`, sends
// the announce next_deadline() names when it is due, and reports the outcome with on_success or
// on_failure.
//
// BEP 12: "The tiers of announces will be processed sequentially; all URLs in each tier must be checked
// before the client goes on to the next tier. [...] If a connection with a tracker is successful, it will
// be moved to the front of the tier." One round tries the trackers in that order until one answers.
//
// Events (BEP 3): 'started' first, until a tracker took it; 'completed' once, after 'started', when the
// download finishes (never when the torrent was complete from the start); 'stopped' at the end, only when
// 'started' was announced; none otherwise. A round that succeeds waits the tracker's interval (at least
// its "min interval"); a round that fails waits 30 s, doubling up to 30 min, until one succeeds. When
// the download completes, the wait ends at once.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tracker/types.hpp"

namespace bt::tracker {

struct AnnouncerSettings {
    std::chrono::seconds first_retry{30};                      // after a round where no tracker answered
    std::chrono::seconds max_retry{std::chrono::minutes(30)};  // the retry doubles up to this
};

struct NextAnnounce {
    using TimePoint = std::chrono::steady_clock::time_point;
    std::string url;
    Event event = Event::none;
    TimePoint at{};  // due from then on (a time point in the past: at once)

    friend bool operator==(const NextAnnounce&, const NextAnnounce&) = default;
};

class Announcer {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // `tiers` as in the metainfo (empty tiers are ignored). The first announce ('started') is due at once.
    explicit Announcer(std::vector<std::vector<std::string>> tiers, AnnouncerSettings settings = {});

    // The announce to send next, or nullopt: no trackers, or the 'stopped' round is over.
    std::optional<NextAnnounce> next_deadline() const;

    // `sent` (from next_deadline()) was answered. Ends the round: its tracker moves to the front of its
    // tier, the interval and tracker id are taken from the reply. After 'stopped', nothing more is due.
    void on_success(const NextAnnounce& sent, const AnnounceResponse& reply, TimePoint now);
    // `sent` got no usable answer: the next tracker of the round is due at once; after the last one,
    // the round failed and the retry wait follows ('stopped': nothing more is due).
    void on_failure(const NextAnnounce& sent, TimePoint now);
    // The download finished: 'completed' is due at once (after 'started', if that is still owed).
    void on_completed(TimePoint now);
    // The user asked for an announce now (Transmission's torrent-reannounce): the next one is due at once,
    // with the event it would carry anyway. Nothing changes while stopping.
    void announce_now(TimePoint now);
    // Shutting down: a 'stopped' round is due at once when 'started' was announced (returns whether it
    // was); then next_deadline() offers only that round's trackers.
    bool on_stop(TimePoint now);

    // The wait after a successful round: the tracker's interval, at least its min interval.
    std::chrono::seconds interval() const noexcept { return interval_; }
    const std::optional<std::string>& tracker_id() const noexcept { return tracker_id_; }
    bool started_announced() const noexcept { return started_announced_; }
    const std::vector<std::vector<std::string>>& tiers() const noexcept { return tiers_; }

  private:
    // The event a new round sends.
    Event round_event() const noexcept;
    std::size_t num_urls() const noexcept;
    // (tier, index in tier) of the position'th URL in tier order.
    std::pair<std::size_t, std::size_t> locate(std::size_t position) const noexcept;

    AnnouncerSettings settings_;
    std::vector<std::vector<std::string>> tiers_;
    std::size_t position_ = 0;            // the URL of the round to try next, counted over all tiers
    Event event_in_round_ = Event::none;  // fixed by the round's first attempt (position_ > 0)
    TimePoint at_{};
    std::chrono::seconds retry_;
    std::chrono::seconds interval_ = kDefaultInterval;
    std::optional<std::string> tracker_id_;
    bool started_announced_ = false;
    bool completed_pending_ = false;
    bool completed_announced_ = false;
    bool stopping_ = false;
    bool done_ = false;  // the 'stopped' round is over (or no 'stopped' is owed)
};

}  // namespace bt::tracker
