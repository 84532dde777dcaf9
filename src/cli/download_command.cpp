// `bitveil download` and `bitveil seed`: run one or more torrents in one session (one listening port) until
// each is done (and its seeding ended), with live progress lines, graceful Ctrl-C / SIGTERM and an optional
// --stats-json report.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "cli/alt_speed_options.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dht_options.hpp"
#include "cli/notices.hpp"
#include "cli/peer_address.hpp"
#include "cli/stats_report.hpp"
#include "cli/status_display.hpp"
#include "cli/stop_session.hpp"
#include "cli/text.hpp"
#include "cli/torrent_source.hpp"
#include "cli/user_dirs.hpp"
#include "cli/validators.hpp"
#include "core/endpoint.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "metainfo/magnet.hpp"
#include "metainfo/torrent_builder.hpp"
#include "session/session.hpp"
#include "storage/atomic_file.hpp"

namespace bt::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct DownloadOptions {
    bool seed_command = false;  // `seed`: data is expected complete; seeds until stopped
    std::vector<std::string> torrents;
    std::string dir = ".";
    int port = 6881;
    bool port_given = false;  // --port on the command line: that port or nothing (no fallback)
    std::string listen_address = "0.0.0.0";
    std::vector<std::string> peers;
    bool seed = false;  // keep seeding after the download, until stopped
    std::optional<double> seed_ratio;
    std::optional<std::int64_t> seed_time;
    std::optional<std::int64_t> seed_idle;
    std::uint32_t max_peers = 50;
    std::uint32_t upload_slots = 5;
    std::uint32_t max_connections = 500;
    std::uint32_t max_active_downloads = 0;
    std::uint32_t max_active_seeds = 0;
    std::string download_limit = "0";
    std::string upload_limit = "0";
    std::string read_cache = "4M";
    AltSpeedOptions alt_speed;
    std::string stats_json;
    std::optional<std::string> resume_dir;  // --resume-dir; default: user_dirs.hpp
    std::string save_torrent;               // --save-torrent (download only)
    bool metadata_only = false;             // --metadata-only (download only)
    bool sequential = false;                // --sequential (download only)
    bool first_last_pieces = false;         // --first-last-pieces (download only)
    std::string select_file;                // --select-file LIST
    std::string priority_high;              // --priority-high LIST
    std::string priority_low;               // --priority-low LIST
    bool quiet = false;
    bool verbose = false;
    std::string encryption_name = "prefer";
    std::string encryption_level_name = "both";
    int handshake_timeout = 30;
    int tracker_timeout = 30;
    DhtOptions dht;
};

constexpr const char* kDownloadFooter = R"(
-d DIR is the folder in which the torrent's file (single-file torrent) or top folder (multi-file) is
created, like aria2's --dir; it holds nothing else. An interrupted download continues: resume data (in
--resume-dir, saved every few seconds and at exit) is trusted for files unchanged since; other files are
checked piece by piece.
Without a seeding option, bitveil exits once the download is complete and verified.
Peers come from the trackers, --peer, PEX and the DHT (BEP 5; not for private torrents), which bitveil joins
through the public routers unless --dht-bootstrap names other nodes; its node id and routing table are
kept in dht.state in the resume folder, so a restart needs no bootstrap. --no-dht turns it off.
A torrent may be given as an http:// or https:// URL (fetched within --tracker-timeout, 64 MiB at most).
When port 6881 is in use, a free port near it is taken (and named); with --port, that port or nothing.
Several torrents run in one session on one port; bitveil exits when all are done (complete ones keep
serving their peers meanwhile). A torrent that fails is reported and the others go on (exit status 1).

Exit status: 0 complete (and seeding ended), 1 failed (reason on stderr), 2 invalid input,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM). A second Ctrl-C exits at once.

Examples:
  bitveil download ubuntu.torrent -d ~/Downloads
  bitveil download t.torrent -d /tmp/dl --port 0 --peer 127.0.0.1:6881 --stats-json stats.json
  bitveil download https://example.org/t.torrent --peer seedbox.lan:51413 --peer [2001:db8::7]:6881
  bitveil download t.torrent --seed-ratio 2.0
  bitveil download a.torrent b.torrent c.torrent -d ~/Downloads
  bitveil download t.torrent --alt-speed-schedule 'mon-fri 09:00-17:00' --alt-download-limit 200K
  bitveil download 'magnet:?xt=urn:btih:...' --dht-bootstrap 192.168.1.5:6881
)";

