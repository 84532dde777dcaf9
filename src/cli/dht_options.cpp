#include "cli/dht_options.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "cli/peer_address.hpp"
#include "cli/validators.hpp"
#include "core/printable.hpp"
#include "storage/atomic_file.hpp"

namespace bt::cli {

void add_dht_options(CLI::App* cmd, DhtOptions& options, bool can_turn_off) {
    cmd->add_option(
           "--dht-bootstrap", options.bootstrap,
           "join the DHT through this node: HOST:PORT as for --peer; repeatable (default: the public "
           "routers, router.bittorrent.com:6881 and others)")
        ->allow_extra_args(false);
    cmd->add_flag("--no-dht-bootstrap", options.no_bootstrap,
                  "no bootstrap node: start from the saved state, or wait for nodes to contact us");
    cmd->add_option("--dht-state", options.state_file,
                    "keep the DHT node's id and routing table in FILE (default: dht.state in the resume "
                    "folder)")
        ->check(not_empty("a file name"));
    if (can_turn_off) {
        auto* off =
            cmd->add_flag("--no-dht", options.off, "no DHT: peers come from trackers, --peer and PEX");
        off->excludes(cmd->get_option("--dht-bootstrap"))->excludes(cmd->get_option("--no-dht-bootstrap"));
        cmd->add_flag("--dht-read-only", options.read_only,
                      "query the DHT without answering other nodes (BEP 43)");
    }
    cmd->get_option("--dht-bootstrap")->excludes(cmd->get_option("--no-dht-bootstrap"));
}

Result<void, DhtOptionError> apply_dht_options(const DhtOptions& options, const std::string& state_dir,
                                               bool quiet, session::Settings& settings) {
    settings.dht = !options.off;
    settings.dht_read_only = options.read_only;
    settings.dht_bootstrap.clear();
    settings.dht_state_file.clear();
    if (options.off) return {};
    for (const auto& text : options.bootstrap) {
        if (auto parsed = parse_peer_address(text); !parsed)
            return fail(DhtOptionError{"--dht-bootstrap " + text, parsed.error()});
    }
    if (!options.no_bootstrap)
        settings.dht_bootstrap = options.bootstrap.empty() ? kPublicDhtRouters : options.bootstrap;

    std::string path;
    if (options.state_file) {
        path = std::filesystem::absolute(*options.state_file).lexically_normal().string();
    } else if (!state_dir.empty()) {
        if (!storage::ensure_directories(state_dir, 0700)) return {};  // the resume records will say why
        path = state_dir + "/" + kDhtStateFileName;
    }
    if (path.empty()) return {};
    if (!lock_for_process(path)) {
        if (!quiet)
            fmt::print(stderr, "bitveil: {} is in use by another bitveil: this one keeps no DHT state\n",
                       printable(path));
        return {};
    }
    settings.dht_state_file = path;
    return {};
}

bool lock_for_process(const std::string& path) {
    const std::string lock_path = path + ".lock";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return true;  // nowhere to lock (a read-only folder): saving will fail and say so
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return false;
    }
    return true;  // the descriptor stays open, and the lock held, until the process ends
}

}  // namespace bt::cli
