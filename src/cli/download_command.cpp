// `bitveil download` and `bitveil seed`: run one torrent in a session until it is done (and seeding ended),
// with a live progress line, graceful Ctrl-C / SIGTERM and an optional --stats-json report.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/json_writer.hpp"
#include "cli/progress.hpp"
#include "cli/text.hpp"
#include "core/endpoint.hpp"
#include "core/log.hpp"
#include "session/session.hpp"

namespace bt::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct DownloadOptions {
    bool seed_command = false;  // `seed`: data is expected complete; seeds until stopped
    std::string torrent;
    std::string dir = ".";
    int port = 6881;
    std::string listen_address = "0.0.0.0";
    std::vector<std::string> peers;
    bool seed = false;  // keep seeding after the download, until stopped
    std::optional<double> seed_ratio;
    std::optional<std::int64_t> seed_time;
    std::uint32_t max_peers = 50;
    std::string stats_json;
    bool quiet = false;
    bool verbose = false;
    std::string encryption_name = "prefer";
    std::string encryption_level_name = "rc4";
    int handshake_timeout = 30;
};

constexpr const char* kDownloadFooter = R"(
-d DIR is the folder in which the torrent's file (single-file torrent) or top folder (multi-file) is
created, like aria2's --dir. Data already there is checked first, so an interrupted download continues.
Without a seeding option, bitveil exits once the download is complete and verified.

Exit status: 0 complete (and seeding ended), 1 failed (reason on stderr), 2 invalid input,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM). A second Ctrl-C exits at once.

Examples:
  bitveil download ubuntu.torrent -d ~/Downloads
  bitveil download t.torrent -d /tmp/dl --port 0 --peer 127.0.0.1:6881 --stats-json stats.json
  bitveil download t.torrent --seed-ratio 2.0
)";

constexpr const char* kSeedFooter = R"(
Checks the data in DIR (the folder holding the torrent's file or top folder), then seeds it until
stopped, or until --seed-ratio / --seed-time is reached. Missing pieces are downloaded first.

Examples:
  bitveil seed t.torrent -d /srv/data
  bitveil seed t.torrent -d /srv/data --port 51413 --seed-time 3600
)";

void add_shared_options(CLI::App* cmd, DownloadOptions& o) {
    cmd->add_option("torrent", o.torrent, "the .torrent file")->required();
    cmd->add_option("-d,--dir", o.dir, "download folder (default: the current folder)");
    cmd->add_option("--port", o.port, "listening port (default 6881; 0 picks a free one)")
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--listen-address", o.listen_address, "address to listen on (default 0.0.0.0)");
    cmd->add_option("--peer", o.peers, "connect to this peer (HOST:PORT, IPv6 as [addr]:port); repeatable");
    cmd->add_option("--seed-ratio", o.seed_ratio, "seed until uploaded / size reaches R")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--seed-time", o.seed_time, "seed for SECONDS after completion")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--max-peers", o.max_peers, "connected peers at most (default 50)")
        ->check(CLI::Range(1, 10000));
    cmd->add_option("--stats-json", o.stats_json, "write transfer statistics to FILE at exit");
    cmd->add_option(
           "--encryption", o.encryption_name,
           "MSE/PE policy: disable (plaintext only), allow (plaintext out, both in), prefer (default: MSE "
           "out, one plaintext retry, both in), require (MSE only, both ways)")
        ->check(CLI::IsMember({"disable", "allow", "prefer", "require"}));
    cmd->add_option(
           "--encryption-level", o.encryption_level_name,
           "what MSE offers and accepts: rc4 (default: the whole stream encrypted), header (only the "
           "handshake obfuscated), both")
        ->check(CLI::IsMember({"rc4", "header", "both"}));
    cmd->add_option("--handshake-timeout", o.handshake_timeout,
                    "seconds a peer has to finish the MSE and BitTorrent handshakes (default 30)")
        ->check(CLI::Range(1, 600));
    cmd->add_flag("-q,--quiet", o.quiet, "no progress line, errors only");
    cmd->add_flag("-v,--verbose", o.verbose, "log peer and tracker events");
}

std::string rate_text(std::uint64_t bytes_per_second) {
    return human_size(static_cast<std::int64_t>(bytes_per_second)) + "/s";
}

