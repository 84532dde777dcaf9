#pragma once
// The DHT's command-line options, shared by `download`, `seed` and `dht`: which bootstrap nodes (the
// public routers unless told otherwise), where the state file is, and --no-dht.
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "session/settings.hpp"

namespace CLI {
class App;
}

namespace bt::cli {

// The well-known routers, used when no --dht-bootstrap is given.
inline const std::vector<std::string> kPublicDhtRouters = {
    "router.bittorrent.com:6881",
    "dht.transmissionbt.com:6881",
    "router.utorrent.com:6881",
    "dht.libtorrent.org:25401",
};
// The state file's name in the state folder (user_dirs.hpp, or --resume-dir).
inline constexpr const char* kDhtStateFileName = "dht.state";

struct DhtOptions {
    bool off = false;                       // --no-dht
    std::vector<std::string> bootstrap;     // --dht-bootstrap HOST:PORT
    bool no_bootstrap = false;              // --no-dht-bootstrap
    bool read_only = false;                 // --dht-read-only
    std::optional<std::string> state_file;  // --dht-state FILE
};

// Adds the options to `cmd`; `can_turn_off`: --no-dht and --dht-read-only too (not for `bitveil dht`).
void add_dht_options(CLI::App* cmd, DhtOptions& options, bool can_turn_off);

struct DhtOptionError {
    std::string subject;  // "--dht-bootstrap VALUE"
    std::string message;
};

// Fills the DHT fields of `settings`: on or off, the bootstrap nodes (each checked like --peer; the public
// routers when none is given, none with --no-dht-bootstrap), the state file (--dht-state, else
// kDhtStateFileName in `state_dir`, else none). A state file that another bitveil process uses is left
// out (a note on stderr unless `quiet`): two nodes must not share an id.
Result<void, DhtOptionError> apply_dht_options(const DhtOptions& options, const std::string& state_dir,
                                               bool quiet, session::Settings& settings);

// Holds an exclusive lock on `path`.lock for the rest of the process; false when another process holds it.
bool lock_for_process(const std::string& path);

}  // namespace bt::cli
