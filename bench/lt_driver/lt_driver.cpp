// lt_driver: a libtorrent peer for bench/swarm, in C++ so that libtorrent's figures carry neither a Python
// interpreter nor a polling loop. It keeps libtorrent's default settings and changes only what keeps it
// inside the loopback lab (the address, TCP only, no DHT/LSD/UPnP/NAT-PMP/PEX, trackers only when asked) and
// the encryption mode. It learns everything from alerts (wait_for_alert / pop_alerts).
//
// usage: lt_driver TORRENT (--seed | --leech) --save DIR [--address 127.0.0.X] [--port N] [--peer
// HOST:PORT]...
//                  [--tracker | --no-tracker] [--encryption enabled|required|disabled] [--timeout S]
//                  [--set NAME=VALUE]...
//        lt_driver --version
//
// Lines on stdout (flushed):
//   LISTENING port N                     the TCP port it listens on (--port 0 lets the kernel pick)
//   SEEDING                              --seed: the data in DIR checked complete; it serves until SIGTERM
//   DONE bytes=N seconds=S               --leech: complete (torrent_finished_alert); S since it started
//   ENCRYPTION peers=N none=N rc4=N mse-plain=N   the peers seen past the handshake, by kind of connection
//   TOTAL payload_up=N payload_down=N    at exit
//   ALERT <type>: <message>              errors, and peers that failed
//   ERROR <why> / TIMEOUT <why>          then it exits 1
// Exit status: 0 after SIGTERM/SIGINT (--seed) or when the download is complete (--leech); 1 on an error, on
// --timeout, or when a leech is stopped before it completes; 2 on a bad command line.
//
// The peers' encryption comes from get_peer_info(), asked once shortly after each batch of connections (not
// polled): a leech closes its connections to seeds the moment it completes, so the end is too late to ask.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/peer_info.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <libtorrent/version.hpp>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr char kUsage[] =
    "usage: lt_driver TORRENT (--seed | --leech) --save DIR [--address 127.0.0.X] [--port N]\n"
    "                 [--peer HOST:PORT]... [--tracker | --no-tracker] [--encryption "
    "enabled|required|disabled]\n"
    "                 [--timeout S] [--set NAME=VALUE]...\n"
    "       lt_driver --version\n";

struct Options {
    std::string torrent;
    bool seed = false;
    bool leech = false;
    std::string save_dir;
    std::string address = "127.0.0.1";
    int port = 0;
    std::vector<lt::tcp::endpoint> peers;
    bool use_trackers = false;
    std::string encryption = "enabled";
    double timeout_s = 0;
    std::vector<std::pair<std::string, std::string>> settings;
};

void say(std::string const& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

[[noreturn]] void usage_error(std::string const& why) {
    std::fprintf(stderr, "lt_driver: %s\n%s", why.c_str(), kUsage);
    std::exit(2);
}

lt::tcp::endpoint parse_endpoint(std::string const& text) {
    auto const colon = text.rfind(':');
    if (colon == std::string::npos) usage_error("--peer wants HOST:PORT, got " + text);
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    lt::error_code ec;
    auto const address = lt::make_address(host, ec);
    if (ec) usage_error("--peer wants a numeric address, got " + host);
    return {address, static_cast<unsigned short>(std::stoi(text.substr(colon + 1)))};
}

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage_error(arg + " needs a value");
            return argv[++i];
        };
        try {
            if (arg == "--seed") {
                options.seed = true;
            } else if (arg == "--leech") {
                options.leech = true;
            } else if (arg == "--save") {
                options.save_dir = value();
            } else if (arg == "--address") {
                options.address = value();
            } else if (arg == "--port") {
                options.port = std::stoi(value());
            } else if (arg == "--peer") {
                options.peers.push_back(parse_endpoint(value()));
            } else if (arg == "--tracker") {
                options.use_trackers = true;
            } else if (arg == "--no-tracker") {
                options.use_trackers = false;
            } else if (arg == "--encryption") {
                options.encryption = value();
            } else if (arg == "--timeout") {
                options.timeout_s = std::stod(value());
            } else if (arg == "--set") {
                auto const item = value();
                auto const equals = item.find('=');
                if (equals == std::string::npos) usage_error("--set wants NAME=VALUE");
                options.settings.emplace_back(item.substr(0, equals), item.substr(equals + 1));
            } else if (arg == "--help" || arg == "-h") {
                std::fputs(kUsage, stdout);
                std::exit(0);
            } else if (arg == "--version") {
                std::printf("lt_driver (libtorrent %s)\n", lt::version());
                std::exit(0);
            } else if (!arg.empty() && arg[0] != '-' && options.torrent.empty()) {
                options.torrent = arg;
            } else {
                usage_error("unexpected argument " + arg);
            }
        } catch (std::logic_error const&) {  // std::stoi / std::stod on a non-number
            usage_error("bad number in " + arg);
        }
    }
    if (options.torrent.empty() || options.save_dir.empty() || options.seed == options.leech)
        usage_error("TORRENT, --save and one of --seed or --leech are required");
    if (options.encryption != "enabled" && options.encryption != "required" &&
        options.encryption != "disabled")
        usage_error("--encryption: enabled, required or disabled");
    return options;
}

