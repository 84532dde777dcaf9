#include "session/session.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <ctime>
#include <list>
#include <random>

#include "core/log.hpp"
#include "core/printable.hpp"
#include "net/spawn.hpp"
#include "net/tcp_stream.hpp"
#include "session/deadline.hpp"
#include "storage/atomic_file.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
// After a failed accept (EMFILE, ENFILE, ENOBUFS, ...) the listener pauses, doubling the pause up to the
// maximum while the failures go on: descriptors come back as handshakes time out and peers leave.
constexpr auto kAcceptPauseMin = std::chrono::milliseconds(50);
constexpr auto kAcceptPauseMax = std::chrono::milliseconds(1000);
constexpr std::uint32_t kMinConnectionLimit = 8;
// The alt speed schedule's timer runs on the steady clock and the schedule on the local wall clock: a wait
// is cut at this, so that a summer-time change, a clock set by hand or a suspend delays a switch by this
// much at most.
constexpr auto kAltScheduleRecheck = std::chrono::minutes(15);

std::string rate_text(std::uint64_t bytes_per_second) {
    if (bytes_per_second == 0) return "unlimited";
    if (bytes_per_second % (1024 * 1024) == 0) return fmt::format("{} MiB/s", bytes_per_second >> 20);
    if (bytes_per_second % 1024 == 0) return fmt::format("{} KiB/s", bytes_per_second >> 10);
    return fmt::format("{} B/s", bytes_per_second);
}

// The local weekday and minute now, and the second within that minute.
struct LocalNow {
    bandwidth::LocalTime time;
    std::int64_t second = 0;
};

LocalNow local_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    if (::localtime_r(&now, &tm) == nullptr) return {};
    return {
        bandwidth::LocalTime{static_cast<bandwidth::Weekday>(std::clamp(tm.tm_wday, 0, 6)),
                             static_cast<std::uint32_t>(std::clamp(tm.tm_hour * 60 + tm.tm_min, 0, 1439))},
        std::clamp(tm.tm_sec, 0, 59)};
}

}  // namespace

namespace detail {
// Incoming connections in their handshake, oldest first. When the bound is reached the oldest is evicted
// (its stream closed) to make room: a real peer finishes its handshake within a round trip or two, so the
// oldest pending connection is the one most likely idle, and a storm of idle sockets cannot keep real
// peers out for long the way refusing newcomers would.
struct PendingHandshakes {
    struct Entry {
        net::ByteStream* stream = nullptr;
        bool evicted = false;
    };
    std::list<Entry> entries;
    std::size_t evicted = 0;  // entries whose stream was closed and whose handshake has not ended yet

    std::size_t active() const noexcept { return entries.size() - evicted; }
    void evict_oldest() {
        for (auto& e : entries) {
            if (e.evicted) continue;
            e.evicted = true;
            ++evicted;
            e.stream->close();  // frees the descriptor now; the handshake ends with an error
            return;
        }
    }
};
}  // namespace detail

namespace {

// Registers a connection as pending for as long as its handshake runs.
class PendingSlot {
  public:
    PendingSlot(std::shared_ptr<detail::PendingHandshakes> pending, net::ByteStream& stream)
        : pending_(std::move(pending)),
          it_(pending_->entries.insert(pending_->entries.end(), {&stream, false})) {}
    ~PendingSlot() {
        if (it_->evicted) --pending_->evicted;
        pending_->entries.erase(it_);
    }
    PendingSlot(const PendingSlot&) = delete;
    PendingSlot& operator=(const PendingSlot&) = delete;
    bool evicted() const noexcept { return it_->evicted; }

  private:
    std::shared_ptr<detail::PendingHandshakes> pending_;
    std::list<detail::PendingHandshakes::Entry>::iterator it_;
};

}  // namespace

