#include "cli/scrape_report.hpp"

#include <fmt/core.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <exception>
#include <optional>
#include <set>
#include <utility>

#include "cli/text.hpp"
#include "session/settings.hpp"

namespace bt::cli {

namespace {

asio::awaitable<void> scrape_one(asio::any_io_executor http_pool, std::string url,
                                 tracker::InfoHashBytes info_hash, net::TrackerOptions options,
                                 std::optional<ScrapeOutcome>& out) {
    std::vector<tracker::InfoHashBytes> hashes{info_hash};  // named: see announce_udp on GCC 12
    std::string target = url;
    auto reply = co_await net::scrape(std::move(http_pool), std::move(target), std::move(hashes), options);
    out = scrape_outcome(std::move(url), reply, info_hash);
}

}  // namespace

std::vector<std::string> trackers_to_scrape(const std::vector<std::vector<std::string>>& tiers) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& tier : tiers) {
        for (const auto& url : tier) {
            if (seen.insert(url).second) out.push_back(url);
        }
    }
    return out;
}

ScrapeOutcome scrape_outcome(std::string tracker, const net::ScrapeReply& reply,
                             const tracker::InfoHashBytes& info_hash) {
    ScrapeOutcome out;
    out.tracker = std::move(tracker);
    if (!reply) {
        out.kind = reply.error().unsupported ? ScrapeOutcome::Kind::unsupported : ScrapeOutcome::Kind::error;
        out.reason = reply.error().reason;
        return out;
    }
    if (const tracker::ScrapeStats* stats = reply->find(info_hash)) {
        out.kind = ScrapeOutcome::Kind::counts;
        out.stats = *stats;
    } else {
        out.kind = ScrapeOutcome::Kind::no_match;
    }
    return out;
}

std::string scrape_line(const ScrapeOutcome& o) {
    const std::string head = printable(o.tracker) + " ... ";
    switch (o.kind) {
        case ScrapeOutcome::Kind::counts:
            return head + fmt::format("{} seeders, {} leechers, {} downloaded", o.stats.complete,
                                      o.stats.incomplete, o.stats.downloaded);
        case ScrapeOutcome::Kind::no_match:
            return head + "no match: the tracker has no numbers for this torrent";
        case ScrapeOutcome::Kind::error:
            return head + "error: " + printable(o.reason);
        case ScrapeOutcome::Kind::unsupported:
            return head + printable(o.reason);
    }
    return head;
}

void write_scrape_json(JsonWriter& w, const ScrapeOutcome& o) {
    w.begin_object();
    w.key("tracker");
    w.string(o.tracker);
    w.key("status");
    switch (o.kind) {
        case ScrapeOutcome::Kind::counts:
            w.string("ok");
            w.key("seeders");
            w.integer(o.stats.complete);
            w.key("leechers");
            w.integer(o.stats.incomplete);
            w.key("downloaded");
            w.integer(o.stats.downloaded);
            break;
        case ScrapeOutcome::Kind::no_match:
            w.string("no_match");
            break;
        case ScrapeOutcome::Kind::error:
        case ScrapeOutcome::Kind::unsupported:
            w.string(o.kind == ScrapeOutcome::Kind::error ? "error" : "unsupported");
            w.key("error");
            w.string(o.reason);
            break;
    }
    w.end_object();
}

std::vector<ScrapeOutcome> scrape_all(
    const std::vector<std::string>& trackers, const tracker::InfoHashBytes& info_hash,
    std::chrono::seconds timeout, const std::function<void(std::size_t, const ScrapeOutcome&)>& on_ready) {
    net::TrackerOptions options;
    options.timeout = timeout;
    options.user_agent = session::Settings{}.user_agent;
    std::vector<std::optional<ScrapeOutcome>> slots(trackers.size());
    std::size_t reported = 0;
    std::exception_ptr failure;
    asio::io_context io;
    asio::thread_pool pool(1);  // libcurl's (https://, proxies); outlives the requests
    for (std::size_t i = 0; i < trackers.size(); ++i) {
        asio::co_spawn(io, scrape_one(pool.get_executor(), trackers[i], info_hash, options, slots[i]),
                       [&](std::exception_ptr e) {
                           if (e && !failure) failure = std::move(e);
                           while (reported < slots.size() && slots[reported]) {
                               on_ready(reported, *slots[reported]);
                               ++reported;
                           }
                       });
    }
    io.run();
    pool.join();
    if (failure) std::rethrow_exception(failure);
    std::vector<ScrapeOutcome> out;
    out.reserve(slots.size());
    for (auto& slot : slots) out.push_back(std::move(*slot));
    return out;
}

}  // namespace bt::cli
