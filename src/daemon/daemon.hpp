#pragma once
// `bitveil daemon`: a session that runs until told to stop, driven over Transmission's RPC (rpc/handler.hpp)
// through the HTTP server (daemon/http_server.hpp), with everything it needs to come back after a restart
// in its config folder:
//
//   settings.json          the session's settings, in Transmission's keys (session-get's names)
//   torrents.json          each torrent's id, folder, paused state, choices and dates (state_file.hpp)
//   torrents/<hash>.torrent each torrent's metainfo (a magnet's once fetched)
//   resume/                the resume records (storage/resume_store.hpp): verified pieces, no recheck
//   dht.state              the DHT node's id and table
//
// Every file is replaced atomically (temp file, fsync, rename). SIGTERM or SIGINT (or session-close):
// stop answering RPC, announce 'stopped' within a short deadline, flush the resume records, save, exit.
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "session/settings.hpp"

namespace bt::daemon {

struct DaemonOptions {
    std::string config_dir;  // created (0700) when missing
    std::string rpc_listen = "127.0.0.1:9091";
    // Given on the command line: override settings.json (and are saved into it).
    std::optional<int> peer_port;
    std::optional<std::string> download_dir;
    std::string web_home;             // Transmission's web UI; empty: none
    std::optional<std::string> auth;  // "user:password"
    std::string rpc_host_whitelist;   // names, comma-separated
    std::string rpc_whitelist = "127.0.0.1,::1";
    session::Settings session;  // DHT and other settings the command line chose
};

// Runs until stopped. The error is one line (the config folder is unusable, a port is taken).
Result<void, std::string> run_daemon(const DaemonOptions& options);

}  // namespace bt::daemon