void apply_setting(lt::settings_pack& pack, std::string const& name, std::string const& value) {
    int const setting = lt::setting_by_name(name);
    if (setting < 0) usage_error("--set: libtorrent has no setting " + name);
    switch (setting & lt::settings_pack::type_mask) {
        case lt::settings_pack::string_type_base:
            pack.set_str(setting, value);
            break;
        case lt::settings_pack::bool_type_base:
            pack.set_bool(setting, value == "true" || value == "1");
            break;
        default:
            pack.set_int(setting, std::stoi(value));
            break;
    }
}

lt::settings_pack lab_settings(Options const& options) {
    lt::settings_pack pack;  // libtorrent's defaults, except for what follows
    pack.set_str(lt::settings_pack::listen_interfaces, options.address + ":" + std::to_string(options.port));
    pack.set_str(lt::settings_pack::outgoing_interfaces, options.address);
    pack.set_bool(lt::settings_pack::enable_dht, false);
    pack.set_str(lt::settings_pack::dht_bootstrap_nodes, "");  // never the public routers
    pack.set_bool(lt::settings_pack::enable_lsd, false);
    pack.set_bool(lt::settings_pack::enable_upnp, false);
    pack.set_bool(lt::settings_pack::enable_natpmp, false);
    pack.set_bool(lt::settings_pack::enable_outgoing_utp, false);
    pack.set_bool(lt::settings_pack::enable_incoming_utp, false);
    int policy = lt::settings_pack::pe_enabled;
    int level = lt::settings_pack::pe_both;
    if (options.encryption == "required") {
        policy = lt::settings_pack::pe_forced;
        level = lt::settings_pack::pe_rc4;
    } else if (options.encryption == "disabled") {
        policy = lt::settings_pack::pe_disabled;
        level = lt::settings_pack::pe_plaintext;
    }
    pack.set_int(lt::settings_pack::out_enc_policy, policy);
    pack.set_int(lt::settings_pack::in_enc_policy, policy);
    pack.set_int(lt::settings_pack::allowed_enc_level, level);
    pack.set_bool(lt::settings_pack::prefer_rc4, options.encryption == "required");
    pack.set_int(lt::settings_pack::alert_mask,
                 lt::alert_category::error | lt::alert_category::status | lt::alert_category::connect);
    for (auto const& [name, value] : options.settings) apply_setting(pack, name, value);
    return pack;
}

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) {
    stop_requested = true;
}

// The kind of connection of every peer seen past the handshake, keyed by its endpoint.
class EncryptionLog {
  public:
    // Asks libtorrent once; true when some peer was still connecting or in its handshake (ask again later).
    bool record(lt::torrent_handle const& handle) {
        std::vector<lt::peer_info> peers;
        handle.get_peer_info(peers);
        bool unsettled = false;
        for (auto const& peer : peers) {
            if (peer.flags & (lt::peer_info::connecting | lt::peer_info::handshake)) {
                unsettled = true;
                continue;
            }
            kind_by_peer_[peer.ip] = (peer.flags & lt::peer_info::rc4_encrypted)         ? "rc4"
                                     : (peer.flags & lt::peer_info::plaintext_encrypted) ? "mse-plain"
                                                                                         : "none";
        }
        return unsettled;
    }

    std::string summary() const {
        std::map<std::string, int> count{{"none", 0}, {"rc4", 0}, {"mse-plain", 0}};
        for (auto const& [peer, kind] : kind_by_peer_) ++count[kind];
        return "ENCRYPTION peers=" + std::to_string(kind_by_peer_.size()) +
               " none=" + std::to_string(count["none"]) + " rc4=" + std::to_string(count["rc4"]) +
               " mse-plain=" + std::to_string(count["mse-plain"]);
    }

  private:
    std::map<lt::tcp::endpoint, std::string> kind_by_peer_;
};

