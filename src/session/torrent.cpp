#include "session/torrent.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <cstring>

#include "core/log.hpp"
#include "crypto/sha1.hpp"
#include "net/offload.hpp"
#include "net/peer_handshake.hpp"
#include "net/tracker_client.hpp"
#include "session/asio_endpoint.hpp"
#include "session/deadline.hpp"
#include "session/session.hpp"
#include "storage/piece_hasher.hpp"
#include "storage/resume_store.hpp"
#include "swarm/block.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr auto kTick = std::chrono::seconds(1);

std::chrono::seconds reconnect_backoff(std::uint32_t failures) {
    return std::chrono::seconds(std::min<std::uint32_t>(5u << std::min<std::uint32_t>(failures, 6), 300));
}

swarm::SwarmSettings swarm_settings(Session& session) {
    const auto& settings = session.settings();
    swarm::SwarmSettings s;
    s.peer.max_incoming_requests = settings.max_incoming_requests;
    s.peer.peer_idle_timeout = settings.peer_idle_timeout;
    s.peer.keep_alive_interval = settings.keep_alive_interval;
    s.peer.request_timeout = settings.request_timeout;
    s.choke_interval = settings.choke_interval;
    s.max_requests_in_flight = settings.max_requests_in_flight;
    s.hash_failures_before_ban = settings.hash_failures_before_ban;
    s.max_ban_records = settings.max_ban_records;
    s.reserved = session.reserved_bits();
    s.client_name = "bitveil " BT_VERSION;
    s.listen_port = session.listen_port();
    return s;
}

}  // namespace

const char* state_name(TorrentState state) noexcept {
    switch (state) {
        case TorrentState::checking:
            return "checking";
        case TorrentState::downloading:
            return "downloading";
        case TorrentState::seeding:
            return "seeding";
        case TorrentState::stopped:
            return "stopped";
        case TorrentState::error:
            return "error";
    }
    return "?";
}

Torrent::Torrent(Session& session, metainfo::Metainfo metainfo, std::string download_dir)
    : session_(session),
      metainfo_(std::move(metainfo)),
      download_dir_(std::move(download_dir)),
      disk_(session.io(), session.disk_pool(), metainfo_, download_dir_, session.settings()),
      announce_timer_(session.io()),
      tiers_(metainfo_.trackers) {
    swarm::PickerConfig config;
    config.num_pieces = metainfo_.num_pieces();
    config.piece_length = static_cast<std::uint32_t>(metainfo_.piece_length);
    config.total_size = static_cast<std::uint64_t>(metainfo_.total_size);
    config.seed = session.random_seed();
    auto picker = swarm::PiecePicker::create(config);
    if (!picker) throw std::runtime_error("piece picker: " + picker.error().message());
    swarm_ = std::make_unique<swarm::Swarm>(static_cast<swarm::SwarmHost&>(*this), std::move(*picker),
                                            swarm_settings(session), session.random_seed());
}

Torrent::~Torrent() = default;

const Settings& Torrent::settings() const noexcept {
    return session_.settings();
}

TorrentStatus Torrent::status() const {
    TorrentStatus s;
    s.state = state_;
    s.error = error_;
    s.num_pieces = metainfo_.num_pieces();
    s.pieces_have = swarm_->picker().num_have();
    s.total_size = metainfo_.total_size;
    s.bytes_have = metainfo_.total_size - static_cast<std::int64_t>(bytes_left());
    s.check_bytes_done = disk_.check_bytes_done();
    s.download_rate = rate_down_;
    s.upload_rate = rate_up_;
    for (const auto& p : peers_) {
        ++s.peers_connected;
        if (p->session().is_seed()) ++s.seeds_connected;
        switch (p->kind()) {
            case net::ConnectionKind::plaintext:
                ++s.peers_plaintext;
                break;
            case net::ConnectionKind::mse_rc4:
                ++s.peers_mse_rc4;
                break;
            case net::ConnectionKind::mse_header:
                ++s.peers_mse_header;
                break;
        }
    }
    s.peers_known = static_cast<std::uint32_t>(known_.size());
    s.stats = swarm_->stats();
    return s;
}

bool Torrent::disk_backlogged() const {
    return disk_.backlogged();
}