wire::PeerId make_peer_id() {
    // Azureus style: client "BV", version 0.1.0.0.
    static constexpr std::string_view kPrefix = "-BV0100-";
    static constexpr std::string_view kAlphabet =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    wire::PeerId id{};
    std::copy(kPrefix.begin(), kPrefix.end(), id.begin());
    std::random_device rd;
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    for (std::size_t i = kPrefix.size(); i < id.size(); ++i)
        id[i] = static_cast<std::uint8_t>(kAlphabet[pick(rd)]);
    return id;
}

Session::Session(asio::io_context& io, Settings settings)
    : io_(io),
      settings_(std::move(settings)),
      disk_pool_(std::max(1u, settings_.disk_threads)),
      http_pool_(2),
      checks_(CheckQueue::create(std::max(2u, settings_.disk_threads))),
      peer_id_(make_peer_id()),
      tracker_key_(static_cast<std::uint32_t>(random_seed())),
      pending_(std::make_shared<detail::PendingHandshakes>()) {
    // Saves a killed process left unfinished, for every record at once before any torrent reads one. Fresh
    // ones stay: another session (a second `bitveil download`) may share the folder and be saving.
    if (!settings_.resume_dir.empty())
        storage::remove_stale_temporaries_in(settings_.resume_dir, std::chrono::minutes(1));
    if (settings_.alt_speed_enabled) log_alt_speed("");
    check_alt_schedule();
}

Session::~Session() {
    // A torrent may outlive the session in a coroutine frame the io_context has yet to destroy: its peers
    // are closed now, while the session they report to still exists.
    for (auto& t : torrents_) t->close_peers("shutting down");
    if (dht_) dht_->stop();
    disk_pool_.join();
    http_pool_.join();
}

std::uint64_t Session::random_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) | rd();
}

bool Session::ListenError::port_in_use() const noexcept {
    return ec == asio::error::address_in_use || ec == std::errc::address_in_use;
}

Result<void, Session::ListenError> Session::listen() {
    auto listener = bind(settings_);
    if (!listener) return fail(std::move(listener.error()));
    use(std::move(*listener));
    set_connection_limits();
    update_dht();
    return {};
}

void Session::update_dht() {
    if (dht_ && (!settings_.dht || stopping_)) {
        dht_->stop();
        dht_.reset();
        for (const auto& t : torrents_) t->on_dht_stopped();
        return;
    }
    if (dht_ || !settings_.dht || !udp_mux_ || stopping_) return;
    dht_ = DhtService::start(
        io_, udp_mux_,
        DhtServiceSettings{settings_.dht_bootstrap, settings_.dht_state_file, settings_.dht_read_only},
        random_seed());
    const auto family =
        settings_.listen_address.find(':') == std::string::npos ? Endpoint::Family::v4 : Endpoint::Family::v6;
    BT_LOG(info, "dht", "running on UDP port {}{}", dht_->port(family).value_or(0),
           settings_.dht_bootstrap.empty() ? " (no bootstrap nodes)" : "");
    for (const auto& t : torrents_) t->on_dht_started();
}

Result<Session::Listener, Session::ListenError> Session::bind(const Settings& settings) {
    std::error_code ec;
    const auto address = asio::ip::make_address(settings.listen_address, ec);
    if (ec) return fail(ListenError{ec, "invalid listen address " + settings.listen_address});
    const asio::ip::tcp::endpoint endpoint(address, settings.listen_port);
    Listener listener;
    listener.acceptor = std::make_shared<asio::ip::tcp::acceptor>(io_);
    auto& acceptor = *listener.acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return fail(ListenError{ec, "cannot listen on " + settings.listen_address + ":" +
                                        std::to_string(settings.listen_port) + ": " + ec.message()});
    }
    const auto port = acceptor.local_endpoint().port();
    if (auto mux = net::UdpMux::open(io_.get_executor(), address, port); mux)
        listener.udp_mux = std::make_shared<net::UdpMux>(std::move(*mux));
    else
        BT_LOG(warning, "udp", "{}; UDP trackers get a socket per announce", mux.error());
    return listener;
}