constexpr const char* kSeedFooter = R"(
Checks the data in DIR (the folder holding the torrent's file or top folder), then seeds it until
stopped, or until --seed-ratio / --seed-time is reached. Missing pieces are downloaded first.

Examples:
  bitveil seed t.torrent -d /srv/data
  bitveil seed t.torrent -d /srv/data --port 51413 --seed-time 3600
  bitveil seed a.torrent b.torrent -d /srv/data   (one port for both)
)";

void add_shared_options(CLI::App* cmd, DownloadOptions& o) {
    cmd->add_option(
           "torrents", o.torrents,
           "the .torrent file(s), their http(s):// URLs, or magnet links; several run in one session, "
           "on one port")
        ->required()
        ->check(not_empty("a .torrent file"));
    cmd->add_option("-d,--dir", o.dir, "download folder (default: the current folder)");
    cmd->add_option("--port", o.port,
                    "listening port (default 6881, or a free one near it when that is in use; a port given "
                    "here is used or the command fails; 0 picks a free one)")
        ->check(whole_number(0, 65535));
    cmd->add_option("--listen-address", o.listen_address, "address to listen on (default 0.0.0.0)");
    cmd->add_option("--peer", o.peers,
                    "connect to this peer: HOST:PORT with an address or a host name, IPv6 as [addr]:port; "
                    "repeatable")
        ->allow_extra_args(false);  // one value per --peer: the torrents may follow, "[::1]" stays whole
    cmd->add_option("--seed-ratio", o.seed_ratio, "seed until uploaded / size reaches R")
        ->check(positive_number());
    cmd->add_option("--seed-idle", o.seed_idle, "seed until nobody has downloaded from us for SECONDS")
        ->check(non_negative_whole_number());
    cmd->add_option("--seed-time", o.seed_time, "seed for SECONDS after completion")
        ->check(non_negative_whole_number());
    cmd->add_option("--max-peers", o.max_peers, "connected peers at most (default 50)")
        ->check(whole_number(1, 10000));
    cmd->add_option("--max-connections", o.max_connections,
                    "peer connections at most over all torrents (default 500, lowered to fit the open-file "
                    "limit)")
        ->check(whole_number(1, 100000));
    cmd->add_option("--max-active-downloads", o.max_active_downloads,
                    "with several torrents: download at most N at once, the others wait in the order given "
                    "(one that moves no data for 30 minutes gives its turn up; default 0: no limit)")
        ->check(whole_number(0, 100000));
    cmd->add_option("--max-active-seeds", o.max_active_seeds,
                    "with several torrents: seed at most N at once (default 0: no limit)")
        ->check(whole_number(0, 100000));
    cmd->add_option("--upload-slots", o.upload_slots,
                    "peers unchoked at once per torrent (default 5: 4 by rate, 1 at random); with 0, peers "
                    "get only the few pieces BEP 6 lets a new peer fetch while choked")
        ->check(whole_number(0, 10000));
    cmd->add_option("--download-limit", o.download_limit,
                    "download at most RATE bytes per second over all torrents, counting every byte peers "
                    "send (500K, 2M; K is 1,024 bytes; default 0: no limit)")
        ->check(byte_rate());
    cmd->add_option("--upload-limit", o.upload_limit,
                    "upload at most RATE bytes per second over all torrents (500K, 2M; default 0: no limit)")
        ->check(byte_rate());
    cmd->add_option("--read-cache", o.read_cache,
                    "memory for data read from disk for uploads, shared by all torrents (default 4M; 0: "
                    "only what is being sent)")
        ->check(byte_size());
    add_alt_speed_options(cmd, o.alt_speed);
    cmd->add_option("--select-file", o.select_file,
                    "download only these files, numbered as bitveil info lists them: 1,3-5 (the others are "
                    "not created; their bytes in pieces shared with selected files are kept in a part file "
                    "beside the resume record)")
        ->check(file_numbers());
    cmd->add_option("--priority-high", o.priority_high,
                    "fetch these files first (numbers as for --select-file)")
        ->check(file_numbers());
    cmd->add_option("--priority-low", o.priority_low, "fetch these files after the others")
        ->check(file_numbers());
    cmd->add_option("--stats-json", o.stats_json, "write transfer statistics to FILE at exit");
    cmd->add_option("--resume-dir", o.resume_dir,
                    "folder of the resume records, one per torrent and download folder (default: "
                    "$XDG_STATE_HOME/bitveil, or ~/.local/state/bitveil)")
        ->check(not_empty("a folder"));
    cmd->add_option(
           "--encryption", o.encryption_name,
           "MSE/PE policy: disable (plaintext only), allow (plaintext out, both in), prefer (default: MSE "
           "out, one plaintext retry, both in), require (MSE only, both ways)")
        ->check(one_of({"disable", "allow", "prefer", "require"}));
    cmd->add_option(
           "--encryption-level", o.encryption_level_name,
           "what MSE offers and accepts: both (default: RC4 preferred, header-only MSE taken from peers that "
           "insist on it), rc4 (the whole stream encrypted, nothing less), header (only the handshake "
           "obfuscated)")
        ->check(one_of({"rc4", "header", "both"}));
    cmd->add_option("--handshake-timeout", o.handshake_timeout,
                    "seconds a peer has to finish the MSE and BitTorrent handshakes (default 30)")
        ->check(whole_number(1, 600));
    cmd->add_option("--tracker-timeout", o.tracker_timeout,
                    "seconds an announce may take (resolving, connecting, every UDP retry; default 30), and "
                    "fetching a .torrent URL")
        ->check(whole_number(1, 600));
    add_dht_options(cmd, o.dht, true);
    cmd->add_flag("-q,--quiet", o.quiet, "no progress line, errors only");
    cmd->add_flag("-v,--verbose", o.verbose, "log peer and tracker events");
}

