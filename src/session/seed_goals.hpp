#pragma once
// When a complete torrent has seeded enough. Pure: the torrent passes what it uploaded and for how long it
// has seeded, and stops itself once seed_goal_reached() says so (Torrent::set_seed_goals). The goals are a
// torrent's, set by whoever adds it (the command line today, the daemon per torrent next).
#include <chrono>
#include <cstdint>
#include <optional>

namespace bt::session {

struct SeedGoals {
    // Seed once complete. Without a goal below, until stopped; with goals, until the first is met.
    // false: the torrent is done as soon as it is complete (it keeps serving peers until it is stopped).
    bool seed = false;
    std::optional<double> ratio;               // payload uploaded / torrent size
    std::optional<std::chrono::seconds> time;  // time spent seeding
    std::optional<std::chrono::seconds> idle;  // seeding without uploading anything for this long
};

struct SeedProgress {
    std::uint64_t uploaded = 0;  // payload bytes, this session
    std::uint64_t total_size = 0;
    std::chrono::steady_clock::duration seeding_for{};
    std::chrono::steady_clock::duration idle_for{};  // since the last byte uploaded (or since seeding began)
};

constexpr bool seed_goal_reached(const SeedGoals& goals, const SeedProgress& p) noexcept {
    if (!goals.seed) return false;
    if (goals.time && p.seeding_for >= *goals.time) return true;
    if (goals.idle && p.idle_for >= *goals.idle) return true;
    return goals.ratio && static_cast<double>(p.uploaded) >= *goals.ratio * static_cast<double>(p.total_size);
}

// How long until a time or idle goal is met if nothing is uploaded meanwhile: zero when one is met already,
// nullopt when neither applies. A seed with no peers sleeps that long (a ratio cannot change without them).
constexpr std::optional<std::chrono::steady_clock::duration> time_until_seed_goal(const SeedGoals& goals,
                                                                                  const SeedProgress& p) {
    using Duration = std::chrono::steady_clock::duration;
    if (!goals.seed) return std::nullopt;
    std::optional<Duration> until;
    const auto consider = [&](Duration goal, Duration done) {
        const Duration left = goal > done ? goal - done : Duration::zero();
        if (!until || left < *until) until = left;
    };
    if (goals.time) consider(*goals.time, p.seeding_for);
    if (goals.idle) consider(*goals.idle, p.idle_for);
    return until;
}

}  // namespace bt::session
