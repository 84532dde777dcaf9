// bitveil info FILE.torrent|MAGNET [--json] [--scrape [--tracker-timeout S]]
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/json_writer.hpp"
#include "cli/scrape_report.hpp"
#include "cli/text.hpp"
#include "cli/torrent_source.hpp"
#include "cli/validators.hpp"
#include "metainfo/magnet.hpp"
#include "metainfo/metainfo.hpp"

namespace bt::cli {
namespace {

struct InfoOptions {
    std::string input;
    bool json = false;
    bool scrape = false;
    int tracker_timeout = 30;
};

constexpr const char* kInfoFooter = R"(JSON output (--json) is one object:
  info_hash     40 hex digits (v1 SHA-1 of the info dictionary)
  name, total_size, piece_length, num_pieces, private, hybrid
  trackers      list of tiers, each a list of URLs
  web_seeds     BEP 19 url-list
  files         [{"number", "path", "length"}] in torrent order ("number" for --select-file, from 1;
                pad files have none); "pad": true marks BEP 47 pad files,
                "executable" and "hidden": true their attributes, "symlink" a link's target
                (a path like "path"), "symlink_skipped": true a link that is not created.
                A path uses '/' and, as in libtorrent, starts with the torrent's name:
                "name/dir/file" for a multi-file torrent, "name" for a single file.
  comment, created_by, creation_date (Unix seconds)   only when present
  notes         what was changed to read the torrent as libtorrent does, in the order found:
                [{"kind", "field", "from", "to", "reason", "text"}], kind one of renamed,
                duplicate, symlink_skipped, not_a_symlink, field_ignored ("from"/"to": paths)
For a magnet link: info_hash, name (dn, when given), trackers (one tier per tr), peers (x.pe).
Strings are valid UTF-8: bytes that are not valid UTF-8 become U+FFFD.

With --scrape, each tracker is asked (BEP 48 over HTTP, BEP 15 over UDP, all at once, each within
--tracker-timeout) how many seeders, leechers and completed downloads it counts, one line per tracker:
  http://tracker.example/announce ... 5 seeders, 3 leechers, 40 downloaded
  udp://tracker.example:6969 ... error: timed out after 30 s
  http://tracker.example/tracker.php ... cannot be scraped: the last part of its path is not "announce" (BEP 48)
  http://tracker.example/announce ... no match: the tracker has no numbers for this torrent
With --json: {"info_hash", "name" (when known), "scrape": [{"tracker", "status": "ok" | "no_match" |
"error" | "unsupported", "seeders", "leechers", "downloaded" (ok), "error" (error, unsupported)}]}.

INPUT may also be an http:// or https:// URL of a .torrent (fetched within --tracker-timeout, 30 s by
default, redirects followed).
Exit status: 0 ok, 2 unreadable file or URL, or invalid torrent/magnet (one line on stderr);
with --scrape, 1 when no tracker answered (or there is none to ask).
Files larger than 64 MiB are refused. v2-only (BEP 52) torrents are not supported.

Examples:
  bitveil info ubuntu.iso.torrent
  bitveil info --json ubuntu.iso.torrent | jq .info_hash
  bitveil info https://example.org/ubuntu.iso.torrent
  bitveil info 'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=demo'
  bitveil info --scrape ubuntu.iso.torrent
  bitveil info --scrape --json --tracker-timeout 10 'magnet:?xt=urn:btih:...&tr=udp%3A%2F%2Ft.example%3A6969'
)";

// Paths as libtorrent's file_storage::file_path() gives them: prefixed by the name for multi-file.
std::string display_path(const metainfo::Metainfo& m, const metainfo::FileEntry& f) {
    return m.multi_file ? m.name + "/" + f.path_string() : m.name;
}

std::string join_path(const std::vector<std::string>& components) {
    std::string out;
    for (const auto& c : components) {
        if (!out.empty()) out += '/';
        out += c;
    }
    return out;
}

void write_tiers(JsonWriter& w, const std::vector<std::vector<std::string>>& tiers) {
    w.begin_array();
    for (const auto& tier : tiers) {
        w.begin_array();
        for (const auto& url : tier) w.string(url);
        w.end_array();
    }
    w.end_array();
}