std::uint64_t Torrent::bytes_left() const {
    const auto pieces = metainfo_.num_pieces();
    if (pieces == 0) return 0;
    const PieceIndex last{pieces - 1};
    const auto& picker = swarm_->picker();
    std::uint64_t have =
        static_cast<std::uint64_t>(picker.num_have()) * static_cast<std::uint64_t>(metainfo_.piece_length);
    if (picker.has_piece(last)) {
        have -= static_cast<std::uint64_t>(metainfo_.piece_length) - picker.piece_size(last);
    }
    return static_cast<std::uint64_t>(metainfo_.total_size) - have;
}

void Torrent::set_state(TorrentState state) {
    if (state == state_) return;
    state_ = state;
    if (state_callback_) state_callback_(state);
}

void Torrent::stop_with_error(const std::string& message) {
    if (state_ == TorrentState::error) return;
    BT_LOG(error, "torrent", "{}: {}", metainfo_.name, message);
    error_ = message;
    swarm_->close_all("torrent stopped: " + message);
    set_state(TorrentState::error);
}

void Torrent::start() {
    asio::co_spawn(session_.io(), check_and_run(), asio::detached);
}

asio::awaitable<void> Torrent::check_and_run() {
    auto checked = co_await disk_.check(swarm_->picker(), swarm_->stats());
    if (!checked) {
        stop_with_error(checked.error());
        co_return;
    }
    if (stopping_) co_return;
    if (swarm_->is_complete()) {
        auto created = co_await disk_.finish_download();
        if (!created) {
            stop_with_error(created.error());
            co_return;
        }
        set_state(TorrentState::seeding);
    } else {
        set_state(TorrentState::downloading);
    }
    asio::co_spawn(session_.io(), announce_loop(), asio::detached);
    asio::co_spawn(session_.io(), tick_loop(), asio::detached);
    connect_more();
}

bool Torrent::accepts_connections() const noexcept {
    return !stopping_ && (state_ == TorrentState::downloading || state_ == TorrentState::seeding) &&
           peers_.size() < settings().max_peers;
}

void Torrent::add_peers(const std::vector<Endpoint>& endpoints, bool given) {
    // Once the list is full and no failed address is left, the rest of the batch is dropped without looking
    // again: each look is a scan of the whole list.
    bool failed_left = true;
    for (const auto& e : endpoints) {
        if (e.port == 0) continue;
        if (!given && known_.size() >= settings().max_known_peers && !known_.contains(e)) {
            failed_left = failed_left && forget_a_failed_peer();
            if (!failed_left) continue;
        }
        auto& known = known_[e];
        known.given = known.given || given;
    }
    connect_more();
}

bool Torrent::forget_a_failed_peer() {
    auto worst = known_.end();
    for (auto it = known_.begin(); it != known_.end(); ++it) {
        const auto& p = it->second;
        if (p.failures == 0 || p.connected || p.connecting || p.banned || p.is_self || p.given) continue;
        if (worst == known_.end() || p.failures > worst->second.failures) worst = it;
    }
    if (worst == known_.end()) return false;
    known_.erase(worst);
    return true;
}

bool Torrent::is_banned(const Endpoint& endpoint) const {
    auto it = known_.find(endpoint);
    return it != known_.end() && it->second.banned;
}

void Torrent::connect_more() {
    if (stopping_ || (state_ != TorrentState::downloading && state_ != TorrentState::seeding)) return;
    const auto now = Clock::now();
    for (auto& [endpoint, peer] : known_) {
        if (peers_.size() + half_open_ >= settings().max_peers || half_open_ >= settings().max_half_open)
            break;
        if (peer.connected || peer.connecting || peer.banned || peer.is_self || peer.next_attempt > now ||
            session_.is_banned_address(endpoint))
            continue;
        if (state_ == TorrentState::seeding && !peer.given) continue;
        peer.connecting = true;
        ++half_open_;
        asio::co_spawn(session_.io(), connect_to(endpoint), asio::detached);
    }
}

