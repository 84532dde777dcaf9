#include "daemon/daemon.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/log.hpp"
#include "daemon/http_server.hpp"
#include "daemon/index_page.hpp"
#include "daemon/session_backend.hpp"
#include "net/http_client.hpp"
#include "net/spawn.hpp"
#include "rpc/arguments.hpp"
#include "rpc/handler.hpp"
#include "rpc/session_fields.hpp"
#include "storage/atomic_file.hpp"

namespace bt::daemon {

namespace {

constexpr std::size_t kMaxStateFileBytes = std::size_t{256} << 20;
// torrent-add with a URL: the .torrent is fetched under the RPC body's own cap.
constexpr std::size_t kMaxFetchedTorrentBytes = std::size_t{16} << 20;
// A daemon's stop must end within 5 s: the 'stopped' announces get part of that.
constexpr auto kStopAnnounceTimeout = std::chrono::seconds(2);
constexpr auto kPeriodicSave = std::chrono::seconds(60);

// The session-get keys settings.json keeps: what session-set can change.
const nlohmann::json kSavedSettings = {"download-dir",
                                       "peer-port",
                                       "peer-limit-global",
                                       "peer-limit-per-torrent",
                                       "encryption",
                                       "speed-limit-down",
                                       "speed-limit-down-enabled",
                                       "speed-limit-up",
                                       "speed-limit-up-enabled",
                                       "alt-speed-down",
                                       "alt-speed-up",
                                       "alt-speed-enabled",
                                       "alt-speed-time-enabled",
                                       "alt-speed-time-begin",
                                       "alt-speed-time-end",
                                       "alt-speed-time-day",
                                       "seedRatioLimit",
                                       "seedRatioLimited",
                                       "idle-seeding-limit",
                                       "idle-seeding-limit-enabled",
                                       "download-queue-enabled",
                                       "download-queue-size",
                                       "seed-queue-enabled",
                                       "seed-queue-size",
                                       "queue-stalled-enabled",
                                       "queue-stalled-minutes",
                                       "start-added-torrents",
                                       "cache-size-mb",
                                       "dht-enabled"};

std::string default_download_dir() {
    const char* home = std::getenv("HOME");
    return home != nullptr && *home != '\0' ? std::string(home) + "/Downloads" : "/var/lib/bitveil/downloads";
}

// Holds an exclusive lock on <dir>/lock for the life of the process: two daemons must not share a folder.
bool lock_config_dir(const std::string& dir) {
    const int fd = ::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    return fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0;  // kept open: released at exit
}

Result<rpc::SessionView, std::string> load_settings(const std::string& path, const DaemonOptions& options) {
    rpc::SessionView view;
    view.download_dir = default_download_dir();
    auto text = storage::read_file(path, kMaxStateFileBytes);
    if (text) {
        const auto json = nlohmann::json::parse(*text, nullptr, false);
        if (json.is_discarded() || !json.is_object()) return fail(path + ": not a JSON object");
        // The one saved switch the RPC may not change.
        if (auto it = json.find("dht-enabled"); it != json.end() && it->is_boolean())
            view.dht_enabled = it->get<bool>();
        rpc::ArgumentReader args(json);
        const auto changes = rpc::read_session_changes(args, view);
        if (!args.ok()) return fail(path + ": " + args.error());
        apply_session_changes(changes, view);
    } else if (text.error().ec != std::errc::no_such_file_or_directory) {
        return fail(path + ": " + text.error().message());
    }
    if (options.peer_port) view.peer_port = *options.peer_port;
    if (options.download_dir) view.download_dir = *options.download_dir;
    if (!options.session.dht) view.dht_enabled = false;
    view.version = std::string(BT_VERSION) + " (bitveil)";
    return view;
}

class Daemon {
  public:
    Daemon(const DaemonOptions& options, rpc::SessionView settings, session::Settings session_settings)
        : options_(options),
          session_(io_, std::move(session_settings)),
          backend_(session_, options.config_dir, std::move(settings), [this] { shut_down(); }) {}

    Result<void, std::string> run(DaemonState state) {
        if (auto listening = session_.listen(); !listening)
            return fail("peer port " + std::to_string(session_.settings().listen_port) + ": " +
                        listening.error().message);
        if (auto applied = backend_.apply_session_settings()) return fail(*applied);
        backend_.restore(std::move(state));
        HttpServerConfig config;
        config.listen = options_.rpc_listen;
        config.rpc_whitelist = options_.rpc_whitelist;
        config.host_whitelist = options_.rpc_host_whitelist;
        config.web_home = options_.web_home;
        config.index_page = kIndexPage;
        if (options_.auth) {
            const auto colon = options_.auth->find(':');
            config.auth = HttpCredentials{options_.auth->substr(0, colon),
                                          colon == std::string::npos ? "" : options_.auth->substr(colon + 1)};
        }
        config.rpc_handler = [this](std::string body) { return answer(std::move(body)); };
        server_.emplace(io_, std::move(config));
        if (auto listening = server_->listen(); !listening) return fail(listening.error());
        backend_.set_session_id(server_->session_id());
        BT_LOG(info, "daemon", "RPC on {} (port {}), peers on port {}, config in {}", options_.rpc_listen,
               server_->port(), session_.listen_port(), options_.config_dir);
        save();

        asio::signal_set signals(io_, SIGINT, SIGTERM);
        std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int signo) {
            if (ec) return;
            if (stopping_) std::_Exit(signo == SIGINT ? 130 : 143);  // a second signal: at once
            shut_down();
            signals.async_wait(on_signal);
        };
        signals.async_wait(on_signal);
        net::spawn(io_, every_second(), [](const std::string& what) { BT_LOG(error, "daemon", "{}", what); });
        io_.run();
        return {};
    }