void Session::release_listener() {
    std::error_code ignored;
    if (acceptor_) acceptor_->close(ignored);  // its accept loop ends
    if (udp_mux_) udp_mux_->close();           // announces in flight on it fail and are retried
    acceptor_.reset();
    udp_mux_.reset();
}

void Session::use(Listener listener) {
    release_listener();
    std::error_code ignored;
    acceptor_ = std::move(listener.acceptor);
    udp_mux_ = std::move(listener.udp_mux);
    listen_port_ = acceptor_->local_endpoint(ignored).port();
    if (dht_ && udp_mux_) dht_->attach(udp_mux_);
    spawn_accept_loop(acceptor_);
}

void Session::start_queued(std::span<Torrent* const> torrents) {
    if (settings_.max_active_downloads == 0 && settings_.max_active_seeds == 0) {
        for (auto* t : torrents) t->start();
        return;
    }
    for (auto* t : torrents) {
        t->mark_queued();
        queue_.push_back(t->id());
    }
    start_from_queue();
    if (queue_running_ || queue_.empty()) return;
    queue_running_ = true;
    net::spawn(io_, queue_loop(), [this](const std::string& what) {
        queue_running_ = false;
        BT_LOG(error, "session", "queue: {}", what);
    });
}

void Session::reorder_queue(const std::vector<TorrentId>& order) {
    const auto rank = [&](TorrentId id) { return std::ranges::find(order, id) - order.begin(); };
    std::ranges::stable_sort(queue_, {}, rank);
}

asio::awaitable<void> Session::queue_loop() {
    while (!stopping_ && !queue_.empty()) {
        queue_timer_.expires_after(std::chrono::seconds(1));
        co_await queue_timer_.async_wait(use_nothrow);
        if (stopping_) break;
        start_from_queue();
    }
    queue_running_ = false;
}

void Session::start_from_queue() {
    // Torrents that left the queue another way (started, removed, stopped by the user) leave it here.
    std::erase_if(queue_, [&](TorrentId id) {
        const auto* t = find_torrent(id);
        return t == nullptr || t->state() != TorrentState::queued;
    });
    const auto now = std::chrono::steady_clock::now();
    std::uint32_t downloads = 0;
    std::uint32_t seeds = 0;
    // Rebuilt each pass from the running downloads, so a stopped or removed torrent leaves no entry.
    std::map<TorrentId, std::chrono::steady_clock::time_point> moved;
    for (const auto& t : torrents_) {
        const auto state = t->state();  // not status(): this pass looks at every torrent
        if (state == TorrentState::seeding) ++seeds;
        if (state != TorrentState::metadata && state != TorrentState::checking &&
            state != TorrentState::downloading) {
            continue;
        }
        // A download moving no payload for queue_stalled_after gives its slot up (it keeps running).
        const auto before = last_moved_.find(t->id());
        const bool active = state == TorrentState::checking || t->status().download_rate > 0;
        const auto last = active || before == last_moved_.end() ? now : before->second;
        moved.emplace(t->id(), last);
        if (now - last < settings_.queue_stalled_after) ++downloads;
    }
    last_moved_ = std::move(moved);
    const auto fits = [](std::uint32_t active, std::uint32_t limit) { return limit == 0 || active < limit; };
    // The queue is rebuilt rather than erased from: thousands may leave it in one pass.
    std::vector<TorrentId> waiting;
    std::vector<Torrent*> starting;
    for (const auto id : queue_) {
        auto* t = find_torrent(id);
        const bool seed = t->counts_as_seed();
        if (!(seed ? fits(seeds, settings_.max_active_seeds)
                   : fits(downloads, settings_.max_active_downloads))) {
            waiting.push_back(id);
            continue;
        }
        ++(seed ? seeds : downloads);
        starting.push_back(t);
    }
    queue_ = std::move(waiting);
    for (auto* t : starting) {
        BT_LOG(info, "session", "{}: started from the queue", printable(t->name()));
        t->start();
    }
}