int run(Options const& options) {
    auto const started = Clock::now();
    lt::session session(lab_settings(options));

    lt::add_torrent_params params;
    lt::error_code ec;
    params.ti = std::make_shared<lt::torrent_info>(options.torrent, ec);
    if (ec) {
        say("ERROR cannot read " + options.torrent + ": " + ec.message());
        return 1;
    }
    params.save_path = options.save_dir;
    params.flags &= ~(lt::torrent_flags::auto_managed | lt::torrent_flags::paused);
    params.flags |=
        lt::torrent_flags::disable_dht | lt::torrent_flags::disable_lsd | lt::torrent_flags::disable_pex;
    if (!options.use_trackers)
        params.flags |= lt::torrent_flags::override_trackers;  // with params.trackers empty
    auto const total_bytes = params.ti->total_size();
    lt::torrent_handle const handle = session.add_torrent(std::move(params));

    EncryptionLog encryption;
    constexpr auto kNever = Clock::time_point::max();
    auto encryption_query_at = kNever;  // when to ask for the peers' encryption
    std::set<lt::tcp::endpoint> connected;
    bool checked = false;
    bool complete = false;
    bool said_port = false;
    auto next_dial = Clock::now();
    int exit_code = 0;
    std::vector<lt::alert*> alerts;

    while (!stop_requested) {
        auto const now = Clock::now();
        // Wake for the next thing due (a dial, an encryption query) or to notice a signal.
        auto wake = now + 250ms;
        wake = std::min(wake, encryption_query_at);
        if (options.leech && checked) wake = std::min(wake, next_dial);
        session.wait_for_alert(
            std::chrono::duration_cast<lt::time_duration>(std::max(wake - now, Clock::duration{})));
        session.pop_alerts(&alerts);
        for (lt::alert* alert : alerts) {
            if (auto* listening = lt::alert_cast<lt::listen_succeeded_alert>(alert)) {
                if (!said_port && listening->socket_type == lt::socket_type_t::tcp) {
                    say("LISTENING port " + std::to_string(listening->port));
                    said_port = true;
                }
            } else if (lt::alert_cast<lt::listen_failed_alert>(alert) ||
                       lt::alert_cast<lt::torrent_error_alert>(alert) ||
                       lt::alert_cast<lt::file_error_alert>(alert)) {
                say(std::string("ERROR ") + alert->what() + ": " + alert->message());
                return 1;
            } else if (lt::alert_cast<lt::torrent_checked_alert>(alert)) {
                checked = true;
                if (options.seed) {
                    auto const status = handle.status();
                    if (!status.is_seeding) {
                        say("ERROR the data in " + options.save_dir + " is incomplete (" +
                            std::to_string(status.progress * 100) + "%), cannot seed");
                        return 1;
                    }
                    say("SEEDING");
                }
            } else if (auto* connect = lt::alert_cast<lt::peer_connect_alert>(alert)) {
                connected.insert(connect->endpoint);
                // An outgoing connection is reported before its handshake: ask a little later.
                encryption_query_at = std::min(encryption_query_at, Clock::now() + 20ms);
            } else if (auto* disconnected = lt::alert_cast<lt::peer_disconnected_alert>(alert)) {
                connected.erase(disconnected->endpoint);
                if (options.leech && disconnected->error && !complete)
                    say(std::string("ALERT ") + alert->what() + ": " + alert->message());
            } else if (lt::alert_cast<lt::torrent_finished_alert>(alert) && options.leech && !complete) {
                complete = true;
                auto const seconds = std::chrono::duration<double>(Clock::now() - started).count();
                say("DONE bytes=" + std::to_string(total_bytes) + " seconds=" + std::to_string(seconds));
            }
        }
        if (complete) break;
        auto const after = Clock::now();
        if (after >= encryption_query_at) {
            bool const unsettled = encryption.record(handle);
            encryption_query_at = unsettled ? after + 50ms : kNever;
        }
        if (options.leech && checked && after >= next_dial) {
            for (auto const& peer : options.peers)
                if (!connected.count(peer)) handle.connect_peer(peer);
            next_dial = after + 2s;
        }
        if (options.leech && options.timeout_s > 0 &&
            after - started > std::chrono::duration<double>(options.timeout_s)) {
            say("TIMEOUT after " + std::to_string(options.timeout_s) + " s at " +
                std::to_string(handle.status().progress * 100) + "%");
            exit_code = 1;
            break;
        }
    }
    if (options.leech && !complete && exit_code == 0) exit_code = 1;  // stopped by a signal before completing
    encryption.record(
        handle);  // the peers still connected (a seed's; a complete leech has dropped its seeds)
    say(encryption.summary());
    auto const status = handle.status();
    say("TOTAL payload_up=" + std::to_string(status.total_payload_upload) +
        " payload_down=" + std::to_string(status.total_payload_download));
    return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
    Options const options = parse_options(argc, argv);
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);
    return run(options);
}