asio::awaitable<void> Torrent::connect_to(Endpoint endpoint) {
    const auto policy = settings().encryption;
    bool encrypt = policy == net::EncryptionPolicy::require ||
                   (policy == net::EncryptionPolicy::prefer && !known_[endpoint].plaintext_works);
    std::optional<net::Handshaken> connected;
    std::error_code failure;  // the last attempt's, a net::Errc
    std::string reason;       // its text for the counters and the log
    for (int attempt = 0; attempt < 2 && !connected; ++attempt) {
        asio::ip::tcp::socket socket(session_.io());
        {
            Deadline connect_deadline(socket, settings().connect_timeout);
            auto [ec] = co_await socket.async_connect(to_asio(endpoint), use_nothrow);
            if (ec) {
                failure = connect_deadline.expired() ? net::Errc::connect_timeout : net::Errc::connect_failed;
                reason = failure.message();
                break;
            }
        }
        std::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        Deadline handshake_deadline(socket, settings().handshake_timeout);
        auto result = co_await net::handshake_outgoing(
            socket,
            net::OutgoingHandshake{wire::Handshake{session_.reserved_bits(), info_hash(), session_.peer_id()},
                                   encrypt, settings().encryption_level});
        if (result) {
            connected.emplace(std::move(*result));
            break;
        }
        auto error = result.error();
        if (handshake_deadline.expired() && !net::is_timeout(error.ec))
            error.ec = net::Errc::handshake_timeout;
        failure = error.ec;
        reason = error.reason();
        count_closed(reason);
        // prefer: a peer that fails MSE gets one plaintext try at once (never banned for it).
        if (!(encrypt && policy == net::EncryptionPolicy::prefer && result.error().mse_failed)) break;
        encrypt = false;
    }
    --half_open_;
    auto& known = known_[endpoint];
    known.connecting = false;
    if (connected) {
        stats().protocol_downloaded += connected->bytes_received;
        stats().protocol_uploaded += connected->bytes_sent;
        if (connected->remote.peer_id == session_.peer_id()) {
            known.is_self = true;
            connected.reset();
            reason = "connected to ourselves";
            count_closed(reason);
        } else if (connected->transport.kind == net::ConnectionKind::plaintext && !encrypt) {
            known.plaintext_works = true;
        }
    } else if (failure == net::Errc::connect_failed || failure == net::Errc::connect_timeout) {
        count_closed(reason);
    }
    if (connected && (stopping_ || state_ == TorrentState::error)) {
        connected.reset();
        count_closed("torrent stopping");
    }
    if (!connected) {
        ++known.failures;
        known.next_attempt = Clock::now() + reconnect_backoff(known.failures);
        BT_LOG(info, "peer", "{} out: {}", endpoint.to_string(), reason);
        co_return;
    }
    auto peer = add_connection(std::move(connected->transport), endpoint, Direction::outgoing,
                               connected->remote, std::move(connected->leftover));
    if (peer) known.failures = 0;
}

void Torrent::attach_incoming(net::Transport transport, Endpoint endpoint, const wire::Handshake& remote,
                              std::vector<std::uint8_t> leftover) {
    add_connection(std::move(transport), endpoint, Direction::incoming, remote, std::move(leftover));
}

std::shared_ptr<PeerConnection> Torrent::add_connection(net::Transport transport, Endpoint endpoint,
                                                        Direction direction, const wire::Handshake& remote,
                                                        std::vector<std::uint8_t> leftover) {
    std::string refusal;
    if (swarm_->is_banned(remote.peer_id) || is_banned(endpoint) ||
        session_.is_banned(remote.peer_id, endpoint)) {
        refusal = "banned";
    } else if (peers_.size() >= settings().max_peers) {
        refusal = "too many peers";
    } else if (std::any_of(peers_.begin(), peers_.end(),
                           [&](const auto& p) { return p->session().peer_id() == remote.peer_id; })) {
        refusal = "already connected to this peer";
    }
    if (!refusal.empty()) {
        std::error_code ignored;
        transport.socket.close(ignored);
        count_closed(refusal);
        return nullptr;
    }
    auto& stats = swarm_->stats();
    ++stats.connections_by_kind[net::kind_name(transport.kind)];
    const swarm::PeerId id{next_peer_id_++};
    auto peer = std::make_shared<PeerConnection>(*this, id, std::move(transport), endpoint, direction, remote,
                                                 std::move(leftover));
    peers_.push_back(peer);
    if (direction == Direction::outgoing) {
        ++stats.peers_connected_out;
        known_[endpoint].connected = true;
    } else {
        ++stats.peers_connected_in;
    }
    BT_LOG(info, "peer", "{} {}: connected ({}, {})", endpoint.to_string(),
           direction == Direction::incoming ? "in" : "out", peer->session().client_name(),
           net::kind_name(peer->kind()));
    peer->start();
    return peer;
}