void print_torrent_json(const metainfo::Metainfo& m) {
    JsonWriter w;
    w.begin_object();
    w.key("info_hash");
    w.string(m.info_hash.hex());
    w.key("name");
    w.string(m.name);
    w.key("total_size");
    w.integer(m.total_size);
    w.key("piece_length");
    w.integer(m.piece_length);
    w.key("num_pieces");
    w.integer(m.num_pieces());
    w.key("private");
    w.boolean(m.is_private);
    w.key("hybrid");
    w.boolean(m.hybrid);
    w.key("trackers");
    write_tiers(w, m.trackers);
    w.key("web_seeds");
    w.begin_array();
    for (const auto& url : m.url_list) w.string(url);
    w.end_array();
    w.key("files");
    w.begin_array();
    std::int64_t number = 0;
    for (const auto& f : m.files) {
        w.begin_object();
        if (!f.pad) {
            w.key("number");  // for --select-file
            w.integer(++number);
        }
        w.key("path");
        w.string(display_path(m, f));
        w.key("length");
        w.integer(f.length);
        const auto flag = [&](const char* key, bool on) {
            if (!on) return;
            w.key(key);
            w.boolean(true);
        };
        flag("pad", f.pad);
        flag("executable", f.executable);
        flag("hidden", f.hidden);
        if (f.symlink && !f.symlink_target.empty()) {
            w.key("symlink");
            w.string(m.name + "/" + join_path(f.symlink_target));
        }
        flag("symlink_skipped", f.symlink && f.symlink_target.empty());
        w.end_object();
    }
    w.end_array();
    w.key("notes");
    w.begin_array();
    for (const auto& note : m.notes) {
        w.begin_object();
        w.key("kind");
        w.string(metainfo::note_kind_name(note.kind));
        w.key("field");
        w.string(note.field);
        w.key("from");
        w.string(note.from);
        w.key("to");
        w.string(note.to);
        w.key("reason");
        w.string(note.reason);
        w.key("text");
        w.string(note.text());
        w.end_object();
    }
    w.end_array();
    if (!m.comment.empty()) {
        w.key("comment");
        w.string(m.comment);
    }
    if (!m.created_by.empty()) {
        w.key("created_by");
        w.string(m.created_by);
    }
    if (m.creation_date) {
        w.key("creation_date");
        w.integer(*m.creation_date);
    }
    w.end_object();
    fmt::print("{}\n", w.str());
}

void print_tiers(const std::vector<std::vector<std::string>>& tiers) {
    if (tiers.empty()) {
        fmt::print("trackers:      none\n");
        return;
    }
    fmt::print("trackers:\n");
    for (std::size_t t = 0; t < tiers.size(); ++t) {
        for (std::size_t i = 0; i < tiers[t].size(); ++i) {
            const std::string head = i == 0 ? fmt::format("tier {}:", t + 1) : std::string();
            fmt::print("  {:<8} {}\n", head, printable(tiers[t][i]));
        }
    }
}

void print_torrent_text(const metainfo::Metainfo& m) {
    fmt::print("name:          {}\n", printable(m.name));
    fmt::print("info hash:     {}\n", m.info_hash.hex());
    fmt::print("total size:    {} ({} bytes)\n", human_size(m.total_size), m.total_size);
    fmt::print("piece length:  {} ({} bytes)\n", human_size(m.piece_length), m.piece_length);
    fmt::print("pieces:        {}\n", m.num_pieces());
    fmt::print("private:       {}\n", m.is_private ? "yes" : "no");
    if (m.hybrid) fmt::print("note:          hybrid torrent (v1 + v2); read as v1\n");
    if (!m.created_by.empty()) fmt::print("created by:    {}\n", printable(m.created_by));
    if (m.creation_date) {
        const auto date = format_utc(*m.creation_date);
        fmt::print("creation date: {}\n", date ? *date : std::to_string(*m.creation_date));
    }
    if (!m.comment.empty()) fmt::print("comment:       {}\n", printable(m.comment));
    print_tiers(m.trackers);
    if (!m.url_list.empty()) {
        fmt::print("web seeds:\n");
        for (const auto& url : m.url_list) fmt::print("  {}\n", printable(url));
    }
    std::size_t pads = 0;
    for (const auto& f : m.files) pads += f.pad ? 1 : 0;
    const std::size_t shown = m.files.size() - pads;
    fmt::print("files ({}, numbered for --select-file):\n", shown);
    const std::size_t width = std::to_string(shown).size();
    std::size_t number = 0;
    for (const auto& f : m.files) {
        if (f.pad) continue;
        ++number;
        std::string line = printable(display_path(m, f));
        if (f.symlink && !f.symlink_target.empty()) {
            line += " -> " + printable(m.name + "/" + join_path(f.symlink_target));
        } else if (f.symlink) {
            line += " (link not created)";
        } else if (f.executable) {
            line += " (executable)";
        }
        fmt::print("  {:>{}}  {:>10}  {}\n", number, width,
                   f.symlink ? std::string("link") : human_size(f.length), line);
    }
    if (pads > 0) fmt::print("  ({} pad file{} not shown)\n", pads, pads == 1 ? "" : "s");
    if (!m.notes.empty()) {
        fmt::print("read as libtorrent reads it ({} note{}):\n", m.notes.size(),
                   m.notes.size() == 1 ? "" : "s");
        for (const auto& note : m.notes) fmt::print("  {}\n", printable(note.text()));
    }
}

