// `bitveil dht`: a DHT node (BEP 5) and nothing else, no torrent: a bootstrap node for others to join
// through, or a router for a private network. Runs until SIGINT or SIGTERM, keeps its state file and
// writes --stats-json every few seconds.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dht_options.hpp"
#include "cli/stats_report.hpp"
#include "cli/stop_session.hpp"
#include "cli/user_dirs.hpp"
#include "cli/validators.hpp"
#include "core/log.hpp"
#include "session/session.hpp"

namespace bt::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStatsInterval = std::chrono::seconds(2);

struct DhtCommandOptions {
    int port = 6881;
    std::string listen_address = "0.0.0.0";
    std::optional<std::string> resume_dir;
    std::string stats_json;
    bool quiet = false;
    bool verbose = false;
    DhtOptions dht;
};

constexpr const char* kDhtFooter = R"(
Runs a DHT node (BEP 5) with no torrent, until Ctrl-C or SIGTERM: other clients can bootstrap from it
(give them --dht-bootstrap HOST:PORT), and it answers queries and stores the peers announced to it like
any node. It listens on UDP (and, as every bitveil, TCP) --port; its id and routing table are kept in
--dht-state (default: dht.state in the resume folder), so a restart needs no bootstrap node.
Without --dht-bootstrap it joins the public DHT through the public routers; with --no-dht-bootstrap it
waits for others to contact it.

Exit status: 0 stopped by a signal after saving its state, 1 could not listen, 2 invalid input.

Examples:
  bitveil dht --port 6881
  bitveil dht --listen-address 10.0.0.2 --port 6881 --no-dht-bootstrap --stats-json dht.json
  bitveil dht --port 6882 --dht-bootstrap 10.0.0.2:6881
)";

int run_dht(const DhtCommandOptions& o) {
    log::set_level(o.verbose ? log::Level::info : o.quiet ? log::Level::error : log::Level::warning);
    const std::string state_dir = o.resume_dir
                                      ? std::filesystem::absolute(*o.resume_dir).lexically_normal().string()
                                      : default_resume_dir();
    session::Settings settings;
    if (auto applied = apply_dht_options(o.dht, state_dir, o.quiet, settings); !applied) {
        report_error(applied.error().subject, applied.error().message);
        return kExitInvalid;
    }
    settings.listen_port = static_cast<std::uint16_t>(o.port);
    settings.listen_address = o.listen_address;
    settings.resume_dir.clear();  // no torrent, no resume record

    asio::io_context io;
    session::Session session(io, settings);
    if (auto listening = session.listen(); !listening) {
        report_error("", listening.error().message);
        return kExitFailure;
    }
    if (session.dht() == nullptr) {
        report_error("", "no UDP socket for the DHT on " + o.listen_address);
        return kExitFailure;
    }
    if (!o.quiet) {
        fmt::print(stderr, "bitveil: listening on port {}\n", session.listen_port());
        fmt::print(stderr, "bitveil: DHT node running{}\n",
                   settings.dht_state_file.empty() ? "" : "; state in " + settings.dht_state_file);
    }

    const auto start = Clock::now();
    const auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    bool stopping = false;
    asio::steady_timer report(io);
    std::function<void(std::error_code)> on_report = [&](std::error_code ec) {
        if (ec || stopping) return;
        if (!o.stats_json.empty())
            write_json_file(o.stats_json, dht_stats_json(session.dht()->stats(), seconds()));
        report.expires_after(kStatsInterval);
        report.async_wait(on_report);
    };
    on_report({});

    int exit_code = kExitOk;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int signo) {
        if (ec) return;
        if (stopping) std::_Exit(signo == SIGINT ? 130 : 143);  // second signal: exit at once
        stopping = true;
        report.cancel();
        if (!o.quiet) fmt::print(stderr, "bitveil: stopping (again to exit at once)\n");
        stop_session_then_loop(io, session, [&] { exit_code = kExitFailure; });
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    for (;;) {
        try {
            io.run();
            break;
        } catch (const std::exception& e) {
            BT_LOG(error, "dht", "internal error: {}", e.what());
        }
    }
    if (!o.stats_json.empty())
        write_json_file(o.stats_json, dht_stats_json(session.dht()->stats(), seconds()));
    return exit_code;
}

}  // namespace

void add_dht_command(CLI::App& app, int& status) {
    auto o = std::make_shared<DhtCommandOptions>();
    CLI::App* cmd = app.add_subcommand("dht", "Run a DHT node with no torrent (a bootstrap node)");
    cmd->add_option("--port", o->port, "UDP (and TCP) port to listen on (default 6881; 0 picks a free one)")
        ->check(whole_number(0, 65535));
    cmd->add_option("--listen-address", o->listen_address, "address to listen on (default 0.0.0.0)");
    add_dht_options(cmd, o->dht, false);
    cmd->add_option("--resume-dir", o->resume_dir,
                    "folder of bitveil's state, where dht.state is kept (default: $XDG_STATE_HOME/bitveil, "
                    "or ~/.local/state/bitveil)")
        ->check(not_empty("a folder"));
    cmd->add_option("--stats-json", o->stats_json,
                    "write the node's statistics (nodes, lookups, messages) to FILE every 2 s and at exit");
    cmd->add_flag("-q,--quiet", o->quiet, "errors only");
    cmd->add_flag("-v,--verbose", o->verbose, "log DHT events");
    cmd->footer(kDhtFooter);
    cmd->callback([o, &status] { status = run_dht(*o); });
}

}  // namespace bt::cli