bool Session::is_own_endpoint(const Endpoint& endpoint) const {
    if (listen_port_ == 0 || endpoint.port != listen_port_) return false;
    const auto address = parse_ip_address(settings_.listen_address);
    if (!address) return false;
    const bool any = std::ranges::all_of(address->address_bytes(), [](std::uint8_t b) { return b == 0; });
    if (any) return endpoint.is_loopback();
    return endpoint.family == address->family &&
           std::ranges::equal(endpoint.address_bytes(), address->address_bytes());
}

Result<void, std::string> Session::apply_settings(Settings settings) {
    if (settings.max_ban_records == 0) return fail("max_ban_records must be at least 1");
    if (acceptor_ && (settings.listen_port != settings_.listen_port ||
                      settings.listen_address != settings_.listen_address)) {
        if (stopping_) return fail("the session is stopping");
        auto listener = bind(settings);
        if (!listener && settings.listen_port != 0 && settings.listen_port == listen_port_) {
            // Only the address changed: the old socket holds the port (Linux refuses 127.0.0.1:P beside
            // 0.0.0.0:P). Let it go and bind again; if that fails too, the old address is bound again.
            release_listener();
            listener = bind(settings);
            if (!listener) {
                if (auto old = bind(settings_)) use(std::move(*old));
                return fail(listener.error().message);
            }
        }
        if (!listener) return fail(listener.error().message);
        use(std::move(*listener));
        BT_LOG(info, "session", "listening on {}:{}", settings.listen_address, listen_port_);
    }
    const bool alt_was_on = settings_.alt_speed_enabled;
    const bool schedule_changed =
        settings.alt_speed_schedule_enabled != settings_.alt_speed_schedule_enabled ||
        settings.alt_speed_schedule != settings_.alt_speed_schedule;
    settings_ = std::move(settings);
    apply_rate_limits();
    if (settings_.alt_speed_enabled != alt_was_on) log_alt_speed("");
    if (schedule_changed) {
        alt_scheduled_.reset();
        check_alt_schedule();
    }
    banned_ids_.set_capacity(settings_.max_ban_records);
    banned_addresses_.set_capacity(settings_.max_ban_records);
    read_cache_.set_budget(settings_.read_cache_bytes);
    if (acceptor_) {
        set_connection_limits();
        update_dht();
    }
    for (const auto& t : torrents_) t->apply_settings();
    return {};
}

void Session::apply_rate_limits() {
    rate_limiter_.set_limit(download_channel_, session_download_limit());
    rate_limiter_.set_limit(upload_channel_, session_upload_limit());
}

void Session::set_alt_speed_enabled(bool on) {
    switch_alt_speed(on, "");
}

void Session::set_alt_speed_limits(std::uint64_t download, std::uint64_t upload) {
    const bool changed = download != settings_.alt_download_limit || upload != settings_.alt_upload_limit;
    settings_.alt_download_limit = download;
    settings_.alt_upload_limit = upload;
    apply_rate_limits();
    if (changed && settings_.alt_speed_enabled) log_alt_speed("");
}

void Session::set_alt_speed_schedule(bool enabled, const bandwidth::AltSpeedSchedule& schedule) {
    settings_.alt_speed_schedule_enabled = enabled;
    settings_.alt_speed_schedule = schedule;
    alt_scheduled_.reset();  // the schedule's state for now applies, whatever was set by hand
    check_alt_schedule();
}

void Session::switch_alt_speed(bool on, std::string_view why) {
    const bool changed = settings_.alt_speed_enabled != on;
    settings_.alt_speed_enabled = on;
    apply_rate_limits();
    if (changed) log_alt_speed(why);
}

void Session::log_alt_speed(std::string_view why) const {
    BT_LOG(info, "session", "alt speed limits {}{}: {} down, {} up",
           settings_.alt_speed_enabled ? "on" : "off", why, rate_text(session_download_limit()),
           rate_text(session_upload_limit()));
}