// One torrent as the command line names it: a .torrent (file or URL), or a magnet link.
struct Source {
    session::TorrentParams params;          // download_dir is set when added
    std::vector<std::string> magnet_peers;  // x.pe
    bool magnet = false;
};

// One torrent of the run, and what the process still waits for from it.
struct Job {
    std::string path;
    session::Torrent* torrent = nullptr;
    bool magnet = false;
    bool has_trackers = false;
    std::vector<Endpoint> peers;    // --peer, and a magnet's x.pe
    bool metadata_written = false;  // a magnet's metadata saved (resume folder, --save-torrent)
    bool files_chosen = false;      // --select-file and the priorities applied (a magnet's once known)
    bool finished = false;  // complete (and seeding ended), or failed: the exit no longer waits for it
    bool failed = false;
    bool reported = false;  // its error is already on stderr
    bool check_reported = false;
    std::uint32_t hash_failures_reported = 0;
    std::string last_hint;  // the stall hint printed last, and when
    Clock::time_point last_hint_at{};
    std::string current_hint;  // the stall hint at the last look (empty: none held), repeated at exit
    std::optional<Clock::time_point> without_peers_since;  // unset while a peer is connected
};

// A stall hint is printed when it first holds, then again when its words change, at most twice a minute.
constexpr auto kHintRepeat = std::chrono::seconds(30);
// How long dials under way hold a stall hint back (StallFacts::dialling): a connect times out in 10 s.
constexpr auto kDialGrace = std::chrono::seconds(30);

// Where a magnet link's metadata is kept once fetched, so that a restart does not fetch it again.
std::string metadata_copy_path(const std::string& resume_dir, const wire::InfoHashBytes& info_hash) {
    return resume_dir + "/" + to_hex(info_hash) + ".torrent";
}

// A magnet link's torrent: the metadata fetched by an earlier run when the resume folder has it.
Result<Source, std::string> load_magnet(const std::string& uri, const std::string& resume_dir) {
    auto magnet = metainfo::parse_magnet(uri);
    if (!magnet) return fail(magnet.error().message());
    Source source;
    source.magnet = true;
    source.magnet_peers = magnet->peers;
    if (!resume_dir.empty()) {
        const auto copy = metadata_copy_path(resume_dir, magnet->info_hash.bytes);
        if (auto bytes = storage::read_file(copy, kMaxTorrentFileBytes)) {
            auto parsed = metainfo::parse_torrent(*bytes);
            if (parsed && parsed->info_hash.bytes == magnet->info_hash.bytes) {
                source.params = session::TorrentParams::from_metainfo(std::move(*parsed), "");
                return source;
            }
        }
    }
    source.params.info_hash = magnet->info_hash.bytes;
    source.params.name = magnet->display_name.empty() ? magnet->info_hash.hex() : magnet->display_name;
    for (const auto& tracker : magnet->trackers) source.params.trackers.push_back({tracker});  // a tier each
    return source;
}

