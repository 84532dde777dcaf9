#include "session/torrent.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>

#include "core/log.hpp"
#include "crypto/sha1.hpp"
#include "net/offload.hpp"
#include "net/peer_handshake.hpp"
#include "net/tracker_client.hpp"
#include "session/asio_endpoint.hpp"
#include "session/deadline.hpp"
#include "session/session.hpp"
#include "storage/piece_hasher.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr auto kTick = std::chrono::seconds(1);

std::chrono::seconds reconnect_backoff(std::uint32_t failures) {
    return std::chrono::seconds(std::min<std::uint32_t>(5u << std::min<std::uint32_t>(failures, 6), 300));
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
      storage_(std::make_unique<storage::FileStorage>(storage::Layout::from(metainfo_), download_dir_)),
      choker_(swarm::ChokerSettings{}, session.random_seed()),
      announce_timer_(session.io()),
      tiers_(metainfo_.trackers) {
    swarm::PickerConfig config;
    config.num_pieces = metainfo_.num_pieces();
    config.piece_length = static_cast<std::uint32_t>(metainfo_.piece_length);
    config.total_size = static_cast<std::uint64_t>(metainfo_.total_size);
    config.seed = session.random_seed();
    auto picker = swarm::PiecePicker::create(config);
    if (!picker) throw std::runtime_error("piece picker: " + picker.error().message());
    picker_ = std::make_unique<swarm::PiecePicker>(std::move(*picker));
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
    s.pieces_have = picker_->num_have();
    s.total_size = metainfo_.total_size;
    s.bytes_have = metainfo_.total_size - static_cast<std::int64_t>(bytes_left());
    s.check_bytes_done = check_bytes_done_->load();
    s.download_rate = rate_down_;
    s.upload_rate = rate_up_;
    for (const auto& p : peers_) {
        ++s.peers_connected;
        if (p->is_seed()) ++s.seeds_connected;
    }
    s.peers_known = static_cast<std::uint32_t>(known_.size());
    s.stats = stats_;
    return s;
}

std::uint64_t Torrent::bytes_left() const {
    const auto pieces = metainfo_.num_pieces();
    if (pieces == 0) return 0;
    const PieceIndex last{pieces - 1};
    std::uint64_t have =
        static_cast<std::uint64_t>(picker_->num_have()) * static_cast<std::uint64_t>(metainfo_.piece_length);
    if (picker_->has_piece(last)) {
        have -= static_cast<std::uint64_t>(metainfo_.piece_length) - picker_->piece_size(last);
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
    for (auto& peer : std::vector(peers_)) peer->close("torrent stopped: " + message);
    set_state(TorrentState::error);
}

void Torrent::start() {
    asio::co_spawn(session_.io(), check_and_run(), asio::detached);
}

asio::awaitable<void> Torrent::check_and_run() {
    // Existing data is checked piece by piece, so an interrupted download continues where it was and
    // `seed` serves data that is already complete.
    std::vector<storage::HashSource> sources;
    const auto& files = storage_->layout().files;
    for (std::uint32_t i = 0; i < files.size(); ++i) {
        sources.push_back({storage_->file_path(FileIndex{i}), files[i].length, files[i].pad});
    }
    auto counter = check_bytes_done_;
    auto report = co_await net::run_on(session_.disk_pool().get_executor(), [&] {
        storage::HashOptions options;
        options.threads = std::max(1u, settings().disk_threads);
        options.on_progress = [counter](std::int64_t done) { counter->store(done); };
        return storage::hash_pieces(sources, metainfo_.piece_length, options);
    });
    if (!report) {
        stop_with_error("checking files: " + report.error().message());
        co_return;
    }
    for (std::uint32_t i = 0; i < report->pieces.size() && i < metainfo_.num_pieces(); ++i) {
        if (report->pieces[i] && *report->pieces[i] == metainfo_.piece_hashes[i]) {
            picker_->on_piece_verified(PieceIndex{i});
            ++stats_.pieces_from_disk;
        }
    }
    if (stopping_) co_return;
    if (picker_->is_finished()) {
        auto created = co_await net::run_on(session_.disk_pool().get_executor(),
                                            [&] { return storage_->create_empty_files(); });
        if (!created) {
            stop_with_error(created.error().message());
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
    for (const auto& e : endpoints) {
        if (e.port == 0) continue;
        auto& known = known_[e];
        known.given = known.given || given;
    }
    connect_more();
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
    std::string failure;
    for (int attempt = 0; attempt < 2 && !connected; ++attempt) {
        asio::ip::tcp::socket socket(session_.io());
        {
            Deadline connect_deadline(socket, settings().connect_timeout);
            auto [ec] = co_await socket.async_connect(to_asio(endpoint), use_nothrow);
            if (ec) {
                failure = connect_deadline.expired() ? "connect timeout" : "connect failed";
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
        failure = result.error().reason;
        if (handshake_deadline.expired() && failure.find("timeout") == std::string::npos)
            failure = "handshake timeout";
        count_closed(failure);
        // prefer: a peer that fails MSE gets one plaintext try at once (never banned for it).
        if (!(encrypt && policy == net::EncryptionPolicy::prefer && result.error().mse_failed)) break;
        encrypt = false;
    }
    --half_open_;
    auto& known = known_[endpoint];
    known.connecting = false;
    if (connected) {
        stats_.protocol_downloaded += connected->bytes_received;
        stats_.protocol_uploaded += connected->bytes_sent;
        if (connected->remote.peer_id == session_.peer_id()) {
            known.is_self = true;
            connected.reset();
            failure = "connected to ourselves";
            count_closed(failure);
        } else if (connected->transport.kind == net::ConnectionKind::plaintext && !encrypt) {
            known.plaintext_works = true;
        }
    } else if (failure.starts_with("connect")) {
        count_closed(failure);
    }
    if (connected && (stopping_ || state_ == TorrentState::error)) {
        connected.reset();
        count_closed("torrent stopping");
    }
    if (!connected) {
        ++known.failures;
        known.next_attempt = Clock::now() + reconnect_backoff(known.failures);
        BT_LOG(info, "peer", "{} out: {}", endpoint.to_string(), failure);
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
    if (banned_peer_ids_.contains(remote.peer_id) || is_banned(endpoint) ||
        session_.is_banned(remote.peer_id, endpoint)) {
        refusal = "banned";
    } else if (peers_.size() >= settings().max_peers) {
        refusal = "too many peers";
    } else if (std::any_of(peers_.begin(), peers_.end(),
                           [&](const auto& p) { return p->peer_id() == remote.peer_id; })) {
        refusal = "already connected to this peer";
    }
    if (!refusal.empty()) {
        std::error_code ignored;
        transport.socket.close(ignored);
        count_closed(refusal);
        return nullptr;
    }
    ++stats_.connections_by_kind[net::kind_name(transport.kind)];
    const swarm::PeerId id{next_peer_id_++};
    auto peer = std::make_shared<PeerConnection>(*this, id, std::move(transport), endpoint, direction, remote,
                                                 std::move(leftover));
    peers_.push_back(peer);
    peer_endpoints_[id.value] = {endpoint, remote.peer_id};
    if (direction == Direction::outgoing) {
        ++stats_.peers_connected_out;
        known_[endpoint].connected = true;
    } else {
        ++stats_.peers_connected_in;
    }
    BT_LOG(info, "peer", "{} {}: connected ({}, {})", endpoint.to_string(),
           direction == Direction::incoming ? "in" : "out", peer->client_name(),
           net::kind_name(peer->kind()));
    peer->start();
    return peer;
}

void Torrent::count_closed(const std::string& reason) {
    ++stats_.closed_by_reason[reason];
}

void Torrent::on_peer_closed(PeerConnection& peer, const std::string& reason) {
    count_closed(reason);
    auto it = std::find_if(peers_.begin(), peers_.end(), [&](const auto& p) { return p.get() == &peer; });
    if (it == peers_.end()) return;
    const bool was_unchoked = !peer.am_choking();
    peers_.erase(it);
    if (peer.direction() == Direction::outgoing) {
        auto& known = known_[peer.endpoint()];
        known.connected = false;
        known.next_attempt = Clock::now() + reconnect_backoff(known.failures++);
    }
    if (stopping_) return;
    if (was_unchoked) run_choker();
    connect_more();
}

PeerConnection* Torrent::find_peer(swarm::PeerId id) {
    for (auto& p : peers_) {
        if (p->id() == id) return p.get();
    }
    return nullptr;
}

void Torrent::on_block(PeerConnection& peer, const swarm::Block& block, std::span<const std::uint8_t> data) {
    const auto result = picker_->on_block_received(peer.id(), block);
    switch (result.status) {
        case swarm::BlockStatus::accepted: {
            auto& buffer = partial_[block.piece.value];
            if (buffer.empty()) buffer.resize(picker_->piece_size(block.piece));
            std::copy(data.begin(), data.end(), buffer.begin() + block.begin);
            break;
        }
        case swarm::BlockStatus::invalid:
            peer.close("block outside its piece");
            return;
        case swarm::BlockStatus::duplicate:
        case swarm::BlockStatus::already_have:
        case swarm::BlockStatus::unexpected:
            stats_.wasted += block.length;
            break;
    }
    for (const auto other : result.cancel) {
        if (auto* p = find_peer(other)) p->send_cancel(block);
    }
    if (result.piece_complete) on_piece_complete(block.piece);
}

void Torrent::on_piece_complete(PieceIndex piece) {
    auto node = partial_.extract(piece.value);
    if (node.empty()) return;
    asio::co_spawn(session_.io(), verify_and_write(piece, std::move(node.mapped())), asio::detached);
}

asio::awaitable<void> Torrent::verify_and_write(PieceIndex piece, std::vector<std::uint8_t> data) {
    struct Outcome {
        bool hash_ok = false;
        std::optional<storage::StorageError> write_error;
    };
    const auto expected = metainfo_.piece_hashes[piece.value];
    // Hashing and writing run on the disk pool; the piece is marked verified only after it is written.
    auto outcome = co_await net::run_on(session_.disk_pool().get_executor(), [&] {
        Outcome o;
        o.hash_ok = crypto::sha1(std::span<const std::uint8_t>(data)) == expected;
        if (o.hash_ok) {
            auto written = storage_->write(piece, 0, data);
            if (!written) o.write_error = written.error();
        }
        return o;
    });
    if (state_ == TorrentState::error) co_return;
    if (outcome.write_error) {
        picker_->on_piece_failed(piece);
        stop_with_error(outcome.write_error->message());
        co_return;
    }
    if (!outcome.hash_ok) {
        ++stats_.hash_failures;
        stats_.wasted += data.size();
        const auto contributors = picker_->on_piece_failed(piece);
        BT_LOG(warning, "torrent", "piece {} failed the hash check ({} peer(s) contributed)", piece.value,
               contributors.size());
        for (const auto id : contributors) strike(id, contributors.size() == 1);
        for (auto& p : std::vector(peers_)) p->request_more();
        co_return;
    }
    picker_->on_piece_verified(piece);
    ++stats_.pieces_verified;
    for (auto& p : std::vector(peers_)) {
        if (!p->pieces().test(piece)) p->send_have(piece);
    }
    if (picker_->is_finished()) co_await on_finished();
}

void Torrent::strike(swarm::PeerId id, bool sole_contributor) {
    auto it = peer_endpoints_.find(id.value);
    if (it == peer_endpoints_.end()) return;
    const auto [endpoint, peer_id] = it->second;
    auto& strikes = strikes_[peer_id];
    strikes += sole_contributor ? settings().hash_failures_before_ban : 1;
    if (strikes < settings().hash_failures_before_ban) return;
    if (!banned_peer_ids_.insert(peer_id).second) return;
    ++stats_.peers_banned;
    known_[endpoint].banned = true;
    BT_LOG(warning, "peer", "{}: banned after sending data that failed the hash check", endpoint.to_string());
    for (auto& p : std::vector(peers_)) {
        if (p->peer_id() == peer_id) p->close("banned: sent corrupt data");
    }
}

asio::awaitable<void> Torrent::on_finished() {
    // Durable before it is reported: flush every file and create the empty ones.
    auto flushed = co_await net::run_on(session_.disk_pool().get_executor(), [&] {
        auto created = storage_->create_empty_files();
        return created ? storage_->flush() : created;
    });
    if (!flushed) {
        stop_with_error(flushed.error().message());
        co_return;
    }
    BT_LOG(info, "torrent", "{}: download complete", metainfo_.name);
    for (auto& p : std::vector(peers_)) {
        if (p->is_seed()) {
            p->close("both seeds");
        } else {
            p->update_interest();
        }
    }
    completed_pending_ = true;
    announce_timer_.cancel();
    set_state(TorrentState::seeding);
}

void Torrent::on_interest_changed() {
    run_choker();
}

void Torrent::run_choker() {
    if (stopping_) return;
    std::vector<swarm::PeerStats> stats;
    stats.reserve(peers_.size());
    for (const auto& p : peers_) {
        stats.push_back(swarm::PeerStats{p->id(), p->is_interested(), !p->am_choking(), p->is_snubbed(),
                                         p->is_seed(), p->download_rate(), p->upload_rate()});
    }
    last_choke_ = Clock::now();
    const auto decision = choker_.decide(stats, state_ == TorrentState::seeding, last_choke_);
    for (auto& p : std::vector(peers_)) {
        const bool unchoke =
            std::find(decision.unchoke.begin(), decision.unchoke.end(), p->id()) != decision.unchoke.end();
        p->set_choking(!unchoke);
    }
}

asio::awaitable<void> Torrent::tick_loop() {
    asio::steady_timer timer(session_.io());
    while (!stopping_ && state_ != TorrentState::error) {
        timer.expires_after(kTick);
        co_await timer.async_wait(use_nothrow);
        if (stopping_) break;
        const auto now = Clock::now();
        for (auto& p : std::vector(peers_)) p->tick(now);
        rate_down_ = (rate_down_ * 3 + (stats_.payload_downloaded - last_payload_down_)) / 4;
        rate_up_ = (rate_up_ * 3 + (stats_.payload_uploaded - last_payload_up_)) / 4;
        last_payload_down_ = stats_.payload_downloaded;
        last_payload_up_ = stats_.payload_uploaded;
        if (now - last_choke_ >= settings().choke_interval) run_choker();
        connect_more();
    }
}

asio::awaitable<Result<std::vector<std::uint8_t>, std::string>> Torrent::read_block(swarm::Block block) {
    co_return co_await net::run_on(session_.disk_pool().get_executor(),
                                   [this, block]() -> Result<std::vector<std::uint8_t>, std::string> {
                                       std::vector<std::uint8_t> data(block.length);
                                       auto r = storage_->read(block.piece, block.begin, data);
                                       if (!r) return bt::fail(r.error().message());
                                       return data;
                                   });
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
    request.uploaded = stats_.payload_uploaded;
    request.downloaded = stats_.payload_downloaded;
    request.left = bytes_left();
    request.event = event;
    request.numwant = event == tracker::Event::stopped ? 0u : 50u;
    request.key = session_.tracker_key();
    request.tracker_id = tracker_id_;
    request.supportcrypto = settings().encryption != net::EncryptionPolicy::disable;
    request.requirecrypto = settings().encryption == net::EncryptionPolicy::require;
    // BEP 12: trackers of a tier are tried in order, the first that answers moves to the front.
    for (auto& tier : tiers_) {
        for (std::size_t i = 0; i < tier.size(); ++i) {
            const std::string url = tier[i];
            // http(s):// and udp:// alike; an error (network, timeout, malformed reply, the tracker's own
            // failure text) is one line that already names the tracker.
            net::TrackerOptions options;
            options.timeout = timeout;
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
    for (auto& p : std::vector(peers_)) p->close("shutting down");
    if (announced_started_) co_await announce(tracker::Event::stopped, settings().stop_announce_timeout);
    auto flushed = co_await net::run_on(session_.disk_pool().get_executor(), [this] {
        auto result = storage_->flush();
        storage_->close_all();
        return result;
    });
    if (!flushed) BT_LOG(error, "torrent", "{}: {}", metainfo_.name, flushed.error().message());
    if (state_ != TorrentState::error) set_state(TorrentState::stopped);
}

}  // namespace bt::session