void Session::check_alt_schedule() {
    if (!settings_.alt_speed_schedule_enabled || stopping_) {
        alt_timer_.cancel();
        return;
    }
    const auto now = local_now();
    const bool on = bandwidth::is_alt_time(settings_.alt_speed_schedule, now.time);
    if (alt_scheduled_ != on) {
        alt_scheduled_ = on;
        switch_alt_speed(on, " by the schedule");
    }
    const auto minutes = bandwidth::minutes_until_switch(settings_.alt_speed_schedule, now.time);
    if (!minutes) {
        alt_timer_.cancel();  // the schedule never switches
        return;
    }
    // An early wake (the wall clock a little behind the steady one) finds no switch yet and waits again.
    const auto wait =
        std::clamp<std::chrono::seconds>(std::chrono::seconds(std::int64_t{*minutes} * 60 - now.second),
                                         std::chrono::seconds(1), kAltScheduleRecheck);
    alt_timer_.expires_after(wait);
    alt_timer_.async_wait([this, alive = std::weak_ptr<int>(alt_alive_)](const std::error_code& ec) {
        if (ec || alive.expired()) return;
        check_alt_schedule();
    });
}

void Session::set_connection_limits() {
    std::uint64_t limit = settings_.max_connections;
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
        const std::uint64_t usable =
            nofile.rlim_cur > kReservedDescriptors ? nofile.rlim_cur - kReservedDescriptors : 0;
        // A tiny limit still gets a few peers; the accept loop survives EMFILE if that overshoots.
        limit = std::min(limit, std::max<std::uint64_t>(usable, kMinConnectionLimit));
    }
    connection_limit_ = static_cast<std::uint32_t>(std::max<std::uint64_t>(limit, 1));
    // Pending handshakes may use at most half the budget, so a storm of idle connections leaves the
    // other half to real peers.
    pending_limit_ = std::max(1u, std::min(settings_.max_pending_incoming, connection_limit_ / 2));
    BT_LOG(info, "session", "connection limits: {} peer sockets, {} pending incoming handshakes",
           connection_limit_, pending_limit_);
}

bool Session::ban(const wire::PeerId& peer_id, const std::optional<Endpoint>& address) {
    bool added = banned_ids_.try_emplace(peer_id).second;
    if (address) added = banned_addresses_.try_emplace(*address).second || added;
    return added;
}

bool Session::is_banned(const wire::PeerId& peer_id, const Endpoint& address) const {
    return banned_ids_.contains(peer_id) || banned_addresses_.contains(address);
}

Result<Torrent*, std::string> Session::add_torrent(TorrentParams params) {
    const auto info_hash = params.metainfo ? params.metainfo->info_hash.bytes : params.info_hash;
    if (const auto existing = find_torrent(info_hash))
        return fail("already added as torrent " + std::to_string(existing->id().value));
    // Its removal may still delete files and the resume record that a new copy would be using.
    if (std::any_of(removing_.begin(), removing_.end(),
                    [&](const auto& t) { return t->info_hash() == info_hash; }))
        return fail("still being removed; add it again in a moment");
    skeys_.add(info_hash);
    const TorrentId id{next_torrent_id_++};
    torrents_.push_back(std::make_shared<Torrent>(*this, id, std::move(params)));
    by_info_hash_.emplace(info_hash, torrents_.back());
    return torrents_.back().get();
}

Torrent* Session::find_torrent(TorrentId id) const {
    const auto it = std::lower_bound(torrents_.begin(), torrents_.end(), id,
                                     [](const auto& t, TorrentId wanted) { return t->id() < wanted; });
    return it != torrents_.end() && (*it)->id() == id ? it->get() : nullptr;
}

std::shared_ptr<Torrent> Session::find_torrent(const wire::InfoHashBytes& info_hash) const {
    const auto it = by_info_hash_.find(info_hash);
    return it == by_info_hash_.end() ? nullptr : it->second;
}