// Reads and parses every torrent before anything starts, so a typo in the third file costs nothing.
// Two torrents with the same info-hash, or with the same name (they would write the same files in the
// one download folder), are refused.
Result<std::vector<Source>, std::string> load_sources(const std::vector<std::string>& paths,
                                                      std::chrono::seconds fetch_timeout,
                                                      const std::string& resume_dir) {
    std::vector<Source> loaded;
    std::map<std::string, std::string> path_by_hash, path_by_name;
    for (const auto& path : paths) {
        Source source;
        if (metainfo::looks_like_magnet(path)) {
            auto magnet = load_magnet(path, resume_dir);
            if (!magnet) return bt::fail(printable(path) + ": " + magnet.error());
            source = std::move(*magnet);
        } else {
            auto metainfo = load_torrent(path, fetch_timeout);
            if (!metainfo) return bt::fail(path + ": " + metainfo.error());
            source.params = session::TorrentParams::from_metainfo(std::move(*metainfo), "");
        }
        const auto hash = to_hex(source.params.info_hash);
        if (auto [it, fresh] = path_by_hash.emplace(hash, path); !fresh)
            return bt::fail(path + ": the same torrent as " + it->second);
        if (source.params.metainfo) {
            const auto& name = source.params.metainfo->name;
            if (auto [it, fresh] = path_by_name.emplace(name, path); !fresh)
                return bt::fail(path + ": has the same name as " + it->second + " (\"" + printable(name) +
                                "\"); both would write the same files");
        }
        loaded.push_back(std::move(source));
    }
    return loaded;
}

// Ports tried after a busy default port, before any free one.
constexpr int kNearbyPorts = 8;

// Listens on settings().listen_port. When that port is in use and the user did not choose it, on one of the
// next kNearbyPorts ports, else on any free port. The busy port when another one was taken.
Result<std::optional<std::uint16_t>, std::string> listen(session::Session& session, bool port_given) {
    auto listening = session.listen();
    const std::uint16_t wanted = session.settings().listen_port;
    if (listening) return std::optional<std::uint16_t>();
    if (port_given || wanted == 0 || !listening.error().port_in_use()) return fail(listening.error().message);
    for (int i = 1; i <= kNearbyPorts + 1; ++i) {
        const bool any = i > kNearbyPorts || wanted + i > 65535;
        session::Settings settings = session.settings();
        settings.listen_port = static_cast<std::uint16_t>(any ? 0 : wanted + i);
        if (auto applied = session.apply_settings(std::move(settings)); !applied)
            return fail(applied.error());
        auto retry = session.listen();
        if (retry) return std::optional<std::uint16_t>(wanted);
        if (any || !retry.error().port_in_use()) return fail(retry.error().message);
    }
    return fail(listening.error().message);
}

// A magnet link's metadata, once fetched: kept in the resume folder (a restart does not fetch it again) and
// written to --save-torrent. Only a --save-torrent that fails is an error (reported here).
bool write_metadata(const Job& job, const DownloadOptions& o, const std::string& resume_dir,
                    StatusDisplay& display) {
    const auto& metainfo = job.torrent->metainfo();
    const std::string bytes = metainfo::wrap_info_dictionary(metainfo.info_bytes, metainfo.trackers);
    if (job.magnet && !resume_dir.empty()) {
        const auto copy = metadata_copy_path(resume_dir, job.torrent->info_hash());
        auto made = storage::ensure_directories(resume_dir, 0700);
        auto written = made ? storage::write_file_atomic(copy, bytes) : made;
        if (!written)
            BT_LOG(warning, "torrent", "could not keep the metadata: {}", written.error().message());
    }
    if (o.save_torrent.empty()) return true;
    if (auto written = storage::write_file_atomic(o.save_torrent, bytes); !written) {
        display.erase();
        report_error(o.save_torrent, written.error().ec.message());
        return false;
    }
    if (!o.quiet)
        display.print(fmt::format("bitveil: {}: saved {} ({} bytes)", printable(metainfo.name),
                                  printable(o.save_torrent), bytes.size()));
    return true;
}