std::string eta_text(std::int64_t left, std::uint64_t rate) {
    if (left <= 0) return "0s";
    if (rate == 0) return "--";
    auto s = left / static_cast<std::int64_t>(rate);
    if (s >= 86400) return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
    if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

std::string status_line(const session::TorrentStatus& s) {
    if (s.state == session::TorrentState::checking) {
        const double pct = s.total_size > 0 ? 100.0 * static_cast<double>(s.check_bytes_done) /
                                                  static_cast<double>(s.total_size)
                                            : 100.0;
        return fmt::format("checking {:5.1f}%", pct);
    }
    const double pct = s.total_size > 0
                           ? 100.0 * static_cast<double>(s.bytes_have) / static_cast<double>(s.total_size)
                           : 100.0;
    return fmt::format("{} {:5.1f}%  down {}  up {}  peers {}/{}  eta {}", session::state_name(s.state), pct,
                       rate_text(s.download_rate), rate_text(s.upload_rate), s.peers_connected, s.peers_known,
                       eta_text(s.total_size - s.bytes_have, s.download_rate));
}

void write_stats_json(const std::string& path, const session::TorrentStatus& s,
                      const std::map<std::string, std::uint32_t>& incoming_failures, double seconds,
                      bool complete) {
    JsonWriter j;
    j.begin_object();
    j.key("complete");
    j.boolean(complete);
    j.key("state");
    j.string(session::state_name(s.state));
    j.key("duration_seconds");
    j.integer(static_cast<std::int64_t>(seconds * 1000) / 1000);
    j.key("duration_ms");
    j.integer(static_cast<std::int64_t>(seconds * 1000));
    j.key("total_size");
    j.integer(s.total_size);
    j.key("pieces");
    j.integer(s.num_pieces);
    j.key("pieces_have");
    j.integer(s.pieces_have);
    j.key("pieces_from_disk");
    j.integer(s.stats.pieces_from_disk);
    j.key("pieces_downloaded");
    j.integer(s.stats.pieces_verified);
    j.key("hash_failures");
    j.integer(s.stats.hash_failures);
    j.key("payload_downloaded");
    j.integer(static_cast<std::int64_t>(s.stats.payload_downloaded));
    j.key("payload_uploaded");
    j.integer(static_cast<std::int64_t>(s.stats.payload_uploaded));
    j.key("protocol_downloaded");
    j.integer(static_cast<std::int64_t>(s.stats.protocol_downloaded));
    j.key("protocol_uploaded");
    j.integer(static_cast<std::int64_t>(s.stats.protocol_uploaded));
    j.key("wasted");
    j.integer(static_cast<std::int64_t>(s.stats.wasted));
    j.key("peers_connected_in");
    j.integer(s.stats.peers_connected_in);
    j.key("peers_connected_out");
    j.integer(s.stats.peers_connected_out);
    j.key("peers_banned");
    j.integer(s.stats.peers_banned);
    j.key("connections_by_kind");
    j.begin_object();
    for (const auto& [kind, count] : s.stats.connections_by_kind) {
        j.key(kind);
        j.integer(count);
    }
    j.end_object();
    // Incoming connections that failed before their torrent was known (MSE timeouts, garbage, ...).
    j.key("incoming_handshake_failures");
    j.begin_object();
    for (const auto& [reason, count] : incoming_failures) {
        j.key(reason);
        j.integer(count);
    }
    j.end_object();
    j.key("connections_closed");
    j.begin_object();
    for (const auto& [reason, count] : s.stats.closed_by_reason) {
        j.key(reason);
        j.integer(count);
    }
    j.end_object();
    if (!s.error.empty()) {
        j.key("error");
        j.string(s.error);
    }
    j.end_object();
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.str() << '\n';
        if (!out) {
            report_error(path, "cannot write statistics");
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) report_error(path, ec.message());
}

int run_download(const DownloadOptions& o) {
    log::set_level(o.verbose ? log::Level::info : o.quiet ? log::Level::error : log::Level::warning);
    auto bytes = read_torrent_file(o.torrent);
    if (!bytes) {
        report_error(o.torrent, bytes.error());
        return kExitInvalid;
    }
    auto metainfo = metainfo::parse_torrent(*bytes);
    if (!metainfo) {
        report_error(o.torrent, metainfo.error().message());
        return kExitInvalid;
    }
    std::vector<Endpoint> peers;
    for (const auto& text : o.peers) {
        auto e = parse_endpoint(text);
        if (!e) {
            report_error("--peer " + text,
                         "expected HOST:PORT with an IP address, e.g. 127.0.0.1:6881 or [::1]:6881");
            return kExitInvalid;
        }
        peers.push_back(*e);
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
    session::Settings settings;
    settings.listen_port = static_cast<std::uint16_t>(o.port);
    settings.listen_address = o.listen_address;
    settings.max_peers = o.max_peers;
    settings.encryption = o.encryption_name == "disable"   ? net::EncryptionPolicy::disable
                          : o.encryption_name == "allow"   ? net::EncryptionPolicy::allow
                          : o.encryption_name == "require" ? net::EncryptionPolicy::require
                                                           : net::EncryptionPolicy::prefer;
    settings.encryption_level = o.encryption_level_name == "header" ? net::EncryptionLevel::header
                                : o.encryption_level_name == "both" ? net::EncryptionLevel::both
                                                                    : net::EncryptionLevel::rc4;
    settings.handshake_timeout = std::chrono::seconds(o.handshake_timeout);
    session::Session session(io, settings);
    if (auto listening = session.listen(); !listening) {
        report_error("", listening.error());
        return kExitFailure;
    }
    if (!o.quiet) fmt::print(stderr, "bitveil: listening on port {}\n", session.listen_port());
    auto& torrent = session.add_torrent(std::move(*metainfo), o.dir);

    const auto start = Clock::now();
    std::optional<Clock::time_point> seeding_since;
    int exit_code = -1;  // set when we decide to stop
    bool stopping = false;
    auto stop_with = [&](int code) {
        if (stopping) return;
        stopping = true;
        exit_code = code;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await session.stop();
                io.stop();
            },
            asio::detached);
    };
    const bool keep_seeding = o.seed_command || o.seed || o.seed_ratio || o.seed_time;
    auto seeding_done = [&] {
        if (!seeding_since) return false;
        if (o.seed_time && Clock::now() - *seeding_since >= std::chrono::seconds(*o.seed_time)) return true;
        if (o.seed_ratio) {
            const auto s = torrent.status();
            return static_cast<double>(s.stats.payload_uploaded) >=
                   *o.seed_ratio * static_cast<double>(s.total_size);
        }
        return false;
    };
    torrent.on_state_change([&](session::TorrentState state) {
        if (state == session::TorrentState::seeding && !seeding_since) {
            seeding_since = Clock::now();
            if (!keep_seeding) stop_with(kExitOk);
        } else if (state == session::TorrentState::error) {
            stop_with(kExitFailure);
        }
        if (state == session::TorrentState::downloading || state == session::TorrentState::seeding) {
            torrent.add_peers(peers, true);
        }
    });
    torrent.start();

    asio::signal_set signals(io, SIGINT, SIGTERM);
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code sig_ec, int signo) {
        if (sig_ec) return;
        if (stopping) std::_Exit(signo == SIGINT ? 130 : 143);  // second signal: exit at once
        if (!o.quiet) fmt::print(stderr, "\nbitveil: stopping (again to exit at once)\n");
        stop_with(signo == SIGINT ? 130 : 143);
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    const bool tty = !o.quiet && ProgressLine::is_terminal(stderr);
    asio::steady_timer progress(io);
    auto last_plain = Clock::now();
    std::function<void(std::error_code)> on_progress = [&](std::error_code timer_ec) {
        if (timer_ec || stopping) return;
        const auto s = torrent.status();
        if (tty) {
            fmt::print(stderr, "\r\033[K{}", status_line(s));
            std::fflush(stderr);
        } else if (!o.quiet && Clock::now() - last_plain >= std::chrono::seconds(5)) {
            last_plain = Clock::now();
            fmt::print(stderr, "{}\n", status_line(s));
        }
        if (keep_seeding && seeding_done()) stop_with(kExitOk);
        progress.expires_after(std::chrono::seconds(1));
        progress.async_wait(on_progress);
    };
    progress.expires_after(std::chrono::milliseconds(200));
    progress.async_wait(on_progress);

    io.run();

    const auto s = torrent.status();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (tty) fmt::print(stderr, "\r\033[K");
    const bool complete = s.pieces_have == s.num_pieces;
    if (!o.stats_json.empty())
        write_stats_json(o.stats_json, s, session.incoming_failures(), seconds, complete);
    if (exit_code == kExitFailure) {
        report_error(printable(torrent.metainfo().name), s.error.empty() ? "stopped" : s.error);
        return kExitFailure;
    }
    if (!o.quiet) {
        fmt::print(stderr, "bitveil: {}: {} ({} of {} pieces, down {} up {}, {:.1f} s)\n",
                   printable(torrent.metainfo().name), complete ? "complete" : "incomplete", s.pieces_have,
                   s.num_pieces, human_size(static_cast<std::int64_t>(s.stats.payload_downloaded)),
                   human_size(static_cast<std::int64_t>(s.stats.payload_uploaded)), seconds);
    }
    return exit_code;
}

}  // namespace

void add_download_command(CLI::App& app, int& status) {
    auto o = std::make_shared<DownloadOptions>();
    CLI::App* cmd = app.add_subcommand("download", "Download a torrent (then optionally seed it)");
    add_shared_options(cmd, *o);
    auto* seed_flag = cmd->add_flag("--seed", o->seed, "keep seeding after the download until stopped");
    seed_flag->excludes(cmd->get_option("--seed-ratio"))->excludes(cmd->get_option("--seed-time"));
    cmd->footer(kDownloadFooter);
    cmd->callback([o, &status] { status = run_download(*o); });

    auto s = std::make_shared<DownloadOptions>();
    s->seed_command = true;
    CLI::App* seed = app.add_subcommand("seed", "Check the data in a folder, then seed it");
    add_shared_options(seed, *s);
    seed->footer(kSeedFooter);
    seed->callback([s, &status] { status = run_download(*s); });
}

}  // namespace bt::cli