asio::awaitable<Result<void, std::string>> Session::remove_torrent(TorrentId id, RemoveData data) {
    const auto it =
        std::find_if(torrents_.begin(), torrents_.end(), [&](const auto& t) { return t->id() == id; });
    if (it == torrents_.end()) co_return fail("no torrent " + std::to_string(id.value));
    // Out of the session first: no incoming peer finds it, and a second remove fails at once.
    const auto torrent = *it;
    torrents_.erase(it);
    by_info_hash_.erase(torrent->info_hash());
    skeys_.remove(torrent->info_hash());
    torrent->mark_removed();
    removing_.push_back(torrent);
    // Listed until the removal is over, however it ends: add_torrent and stop() look at the list.
    struct Removing {
        std::vector<std::shared_ptr<Torrent>>& list;
        const Torrent* torrent;
        ~Removing() {
            std::erase_if(list, [&](const auto& t) { return t.get() == torrent; });
        }
    } removing{removing_, torrent.get()};
    co_await torrent->stop();
    torrent->release_rate_limits();
    if (data == RemoveData::erase) {
        auto removed = co_await torrent->remove_data();
        if (!removed) co_return fail(printable(torrent->name()) + ": " + removed.error());
    }
    BT_LOG(info, "session", "{}: removed{}", printable(torrent->name()),
           data == RemoveData::erase ? " with its data" : "");
    co_return Result<void, std::string>{};
}

void Session::spawn_accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor) {
    net::spawn(io_, accept_loop(acceptor), [this, acceptor](const std::string& what) {
        BT_LOG(error, "session", "accepting connections: {}; listening again", what);
        if (!stopping_ && acceptor == acceptor_) spawn_accept_loop(acceptor);
    });
}

asio::awaitable<void> Session::accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor) {
    asio::steady_timer pause(io_);
    auto pause_for = kAcceptPauseMin;
    std::uint64_t failed_in_a_row = 0;
    std::string failure;
    bool evicting = false;  // for one log line per run of evictions
    while (!stopping_ && acceptor == acceptor_) {
        auto [ec, socket] = co_await acceptor->async_accept(use_nothrow);
        if (stopping_ || acceptor != acceptor_) break;
        if (ec) {
            // EMFILE and friends: the connection stays in the kernel's queue. Log the first failure of a
            // run, pause instead of spinning, and keep the listener up.
            if (failed_in_a_row++ == 0) {
                failure = ec.message();
                BT_LOG(warning, "session", "accept: {}; pausing ({} peer connections, {} pending handshakes)",
                       failure, peer_sockets_, pending_->active());
            }
            pause.expires_after(pause_for);
            co_await pause.async_wait(use_nothrow);
            pause_for = std::min<std::chrono::milliseconds>(pause_for * 2, kAcceptPauseMax);
            continue;
        }
        if (failed_in_a_row > 0) {
            BT_LOG(warning, "session", "accepting again after {} failed accept(s)", failed_in_a_row);
            ++incoming_failures_["accept failed: " + failure];  // once per run of failures
            failed_in_a_row = 0;
            pause_for = kAcceptPauseMin;
        }
        if (pending_->active() >= pending_limit_) {
            if (!evicting) {
                BT_LOG(info, "session", "{} pending handshakes: evicting the oldest for each new connection",
                       pending_->active());
                evicting = true;
            }
            pending_->evict_oldest();
        } else {
            evicting = false;
            if (pending_->active() + peer_sockets_ >= connection_limit_) {
                refuse(socket, "refused: too many connections");
                continue;
            }
            refused_in_a_row_ = 0;
        }
        net::spawn(io_, handle_incoming(std::make_unique<net::TcpStream>(std::move(socket))),
                   [this](const std::string& what) {
                       BT_LOG(error, "session", "incoming connection: {}", what);
                       ++incoming_failures_[what];
                   });
    }
}