void Torrent::count_closed(const std::string& reason) {
    ++swarm_->stats().closed_by_reason[reason];
}

void Torrent::on_peer_closed(swarm::PeerSession& session, const swarm::CloseReason& reason) {
    auto it =
        std::find_if(peers_.begin(), peers_.end(), [&](const auto& p) { return &p->session() == &session; });
    if (it == peers_.end()) return;
    const auto peer = *it;  // alive until this returns
    peers_.erase(it);
    if (reason.ban) {
        const auto address = peer->direction() == Direction::outgoing
                                 ? std::optional<Endpoint>(peer->endpoint())
                                 : std::nullopt;
        if (session_.ban(session.peer_id(), address)) ++stats().peers_banned;
    }
    if (peer->direction() == Direction::outgoing) {
        auto& known = known_[peer->endpoint()];
        known.connected = false;
        known.next_attempt = Clock::now() + reconnect_backoff(known.failures++);
    }
    if (stopping_) return;
    connect_more();
}

void Torrent::on_corrupt_peer_banned(const Endpoint& address) {
    known_[address].banned = true;
    BT_LOG(warning, "peer", "{}: banned after sending data that failed the hash check", address.to_string());
}

void Torrent::store_block(const swarm::Block& block, std::span<const std::uint8_t> data) {
    disk_.store_block(block, data, swarm_->picker().piece_size(block.piece));
}

void Torrent::on_piece_complete(PieceIndex piece) {
    asio::co_spawn(session_.io(), verify_and_write(piece), asio::detached);
}

asio::awaitable<void> Torrent::verify_and_write(PieceIndex piece) {
    const bool was_backlogged = disk_.backlogged();
    const auto result = co_await disk_.verify_and_write(piece, metainfo_.piece_hashes[piece.value]);
    if (was_backlogged && !disk_.backlogged()) swarm_->on_disk_caught_up();
    if (state_ == TorrentState::error) co_return;
    switch (result.outcome) {
        case TorrentDisk::PieceOutcome::write_failed:
            // Pieces verified before stay verified: stop() saves them in the resume data (if the disk has
            // room for it; otherwise the next start finds them by hashing the files that changed).
            swarm_->on_write_failed(piece);
            stop_with_error(result.error);
            co_return;
        case TorrentDisk::PieceOutcome::hash_failed:
            BT_LOG(warning, "torrent", "piece {} failed the hash check", piece.value);
            swarm_->on_piece_failed(piece);
            co_return;
        case TorrentDisk::PieceOutcome::verified:
            swarm_->on_piece_verified(piece);
            if (swarm_->is_complete()) co_await on_finished();
            co_return;
    }
}

asio::awaitable<void> Torrent::on_finished() {
    // Every piece is written (to the disk, or to the page cache for unaligned edges), so the download is
    // complete as far as any reader of the files can tell. It is not flushed here: waiting for the disk
    // would add a second per GiB to the download, and a crash before the data is on disk is caught at the
    // next start (the resume record names this boot, resume_data.hpp). Seeding flushes it later.
    auto created = co_await disk_.finish_download();
    if (!created) {
        stop_with_error(created.error());
        co_return;
    }
    BT_LOG(info, "torrent", "{}: download complete", metainfo_.name);
    // Record completion at once, so that a restart (even after kill -9) seeds without hashing anything.
    disk_.save_soon(swarm_->picker().have());
    swarm_->on_download_complete();
    completed_pending_ = true;
    announce_timer_.cancel();
    set_state(TorrentState::seeding);
}

asio::awaitable<void> Torrent::tick_loop() {
    asio::steady_timer timer(session_.io());
    while (!stopping_ && state_ != TorrentState::error) {
        timer.expires_after(kTick);
        co_await timer.async_wait(use_nothrow);
        if (stopping_) break;
        const auto now = Clock::now();
        swarm_->tick(now);
        const auto& stats = swarm_->stats();
        rate_down_ = (rate_down_ * 3 + (stats.payload_downloaded - last_payload_down_)) / 4;
        rate_up_ = (rate_up_ * 3 + (stats.payload_uploaded - last_payload_up_)) / 4;
        last_payload_down_ = stats.payload_downloaded;
        last_payload_up_ = stats.payload_uploaded;
        connect_more();
        disk_.maybe_save(now, state_ == TorrentState::seeding, swarm_->picker().have());
    }
}

