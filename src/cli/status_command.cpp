// `bitveil status`: one line about a running daemon (torrents, rates, peers by kind of encryption), over
// the same RPC as transmission-remote.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/rpc_client.hpp"
#include "cli/status_line.hpp"
#include "cli/validators.hpp"

namespace bt::cli {

namespace {

struct StatusOptions {
    std::string rpc = "127.0.0.1:9091";
    std::optional<std::string> auth;
};

constexpr const char* kStatusFooter = R"(
Prints one line about the daemon at --rpc: its torrents by state, the rates down and up, and the
connected peers by kind of connection (plaintext, MSE with RC4, MSE with only the handshake obfuscated).

Exit status: 0 printed, 1 the daemon cannot be reached or refused the request, 2 invalid input.

Examples:
  bitveil status
  bitveil status --rpc http://192.168.1.2:9091/transmission/rpc --auth alice:secret
)";

// "HOST:PORT" is short for http://HOST:PORT/transmission/rpc.
std::string rpc_url(const std::string& rpc) {
    if (rpc.find("://") != std::string::npos) return rpc;
    return "http://" + rpc + "/transmission/rpc";
}

int run_status(const StatusOptions& o) {
    RpcTarget target;
    target.url = rpc_url(o.rpc);
    target.auth = o.auth;
    const std::string request =
        R"({"method":"torrent-get","arguments":{"fields":["status","rateDownload","rateUpload","bitveil-peers-by-kind"]}})";
    auto body = call_rpc(target, request);
    if (!body) {
        report_error("", body.error());
        return kExitFailure;
    }
    const auto reply = nlohmann::json::parse(*body, nullptr, false);
    auto line = daemon_status_line(reply);
    if (!line) {
        report_error("", target.url + ": not a Transmission RPC reply");
        return kExitFailure;
    }
    fmt::print("{}\n", *line);
    return kExitOk;
}

}  // namespace

void add_status_command(CLI::App& app, int& status) {
    auto o = std::make_shared<StatusOptions>();
    CLI::App* cmd = app.add_subcommand("status", "One line about a running daemon");
    cmd->add_option("--rpc", o->rpc, "the daemon's RPC: HOST:PORT or a URL (default 127.0.0.1:9091)")
        ->check(not_empty("HOST:PORT or a URL"));
    cmd->add_option("--auth", o->auth, "USER:PASS, when the daemon asks for a login");
    cmd->footer(kStatusFooter);
    cmd->callback([o, &status] { status = run_status(*o); });
}

}  // namespace bt::cli
