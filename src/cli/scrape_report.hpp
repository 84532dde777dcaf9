#pragma once
// `bitveil info --scrape`: ask every tracker of a torrent or magnet link how many seeders, leechers and
// completed downloads it counts, and say it one line per tracker, as `transmission-show --scrape` does
// ("<url> ... 5 seeders, 3 leechers"), with the downloads and the reason when a tracker gave no numbers.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "cli/json_writer.hpp"
#include "net/tracker_client.hpp"
#include "tracker/types.hpp"

namespace bt::cli {

struct ScrapeOutcome {
    enum class Kind {
        counts,       // the tracker's numbers for the torrent
        no_match,     // the tracker answered without an entry for the torrent (it does not track it)
        error,        // no answer: network, timeout, malformed reply, the tracker's refusal
        unsupported,  // the tracker cannot be scraped (BEP 48: no "announce" in its URL; unknown scheme)
    };
    std::string tracker;  // the announce URL as the torrent gives it
    Kind kind = Kind::error;
    tracker::ScrapeStats stats;  // with counts
    std::string reason;          // with error and unsupported: one printable line, without the tracker
};

// The trackers of every tier, in order, each once.
std::vector<std::string> trackers_to_scrape(const std::vector<std::vector<std::string>>& tiers);

// What a scrape reply says about `info_hash`.
ScrapeOutcome scrape_outcome(std::string tracker, const net::ScrapeReply& reply,
                             const tracker::InfoHashBytes& info_hash);

// "<tracker> ... 5 seeders, 3 leechers, 40 downloaded", "<tracker> ... error: timed out after 30 s",
// "<tracker> ... cannot be scraped: ...", "<tracker> ... no match: ..."; the tracker made printable.
std::string scrape_line(const ScrapeOutcome& outcome);
// {"tracker", "status": "ok" | "no_match" | "error" | "unsupported", "seeders", "leechers", "downloaded"
// (with ok), "error" (with error and unsupported)}.
void write_scrape_json(JsonWriter& w, const ScrapeOutcome& outcome);

// Scrapes `info_hash` from every tracker at once (each within `timeout`) and blocks until all are done.
// `on_ready(i, outcome)` runs on this thread for each tracker in order, as soon as it and every tracker
// before it are done, so that lines can be printed in tracker order while the slower ones still run.
std::vector<ScrapeOutcome> scrape_all(const std::vector<std::string>& trackers,
                                      const tracker::InfoHashBytes& info_hash, std::chrono::seconds timeout,
                                      const std::function<void(std::size_t, const ScrapeOutcome&)>& on_ready);

}  // namespace bt::cli