void Session::refuse(asio::ip::tcp::socket& socket, const char* reason) {
    // Closed at once: the descriptor is free again before the next accept.
    if (refused_in_a_row_++ == 0) {
        BT_LOG(info, "session", "incoming connections {} ({} peer connections, {} pending handshakes)",
               reason, peer_sockets_, pending_->active());
    }
    ++incoming_failures_[reason];
    std::error_code ignored;
    socket.close(ignored);
}

asio::awaitable<void> Session::handle_incoming(std::unique_ptr<net::ByteStream> stream) {
    PendingSlot pending(pending_, *stream);
    const auto remote = stream->remote_endpoint();
    if (!remote) co_return;
    const Endpoint endpoint = *remote;

    std::shared_ptr<Torrent> torrent;  // alive through the handshake, even if removed meanwhile
    net::IncomingHandshake params;
    params.policy = settings_.encryption;
    params.level = settings_.encryption_level;
    params.find_skey = skeys_.lookup();
    params.reply_for = [&](const wire::InfoHashBytes& info_hash) -> std::optional<wire::Handshake> {
        torrent = find_torrent(info_hash);
        if (!torrent) return std::nullopt;
        return wire::Handshake{torrent->reserved_bits(), info_hash, peer_id_};
    };
    std::optional<Deadline> deadline(std::in_place, *stream, settings_.handshake_timeout);
    auto result = co_await net::handshake_incoming(stream, std::move(params));
    const bool expired = deadline->expired();
    deadline.reset();
    std::string failure;
    if (!result) {
        if (pending.evicted()) {
            failure = "evicted: too many pending handshakes";
        } else {
            auto error = result.error();
            if (expired && !net::is_timeout(error.ec)) error.ec = net::Errc::handshake_timeout;
            failure = error.reason();
        }
    } else if (result->remote.peer_id == peer_id_) {
        failure = "connected to ourselves";
    } else if (is_banned(result->remote.peer_id, endpoint)) {
        failure = "banned";
    } else if (!torrent->accepts_connections()) {
        failure = "torrent not accepting peers";
    }
    if (!failure.empty()) {
        BT_LOG(info, "peer", "{} in: {}", endpoint.to_string(), failure);
        ++incoming_failures_[failure];
        if (torrent) torrent->count_closed(failure);
        co_return;
    }
    torrent->count_handshake(result->bytes_sent, result->bytes_received);
    torrent->attach_incoming(std::move(result->transport), endpoint, result->remote,
                             std::move(result->leftover));
}

asio::awaitable<void> Session::stop() {
    stopping_ = true;
    http_cancel_ = true;
    queue_timer_.cancel();
    alt_timer_.cancel();
    std::error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
    // All at once, so the whole stop takes one 'stopped' announce deadline, not one per torrent. A copy: a
    // torrent removed meanwhile is stopped by its remove.
    const auto torrents = torrents_;
    auto stopping = std::make_shared<std::size_t>(torrents.size());
    auto all_stopped = std::make_shared<asio::steady_timer>(io_, asio::steady_timer::time_point::max());
    const auto one_done = [stopping, all_stopped] {
        if (--*stopping == 0) all_stopped->cancel();
    };
    for (const auto& t : torrents) {
        net::spawn(
            io_,
            [](std::shared_ptr<Torrent> torrent, auto done) -> asio::awaitable<void> {
                co_await torrent->stop();
                done();
            }(t, one_done),
            [one_done](const std::string& what) {
                BT_LOG(error, "session", "stopping a torrent: {}", what);
                one_done();
            });
    }
    while (*stopping > 0) co_await all_stopped->async_wait(use_nothrow);
    // Removals in progress finish their stop and their deletion.
    asio::steady_timer wait(io_);
    while (!removing_.empty()) {
        wait.expires_after(std::chrono::milliseconds(10));
        co_await wait.async_wait(use_nothrow);
    }
    if (dht_) dht_->stop();           // saves its state file
    if (udp_mux_) udp_mux_->close();  // after the 'stopped' announces; its receive loops end
}

}  // namespace bt::session