// --select-file, --priority-high and --priority-low as one choice (each list checked by file_numbers()).
metainfo::FileChoice file_choice(const DownloadOptions& o) {
    metainfo::FileChoice choice;
    if (!o.select_file.empty()) (void)metainfo::parse_file_numbers(o.select_file, choice.selected);
    if (!o.priority_high.empty()) (void)metainfo::parse_file_numbers(o.priority_high, choice.high);
    if (!o.priority_low.empty()) (void)metainfo::parse_file_numbers(o.priority_low, choice.low);
    return choice;
}

// Gives the torrent the user's file choice once its files are known; the error names the wrong number.
std::optional<std::string> choose_files(Job& job, const metainfo::FileChoice& choice) {
    if (job.files_chosen || choice.empty() || !job.torrent->has_metadata()) return std::nullopt;
    job.files_chosen = true;
    std::vector<metainfo::FilePriority> priorities;
    if (auto problem = metainfo::choose_priorities(job.torrent->metainfo(), choice, priorities))
        return problem;
    job.torrent->set_file_priorities(std::move(priorities));
    return std::nullopt;
}

int run_download(const DownloadOptions& o) {
    log::set_level(o.verbose ? log::Level::info : o.quiet ? log::Level::error : log::Level::warning);
    // Cheap checks first: the peers' syntax, then their names, then the torrents (which may be fetched).
    std::vector<PeerAddress> peer_addresses;
    for (const auto& text : o.peers) {
        auto parsed = parse_peer_address(text);
        if (!parsed) {
            report_error("--peer " + text, parsed.error());
            return kExitInvalid;
        }
        peer_addresses.push_back(std::move(*parsed));
    }
    auto resolved = resolve_peers(peer_addresses);
    if (!resolved) {
        report_error("--peer " + resolved.error().peer, resolved.error().message);
        return kExitInvalid;
    }
    const std::vector<Endpoint> peers = std::move(*resolved);
    if (!o.save_torrent.empty() && o.torrents.size() > 1) {
        report_error("--save-torrent",
                     "takes one torrent; " + std::to_string(o.torrents.size()) + " were given");
        return kExitInvalid;
    }
    // Absolute, so that a later run from another folder finds the same records.
    const std::string resume_dir = o.resume_dir
                                       ? std::filesystem::absolute(*o.resume_dir).lexically_normal().string()
                                       : default_resume_dir();
    session::Settings settings;
    if (auto alt = apply_alt_speed_options(o.alt_speed, settings); !alt) {
        report_error(alt.error().subject, alt.error().message);
        return kExitInvalid;
    }
    if (auto dht = apply_dht_options(o.dht, resume_dir, o.quiet, settings); !dht) {
        report_error(dht.error().subject, dht.error().message);
        return kExitInvalid;
    }
    auto sources = load_sources(o.torrents, std::chrono::seconds(o.tracker_timeout), resume_dir);
    if (!sources) {
        report_error("", sources.error());
        return kExitInvalid;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(o.dir, ec)) {
        std::filesystem::create_directories(o.dir, ec);
        if (ec) {
            report_error(o.dir, "cannot create the download folder: " + ec.message());
            return kExitFailure;
        }
    }

    asio::io_context io;
    settings.listen_port = static_cast<std::uint16_t>(o.port);
    settings.listen_address = o.listen_address;
    settings.max_peers = o.max_peers;
    settings.upload_slots = o.upload_slots;
    settings.max_connections = o.max_connections;
    settings.max_active_downloads = o.max_active_downloads;
    settings.max_active_seeds = o.max_active_seeds;
    settings.download_limit = static_cast<std::uint64_t>(parse_size(o.download_limit).value_or(0));
    settings.upload_limit = static_cast<std::uint64_t>(parse_size(o.upload_limit).value_or(0));
    settings.read_cache_bytes = static_cast<std::uint64_t>(parse_size(o.read_cache).value_or(0));
    settings.encryption = o.encryption_name == "disable"   ? net::EncryptionPolicy::disable
                          : o.encryption_name == "allow"   ? net::EncryptionPolicy::allow
                          : o.encryption_name == "require" ? net::EncryptionPolicy::require
                                                           : net::EncryptionPolicy::prefer;
    settings.encryption_level = o.encryption_level_name == "header" ? net::EncryptionLevel::header
                                : o.encryption_level_name == "both" ? net::EncryptionLevel::both
                                                                    : net::EncryptionLevel::rc4;
    settings.handshake_timeout = std::chrono::seconds(o.handshake_timeout);
    settings.tracker_timeout = std::chrono::seconds(o.tracker_timeout);
    settings.resume_dir = resume_dir;
    if (settings.resume_dir.empty() && !o.quiet) {
        fmt::print(stderr,
                   "bitveil: no home folder to keep resume data in (give --resume-dir): an "
                   "interrupted download will check its files again\n");
    }
    session::Session session(io, settings);
    const auto listening = listen(session, o.port_given);
    if (!listening) {
        report_error("", listening.error());
        return kExitFailure;
    }
    if (!o.quiet && *listening) {
        fmt::print(stderr, "bitveil: port {} is in use; listening on port {}\n", **listening,
                   session.listen_port());
    } else if (!o.quiet) {
        fmt::print(stderr, "bitveil: listening on port {}\n", session.listen_port());
    }

    // What was renamed or skipped to read each torrent as libtorrent does (bitveil info has the details).
    for (const auto& source : *sources) {
        if (o.quiet) break;
        if (!source.params.metainfo) continue;  // a magnet's metadata is not known yet
        const auto& m = *source.params.metainfo;
        for (const auto& line : metainfo_notices(m)) {
            fmt::print(stderr, "bitveil: {}: {}\n", printable(m.name), printable(line));
        }
    }

    const auto choice = file_choice(o);
    // Sized once: the callbacks below keep references to the jobs.
    std::vector<Job> jobs(sources->size());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto& source = (*sources)[i];
        jobs[i].path = o.torrents[i];
        jobs[i].magnet = source.magnet;
        jobs[i].has_trackers = !source.params.trackers.empty();
        jobs[i].peers = peers;
        for (const auto& text : source.magnet_peers) {
            std::string problem;
            if (auto parsed = parse_peer_address(text); !parsed) {
                problem = parsed.error();
            } else if (auto endpoints = resolve_peers({*parsed}); !endpoints) {
                problem = endpoints.error().message;
            } else {
                jobs[i].peers.insert(jobs[i].peers.end(), endpoints->begin(), endpoints->end());
            }
            if (!problem.empty() && !o.quiet)
                fmt::print(stderr, "bitveil: {}: x.pe {} skipped: {}\n", printable(source.params.name),
                           printable(text), problem);
        }
        source.params.download_dir = o.dir;
        auto added = session.add_torrent(std::move(source.params));
        if (!added) {  // the same torrent named twice
            report_error(o.torrents[i], added.error());
            return kExitInvalid;
        }
        jobs[i].torrent = *added;
        jobs[i].torrent->set_sequential(o.sequential);
        jobs[i].torrent->set_first_last_pieces(o.first_last_pieces);
        if (auto problem = choose_files(jobs[i], choice)) {
            report_error(o.torrents[i], *problem);
            return kExitInvalid;
        }
    }
    const bool several = jobs.size() > 1;
    StatusDisplay display(io, o.quiet, [&] {
        std::vector<TorrentView> views;
        for (const auto& job : jobs) views.push_back({job.torrent->name(), job.torrent->status()});
        return views;
    });

    const auto start = Clock::now();
    int exit_code = -1;  // set when we decide to stop
    bool stopping = false;
    auto stop_with = [&](int code) {
        if (stopping) return;
        stopping = true;
        exit_code = code;
        stop_session_then_loop(io, session, {});
    };
    const bool keep_seeding = o.seed_command || o.seed || o.seed_ratio || o.seed_time || o.seed_idle;
    // The process ends when every torrent is finished; a torrent done seeding while others still run
    // stops (announces 'stopped', closes its peers). Without a seeding option, complete torrents go on
    // serving their peers until the last one completes.
    auto finish = [&](Job& job, bool failed) {
        if (job.finished) return;
        job.finished = true;
        job.failed = failed;
        const bool all = std::all_of(jobs.begin(), jobs.end(), [](const Job& j) { return j.finished; });
        if (all) {
            const bool any_failed =
                std::any_of(jobs.begin(), jobs.end(), [](const Job& j) { return j.failed; });
            stop_with(any_failed ? kExitFailure : kExitOk);
        }
    };
    // Seeding goals are the torrent's own: it stops itself once one is met.
    session::SeedGoals goals;
    goals.seed = keep_seeding;
    goals.ratio = o.seed_ratio;
    if (o.seed_time) goals.time = std::chrono::seconds(*o.seed_time);
    if (o.seed_idle) goals.idle = std::chrono::seconds(*o.seed_idle);
    for (auto& job : jobs) {
        job.torrent->set_seed_goals(goals);
        job.torrent->on_state_change([&](session::TorrentState state) {
            const bool running =
                state == session::TorrentState::downloading || state == session::TorrentState::seeding;
            if (auto problem = choose_files(job, choice)) {  // a magnet's files are known now
                job.torrent->stop_with_error("--select-file: " + *problem);
                return;
            }
            if (state != session::TorrentState::metadata && job.torrent->has_metadata() &&
                !job.metadata_written) {
                job.metadata_written = true;
                if (!write_metadata(job, o, resume_dir, display)) {
                    job.reported = true;
                    finish(job, true);
                    return;
                }
                if (o.metadata_only) {
                    if (o.save_torrent.empty() && !o.quiet) {
                        const auto kept =
                            job.magnet && !resume_dir.empty()
                                ? "; kept in " + metadata_copy_path(resume_dir, job.torrent->info_hash())
                                : std::string();
                        display.print(
                            fmt::format("bitveil: {}: metadata fetched{} (--save-torrent FILE writes it)",
                                        printable(job.torrent->name()), printable(kept)));
                    }
                    finish(job, false);
                    return;
                }
            }
            if (running && !job.check_reported && !o.quiet) {
                job.check_reported = true;
                const auto data_path = data_location(o.dir, job.torrent->name());
                display.print(
                    fmt::format("bitveil: {}: {}", printable(job.torrent->name()),
                                check_report_text(job.torrent->status(), o.seed_command, data_path)));
            }
            if (state == session::TorrentState::seeding) {
                if (!keep_seeding) finish(job, false);
            } else if (state == session::TorrentState::stopped && !stopping) {
                finish(job, false);  // its seeding goal was met
            } else if (state == session::TorrentState::error) {
                if (several && !stopping) {
                    display.erase();
                    report_error(printable(job.torrent->name()), job.torrent->status().error);
                    job.reported = true;
                }
                finish(job, true);
            }
            if (running || state == session::TorrentState::metadata) job.torrent->add_peers(job.peers, true);
        });
    }
    for (auto& job : jobs) session.start_queued(*job.torrent);

    asio::signal_set signals(io, SIGINT, SIGTERM);
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code sig_ec, int signo) {
        if (sig_ec) return;
        if (stopping) std::_Exit(signo == SIGINT ? 130 : 143);  // second signal: exit at once
        display.print("bitveil: stopping (again to exit at once)");
        stop_with(signo == SIGINT ? 130 : 143);
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    display.start();

    // Once a second: a piece that failed its check, and why a download moves no data (notices.hpp).
    asio::steady_timer notices(io);
    std::function<void(std::error_code)> on_notice = [&](std::error_code timer_ec) {
        if (timer_ec || stopping) return;
        const auto now = Clock::now();
        for (auto& job : jobs) {
            const auto status = job.torrent->status();
            const auto name = printable(job.torrent->name());
            if (status.stats.hash_failures > job.hash_failures_reported && status.last_hash_failure &&
                job.torrent->has_metadata()) {
                job.hash_failures_reported = status.stats.hash_failures;
                display.print(
                    fmt::format("bitveil: {}: {}", name,
                                hash_failure_text(job.torrent->metainfo(), *status.last_hash_failure)));
            }
            const bool dht = session.dht() != nullptr && job.torrent->uses_dht();
            if (status.peers_connected > 0) {
                job.without_peers_since.reset();
            } else if (!job.without_peers_since) {
                job.without_peers_since = now;
            }
            const bool dialling = status.peers_connecting > 0 && job.without_peers_since &&
                                  now - *job.without_peers_since < kDialGrace;
            const auto hint = stall_hint(StallFacts{status, job.has_trackers, job.peers.size(),
                                                    session.settings().encryption, dht, dialling});
            job.current_hint = hint.value_or("");
            if (hint && *hint != job.last_hint && now - job.last_hint_at >= kHintRepeat) {
                job.last_hint = *hint;
                job.last_hint_at = now;
                display.print(fmt::format("bitveil: {}: {}", name, *hint));
            }
        }
        notices.expires_after(std::chrono::seconds(1));
        notices.async_wait(on_notice);
    };
    if (!o.quiet) {
        notices.expires_after(std::chrono::seconds(1));
        notices.async_wait(on_notice);
    }

    // Coroutines catch their own failures (net/spawn.hpp); a completion handler that throws is logged
    // and the loop goes on, so one failure does not end every torrent.
    for (;;) {
        try {
            io.run();
            break;
        } catch (const std::exception& e) {
            BT_LOG(error, "session", "internal error: {}", e.what());
        }
    }

    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    display.finish();
    std::vector<TorrentReport> reports;
    for (const auto& job : jobs) {
        reports.push_back({job.torrent->name(), to_hex(job.torrent->info_hash()), job.torrent->status()});
    }
    if (!o.stats_json.empty()) {
        const auto dht = session.dht() != nullptr ? std::optional(session.dht()->stats()) : std::nullopt;
        write_stats_json(o.stats_json, reports, session.incoming_failures(), seconds, dht,
                         session.read_cache().stats());
    }
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const auto& s = reports[i].status;
        const auto name = printable(reports[i].name);
        if (jobs[i].failed) {
            if (!jobs[i].reported) report_error(name, s.error.empty() ? "stopped" : s.error);
        } else if (!o.metadata_only) {  // its one line was "saved FILE"
            display.print_summary(reports[i].name, s, seconds);
            if (!o.quiet && !jobs[i].current_hint.empty() && s.pieces_wanted_left > 0)
                display.print(fmt::format("bitveil: {}: {}", name, jobs[i].current_hint));
        }
    }
    return exit_code;
}

}  // namespace