asio::awaitable<void> Torrent::announce_loop() {
    if (tiers_.empty()) co_return;
    auto event = tracker::Event::started;
    std::chrono::seconds retry{30};
    while (!stopping_ && state_ != TorrentState::error) {
        if (completed_pending_ && announced_started_) event = tracker::Event::completed;
        const bool ok = co_await announce(event, settings().tracker_timeout);
        if (stopping_) break;
        std::chrono::seconds wait = announce_interval_;
        if (ok) {
            if (event == tracker::Event::started) announced_started_ = true;
            if (event == tracker::Event::completed) completed_pending_ = false;
            event = tracker::Event::none;
            retry = std::chrono::seconds(30);
        } else {
            wait = retry;
            retry = std::min<std::chrono::seconds>(retry * 2, std::chrono::minutes(30));
        }
        if (completed_pending_ && announced_started_) continue;
        announce_timer_.expires_after(wait);
        co_await announce_timer_.async_wait(use_nothrow);
    }
}

asio::awaitable<bool> Torrent::announce(tracker::Event event, std::chrono::seconds timeout) {
    tracker::AnnounceRequest request;
    request.info_hash = info_hash();
    request.peer_id = session_.peer_id();
    request.port = session_.listen_port();
    request.uploaded = stats().payload_uploaded;
    request.downloaded = stats().payload_downloaded;
    request.left = bytes_left();
    request.event = event;
    request.numwant = event == tracker::Event::stopped ? 0u : 50u;
    request.key = session_.tracker_key();
    request.tracker_id = tracker_id_;
    request.supportcrypto = settings().encryption != net::EncryptionPolicy::disable;
    request.requirecrypto = settings().encryption == net::EncryptionPolicy::require;
    // 'stopped' is sent while shutting down: `timeout` bounds all its attempts together, and it is not
    // cancelled with the announces that were in flight when the session stopped.
    const bool stopping = event == tracker::Event::stopped;
    const auto deadline = Clock::now() + timeout;
    // BEP 12: trackers of a tier are tried in order, the first that answers moves to the front.
    for (auto& tier : tiers_) {
        for (std::size_t i = 0; i < tier.size(); ++i) {
            const std::string url = tier[i];
            // http(s):// and udp:// alike; an error (network, timeout, malformed reply, the tracker's own
            // failure text) is one line that already names the tracker.
            net::TrackerOptions options;
            options.timeout = timeout;
            if (stopping) {
                const auto left =
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
                if (left <= std::chrono::milliseconds(0)) co_return false;
                options.timeout = left;
            } else {
                options.cancel = &session_.http_cancel();
            }
            options.user_agent = settings().user_agent;
            auto parsed = co_await net::announce(session_.http_pool().get_executor(), url, request, options);
            if (!parsed) {
                BT_LOG(warning, "tracker", "{}", parsed.error());
                continue;
            }
            if (parsed->warning_message)
                BT_LOG(warning, "tracker", "{}: warning: {}", url, *parsed->warning_message);
            announce_interval_ = parsed->interval;
            if (parsed->min_interval)
                announce_interval_ = std::max(announce_interval_, *parsed->min_interval);
            if (parsed->tracker_id) tracker_id_ = parsed->tracker_id;
            std::rotate(tier.begin(), tier.begin() + static_cast<std::ptrdiff_t>(i),
                        tier.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            std::vector<Endpoint> endpoints;
            for (const auto& peer : parsed->peers) endpoints.push_back(peer.endpoint);
            BT_LOG(info, "tracker", "{}: {} peer(s), next announce in {} s", url, endpoints.size(),
                   announce_interval_.count());
            if (event != tracker::Event::stopped) add_peers(endpoints);
            co_return true;
        }
    }
    co_return false;
}

asio::awaitable<void> Torrent::stop() {
    if (stopping_) co_return;
    stopping_ = true;
    announce_timer_.cancel();
    swarm_->close_all("shutting down");
    if (announced_started_) co_await announce(tracker::Event::stopped, settings().stop_announce_timeout);
    co_await disk_.stop(swarm_->picker().have());
    if (state_ != TorrentState::error) set_state(TorrentState::stopped);
}

}  // namespace bt::session
