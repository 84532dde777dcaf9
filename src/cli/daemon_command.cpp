// `bitveil daemon`: runs a session until stopped, driven over Transmission's RPC, so transmission-remote,
// Transmission's web UI and other remotes drive it unchanged (daemon/daemon.hpp).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dht_options.hpp"
#include "cli/user_dirs.hpp"
#include "cli/validators.hpp"
#include "core/log.hpp"
#include "daemon/daemon.hpp"

namespace bt::cli {

namespace {

// Where Debian's transmission-common puts Transmission's web UI.
constexpr const char* kDebianWebHome = "/usr/share/transmission/web";

struct DaemonCommandOptions {
    std::optional<std::string> config_dir;
    std::string rpc_listen = "127.0.0.1:9091";
    std::optional<int> peer_port;
    std::optional<std::string> download_dir;
    std::optional<std::string> web_home;
    std::optional<std::string> auth;
    std::string host_whitelist;
    std::string rpc_whitelist = "127.0.0.1,::1";
    bool quiet = false;
    bool verbose = false;
    DhtOptions dht;
};

constexpr const char* kDaemonFooter = R"(
Runs until SIGTERM or Ctrl-C (or transmission-remote --exit), driven over Transmission's RPC at
http://RPC-LISTEN/transmission/rpc: transmission-remote, Transmission's web UI (served at
/transmission/web/ from --web-home) and other Transmission remotes work unchanged. bitveil's own page, at
/, shows each peer's encryption and why handshakes failed. `bitveil status` prints one line about it.

The config folder keeps the settings (settings.json, in Transmission's keys), each torrent's metainfo and
resume record, and torrents.json (ids, folders, paused or not): after a restart every torrent is back as it
was, without hashing what was verified. Two daemons cannot share a config folder.

Access: by default only this machine (--rpc-whitelist 127.0.0.1,::1) and no password. With --rpc-auth,
clients log in (transmission-remote -n USER:PASS); failed logins slow that address down.

Exit status: 0 stopped, 1 could not start (the reason on stderr), 2 invalid input.

Examples:
  bitveil daemon --download-dir ~/Downloads
  transmission-remote -a ubuntu.iso.torrent     # then -l, -t 1 -i, -t 1 -S, ...
  bitveil daemon --rpc-listen 0.0.0.0:9091 --rpc-whitelist '192.168.1.*' --rpc-auth alice:secret
  bitveil status
)";

std::string absolute(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

int run_daemon_command(const DaemonCommandOptions& o) {
    log::set_level(o.verbose ? log::Level::info : o.quiet ? log::Level::error : log::Level::warning);
    daemon::DaemonOptions options;
    options.config_dir = o.config_dir ? absolute(*o.config_dir) : default_config_dir();
    if (options.config_dir.empty()) {
        report_error("", "no home folder for the config folder: give --config-dir");
        return kExitInvalid;
    }
    if (auto applied = apply_dht_options(o.dht, options.config_dir, o.quiet, options.session); !applied) {
        report_error(applied.error().subject, applied.error().message);
        return kExitInvalid;
    }
    options.rpc_listen = o.rpc_listen;
    options.peer_port = o.peer_port;
    if (o.download_dir) options.download_dir = absolute(*o.download_dir);
    if (o.web_home) {
        options.web_home = o.web_home->empty() ? "" : absolute(*o.web_home);
    } else if (std::filesystem::is_directory(kDebianWebHome)) {
        options.web_home = kDebianWebHome;
    }
    options.auth = o.auth;
    options.rpc_host_whitelist = o.host_whitelist;
    options.rpc_whitelist = o.rpc_whitelist;
    if (!o.quiet)
        fmt::print(stderr, "bitveil: daemon, config in {}, RPC on {}\n", options.config_dir, o.rpc_listen);
    if (auto ran = daemon::run_daemon(options); !ran) {
        report_error("", ran.error());
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace

void add_daemon_command(CLI::App& app, int& status) {
    auto o = std::make_shared<DaemonCommandOptions>();
    CLI::App* cmd = app.add_subcommand("daemon", "Run in the background, driven by Transmission remotes");
    cmd->add_option("--config-dir", o->config_dir,
                    "settings, torrents and resume records (default: $XDG_CONFIG_HOME/bitveil, or "
                    "~/.config/bitveil)")
        ->check(not_empty("a folder"));
    cmd->add_option("--rpc-listen", o->rpc_listen, "address and port of the RPC (default 127.0.0.1:9091)")
        ->check(not_empty("ADDRESS:PORT"));
    cmd->add_option("--peer-port", o->peer_port, "port for peers, TCP and UDP (default 51413)")
        ->check(whole_number(0, 65535));
    cmd->add_option("--download-dir", o->download_dir, "where new torrents download (default ~/Downloads)")
        ->check(not_empty("a folder"));
    cmd->add_option(
        "--web-home", o->web_home,
        "Transmission's web UI to serve at /transmission/web/ (default /usr/share/transmission/web "
        "when it exists; \"\" for none)");
    cmd->add_option("--rpc-auth", o->auth, "USER:PASS that clients must log in with (default: none)")
        ->check(CLI::Validator(
            [](std::string& value) {
                return value.find(':') == std::string::npos ? std::string("expected USER:PASS")
                                                            : std::string();
            },
            "USER:PASS"));
    cmd->add_option(
        "--rpc-host-whitelist", o->host_whitelist,
        "host names accepted in the Host header, comma-separated, '*' wildcards (IP addresses and "
        "localhost always are)");
    cmd->add_option("--rpc-whitelist", o->rpc_whitelist,
                    "client addresses allowed, comma-separated, '*' wildcards (default 127.0.0.1,::1)");
    add_dht_options(cmd, o->dht, true);
    cmd->add_flag("-q,--quiet", o->quiet, "errors only");
    cmd->add_flag("-v,--verbose", o->verbose, "log what the session does");
    cmd->footer(kDaemonFooter);
    cmd->callback([o, &status] { status = run_daemon_command(*o); });
}

}  // namespace bt::cli