void print_magnet(const metainfo::Magnet& mg, bool json) {
    if (json) {
        JsonWriter w;
        w.begin_object();
        w.key("info_hash");
        w.string(mg.info_hash.hex());
        if (!mg.display_name.empty()) {
            w.key("name");
            w.string(mg.display_name);
        }
        w.key("trackers");
        w.begin_array();
        for (const auto& url : mg.trackers) {
            w.begin_array();
            w.string(url);
            w.end_array();
        }
        w.end_array();
        w.key("peers");
        w.begin_array();
        for (const auto& peer : mg.peers) w.string(peer);
        w.end_array();
        w.end_object();
        fmt::print("{}\n", w.str());
        return;
    }
    fmt::print("magnet link (metadata not downloaded: sizes and files unknown)\n");
    if (!mg.display_name.empty()) fmt::print("name:          {}\n", printable(mg.display_name));
    fmt::print("info hash:     {}\n", mg.info_hash.hex());
    std::vector<std::vector<std::string>> tiers;
    for (const auto& url : mg.trackers) tiers.push_back({url});
    print_tiers(tiers);
    if (!mg.peers.empty()) {
        fmt::print("peers:\n");
        for (const auto& peer : mg.peers) fmt::print("  {}\n", printable(peer));
    }
}

// The input as named in an error line; a long magnet link is shortened.
std::string subject_of(const std::string& input) {
    constexpr std::size_t kMax = 80;
    return input.size() <= kMax ? input : input.substr(0, kMax - 3) + "...";
}

// What --scrape asks about.
struct ScrapeSubject {
    std::string name;  // may be empty (a magnet link without dn)
    metainfo::InfoHash info_hash;
    std::vector<std::vector<std::string>> trackers;
};

int run_scrape(const InfoOptions& opt, const ScrapeSubject& subject) {
    const auto trackers = trackers_to_scrape(subject.trackers);
    if (trackers.empty()) {
        report_error(subject_of(opt.input), "no trackers to scrape");
        return kExitFailure;
    }
    if (!opt.json) {
        if (!subject.name.empty()) fmt::print("name:          {}\n", printable(subject.name));
        fmt::print("info hash:     {}\n", subject.info_hash.hex());
        fmt::print("scrape:\n");
        std::fflush(stdout);
    }
    const auto outcomes =
        scrape_all(trackers, subject.info_hash.bytes, std::chrono::seconds(opt.tracker_timeout),
                   [&opt](std::size_t, const ScrapeOutcome& outcome) {
                       if (opt.json) return;
                       fmt::print("  {}\n", scrape_line(outcome));
                       std::fflush(stdout);
                   });
    if (opt.json) {
        JsonWriter w;
        w.begin_object();
        w.key("info_hash");
        w.string(subject.info_hash.hex());
        if (!subject.name.empty()) {
            w.key("name");
            w.string(subject.name);
        }
        w.key("scrape");
        w.begin_array();
        for (const auto& outcome : outcomes) write_scrape_json(w, outcome);
        w.end_array();
        w.end_object();
        fmt::print("{}\n", w.str());
    }
    std::size_t answered = 0;
    std::size_t unsupported = 0;
    for (const auto& outcome : outcomes) {
        answered +=
            outcome.kind == ScrapeOutcome::Kind::counts || outcome.kind == ScrapeOutcome::Kind::no_match;
        unsupported += outcome.kind == ScrapeOutcome::Kind::unsupported;
    }
    if (answered > 0) return kExitOk;
    report_error(subject_of(opt.input), unsupported == outcomes.size() ? "no tracker can be scraped"
                                                                       : "no tracker answered the scrape");
    return kExitFailure;
}

int run_info(const InfoOptions& opt) {
    const auto timeout = std::chrono::seconds(opt.tracker_timeout);
    if (metainfo::looks_like_magnet(opt.input)) {
        auto magnet = metainfo::parse_magnet(opt.input);
        if (!magnet) {
            report_error(subject_of(opt.input), magnet.error().message());
            return kExitInvalid;
        }
        if (opt.scrape) {
            ScrapeSubject subject{magnet->display_name, magnet->info_hash, {}};
            for (const auto& url : magnet->trackers) subject.trackers.push_back({url});
            return run_scrape(opt, subject);
        }
        print_magnet(*magnet, opt.json);
        return kExitOk;
    }
    auto m = load_torrent(opt.input, timeout);
    if (!m) {
        report_error(opt.input, m.error());
        return kExitInvalid;
    }
    if (opt.scrape) return run_scrape(opt, ScrapeSubject{m->name, m->info_hash, m->trackers});
    if (opt.json) {
        print_torrent_json(*m);
    } else {
        print_torrent_text(*m);
    }
    return kExitOk;
}

}  // namespace

void add_info_command(CLI::App& app, int& status) {
    auto opt = std::make_shared<InfoOptions>();
    CLI::App* cmd = app.add_subcommand("info", "Show what a .torrent file or magnet link contains");
    cmd->add_option("input", opt->input, "a .torrent file, its http(s):// URL, or a magnet: link")
        ->required()
        ->check(not_empty("a .torrent file, its URL or a magnet link"));
    cmd->add_flag("--json", opt->json, "print one JSON object (fields below)");
    cmd->add_flag("--scrape", opt->scrape,
                  "ask each tracker how many seeders, leechers and completed downloads it counts");
    cmd->add_option("--tracker-timeout", opt->tracker_timeout,
                    "seconds each tracker has to answer --scrape (default 30), and fetching a .torrent URL")
        ->check(whole_number(1, 600));
    cmd->footer(kInfoFooter);
    cmd->callback([opt, &status] { status = run_info(*opt); });
}

}  // namespace bt::cli