void add_download_command(CLI::App& app, int& status) {
    auto o = std::make_shared<DownloadOptions>();
    CLI::App* cmd = app.add_subcommand("download", "Download a torrent (then optionally seed it)");
    add_shared_options(cmd, *o);
    auto* seed_flag = cmd->add_flag("--seed", o->seed, "keep seeding after the download until stopped");
    cmd->add_option("--save-torrent", o->save_torrent,
                    "write the torrent (a magnet link's, once its metadata is fetched) to FILE")
        ->check(not_empty("a file name"));
    cmd->add_flag("--metadata-only", o->metadata_only,
                  "stop once the metadata is fetched (with --save-torrent: only get the .torrent)");
    cmd->add_flag("--sequential", o->sequential,
                  "fetch pieces in order, to play a file while it downloads (pieces in flight at once may "
                  "complete in any order)");
    cmd->add_flag("--first-last-pieces", o->first_last_pieces,
                  "fetch each file's first and last pieces before the others, to preview it");
    seed_flag->excludes(cmd->get_option("--seed-ratio"))
        ->excludes(cmd->get_option("--seed-time"))
        ->excludes(cmd->get_option("--seed-idle"));
    cmd->footer(kDownloadFooter);
    cmd->callback([o, cmd, &status] {
        o->port_given = cmd->count("--port") > 0;
        status = run_download(*o);
    });

    auto s = std::make_shared<DownloadOptions>();
    s->seed_command = true;
    CLI::App* seed = app.add_subcommand("seed", "Check the data in a folder, then seed it");
    add_shared_options(seed, *s);
    seed->footer(kSeedFooter);
    seed->callback([s, seed, &status] {
        s->port_given = seed->count("--port") > 0;
        status = run_download(*s);
    });
}

}  // namespace bt::cli