  private:
    asio::awaitable<std::string> answer(std::string body) {
        const auto request = rpc::parse_request(body);
        std::optional<rpc::FetchedUrl> fetched;
        if (auto url = rpc::url_to_fetch(request)) {
            net::HttpOptions http;
            http.max_body = kMaxFetchedTorrentBytes;
            http.user_agent = session_.settings().user_agent;
            http.cancel = &session_.http_cancel();
            auto got = co_await net::http_get(session_.http_pool().get_executor(), *url, http);
            fetched.emplace();
            fetched->url = *url;
            if (!got) {
                fetched->error = got.error();
            } else if (got->status != 200) {
                fetched->error = "the server answered HTTP " + std::to_string(got->status);
            } else {
                fetched->bytes = std::move(got->body);
            }
        }
        auto reply = rpc::handle(request, backend_, fetched ? &*fetched : nullptr);
        if (backend_.take_dirty()) save();  // what the user just did survives a kill -9 from now on
        co_return reply;
    }

    // Saves at once after a change, and every kPeriodicSave for the totals (a kill -9 loses less).
    asio::awaitable<void> every_second() {
        asio::steady_timer timer(io_);
        auto last_save = std::chrono::steady_clock::now();
        while (!stopping_) {
            timer.expires_after(std::chrono::seconds(1));
            co_await timer.async_wait(asio::use_awaitable);
            if (stopping_) break;
            backend_.tick();
            const auto now = std::chrono::steady_clock::now();
            if (backend_.take_dirty() || now - last_save >= kPeriodicSave) {
                save();
                last_save = now;
            }
        }
    }

    // What a save writes, taken on the network thread; encoded on the disk pool (at ten thousand torrents
    // the JSON text takes longer than the RPC that changed one of them).
    struct Snapshot {
        nlohmann::json settings;
        DaemonState state;
    };
    Snapshot snapshot() const {
        auto json = rpc::session_json(backend_.settings(), &kSavedSettings);
        json["encryption"] =
            backend_.settings().encryption;  // our exact policy: Transmission's words lose one
        return {std::move(json), backend_.state()};
    }
    static void write(const std::string& dir, const Snapshot& snapshot) {
        const auto settings =
            snapshot.settings.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        if (auto saved = storage::write_file_atomic(dir + "/settings.json", settings); !saved)
            BT_LOG(error, "daemon", "saving settings.json: {}", saved.error().message());
        const auto encode = [&](const storage::PartWriter& part) { encode_state(snapshot.state, part); };
        if (auto saved = storage::write_file_atomic(dir + "/torrents.json", encode); !saved)
            BT_LOG(error, "daemon", "saving torrents.json: {}", saved.error().message());
    }
    // The snapshot now, the encoding and writing (two fsyncs) on the disk pool: the RPC and the peers never
    // wait for them. One save at a time; a save asked meanwhile follows.
    void save() {
        if (saving_) {
            save_again_ = true;
            return;
        }
        saving_ = true;
        asio::post(session_.disk_pool(), [this, dir = options_.config_dir, state = snapshot()] {
            write(dir, state);
            asio::post(io_, [this] {
                saving_ = false;
                if (std::exchange(save_again_, false)) save();
            });
        });
    }

    // Stops answering, stops the session (announces 'stopped', flushes resume records), saves, ends run().
    void shut_down() {
        if (stopping_) return;  // session-close and a signal
        stopping_ = true;
        BT_LOG(info, "daemon", "stopping");
        if (server_) server_->stop();
        net::spawn(
            io_,
            [this]() -> asio::awaitable<void> {
                co_await session_.stop();
                // The last save, after the one in flight, here: nothing runs after io_.stop().
                asio::steady_timer wait(io_);
                while (saving_) {
                    wait.expires_after(std::chrono::milliseconds(10));
                    co_await wait.async_wait(asio::use_awaitable);
                }
                write(options_.config_dir, snapshot());
                io_.stop();
            },
            [this](const std::string& what) {
                BT_LOG(error, "daemon", "stopping: {}", what);
                io_.stop();
            });
    }

    const DaemonOptions& options_;
    asio::io_context io_;
    session::Session session_;
    SessionBackend backend_;
    std::optional<HttpServer> server_;
    bool stopping_ = false;
    bool saving_ = false;
    bool save_again_ = false;
};

}  // namespace

Result<void, std::string> run_daemon(const DaemonOptions& options) {
    const auto& dir = options.config_dir;
    if (auto made = storage::ensure_directories(dir, 0700); !made)
        return fail(dir + ": " + made.error().message());
    if (!lock_config_dir(dir)) return fail(dir + " is in use by another bitveil daemon");
    auto settings = load_settings(dir + "/settings.json", options);
    if (!settings) return fail(settings.error());
    DaemonState state;
    if (auto text = storage::read_file(dir + "/torrents.json", kMaxStateFileBytes)) {
        auto decoded = decode_state(*text);
        if (!decoded) return fail(dir + "/torrents.json: " + decoded.error());
        state = std::move(*decoded);
    } else if (text.error().ec != std::errc::no_such_file_or_directory) {
        return fail(dir + "/torrents.json: " + text.error().message());
    }
    session::Settings session_settings = options.session;
    session_settings.listen_port = static_cast<std::uint16_t>(settings->peer_port);
    session_settings.resume_dir = dir + "/resume";
    if (session_settings.dht_state_file.empty()) session_settings.dht_state_file = dir + "/dht.state";
    session_settings.stop_announce_timeout = kStopAnnounceTimeout;
    Daemon daemon(options, std::move(*settings), std::move(session_settings));
    return daemon.run(std::move(state));
}

}  // namespace bt::daemon
