#include "session/torrent.hpp"

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <cstring>

#include "core/log.hpp"
#include "core/printable.hpp"
#include "crypto/sha1.hpp"
#include "net/offload.hpp"
#include "net/peer_handshake.hpp"
#include "net/spawn.hpp"
#include "net/tcp_stream.hpp"
#include "net/tracker_client.hpp"
#include "session/asio_endpoint.hpp"
#include "session/deadline.hpp"
#include "session/session.hpp"
#include "storage/piece_hasher.hpp"
#include "storage/resume_store.hpp"
#include "swarm/block.hpp"
#include "tracker/url.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr auto kTick = std::chrono::seconds(1);
// The longest an idle seed's tick sleeps: it wakes earlier for a peer or a seed goal (Torrent::wake_tick).
constexpr auto kIdleTick = std::chrono::minutes(5);
// How often a tracker whose announces carry no seeder and leecher counts is scraped for them (display only).
constexpr auto kScrapeInterval = std::chrono::minutes(30);
// What announces say is left while the size is unknown (no metadata yet): not 0, which would tell the
// tracker we are a seed (and get us no seeds back).
constexpr std::uint64_t kLeftWithoutMetadata = 16 * 1024;

swarm::SwarmSettings swarm_settings(Session& session, const wire::Reserved& reserved) {
    const auto& settings = session.settings();
    swarm::SwarmSettings s;
    s.peer.max_incoming_requests = settings.max_incoming_requests;
    s.peer.peer_idle_timeout = settings.peer_idle_timeout;
    s.peer.keep_alive_interval = settings.keep_alive_interval;
    s.peer.request_timeout = settings.request_timeout;
    s.choke_interval = settings.choke_interval;
    s.choker.optimistic_slots = settings.upload_slots > 0 ? 1 : 0;
    s.choker.regular_slots = settings.upload_slots - s.choker.optimistic_slots;
    s.max_requests_in_flight = settings.max_requests_in_flight;
    s.hash_failures_before_ban = settings.hash_failures_before_ban;
    s.max_ban_records = settings.max_ban_records;
    s.reserved = reserved;
    s.client_name = "bitveil " BT_VERSION;
    s.listen_port = session.listen_port();
    return s;
}

}  // namespace

const char* state_name(TorrentState state) noexcept {
    switch (state) {
        case TorrentState::metadata:
            return "metadata";
        case TorrentState::checking:
            return "checking";
        case TorrentState::downloading:
            return "downloading";
        case TorrentState::seeding:
            return "seeding";
        case TorrentState::stopped:
            return "stopped";
        case TorrentState::queued:
            return "queued";
        case TorrentState::error:
            return "error";
    }
    return "?";
}

TorrentParams TorrentParams::from_metainfo(metainfo::Metainfo metainfo, std::string download_dir) {
    TorrentParams params;
    params.info_hash = metainfo.info_hash.bytes;
    params.name = metainfo.name;
    params.trackers = metainfo.trackers;
    params.metainfo.emplace(std::move(metainfo));
    params.download_dir = std::move(download_dir);
    return params;
}

Torrent::Torrent(Session& session, TorrentId id, TorrentParams params)
    : session_(session),
      id_(id),
      download_channel_(session.rate_limiter().add_channel(0)),
      upload_channel_(session.rate_limiter().add_channel(0)),
      info_hash_(params.metainfo ? params.metainfo->info_hash.bytes : params.info_hash),
      name_(std::move(params.name)),
      download_dir_(std::move(params.download_dir)),
      stop_done_(session.io(), Clock::time_point::max()),
      peer_list_(swarm::PeerListSettings{session.settings().max_known_peers,
                                         params.metainfo && params.metainfo->is_private}),
      tick_timer_(session.io()),
      announce_timer_(session.io()),
      announcer_(params.metainfo ? params.metainfo->trackers : std::move(params.trackers)),
      dht_timer_(session.io()) {
    complete_last_run_ = params.complete_last_run;
    if (params.metainfo) {
        metainfo_.emplace(std::move(*params.metainfo));
        disk_ = std::make_unique<TorrentDisk>(session.io(), session.disk_pool(), session.read_cache(),
                                              *metainfo_, download_dir_, session.settings());
    }
}

Torrent::~Torrent() {
    // Closed peers may outlive the torrent (in coroutine frames the io_context destroys): none of them
    // reaches back into a destroyed swarm.
    close_peers("shutting down");
}

void Torrent::close_peers(const std::string& reason) {
    stopping_ = true;
    if (swarm_) swarm_->close_all(reason);
    close_metadata_peers(reason);
}

void Torrent::set_rate_limits(std::uint64_t download, std::uint64_t upload) {
    session_.rate_limiter().set_limit(download_channel_, download);
    session_.rate_limiter().set_limit(upload_channel_, upload);
}

std::uint64_t Torrent::download_limit() const {
    return session_.rate_limiter().limit(download_channel_);
}

std::uint64_t Torrent::upload_limit() const {
    return session_.rate_limiter().limit(upload_channel_);
}

std::array<bandwidth::ChannelId, 2> Torrent::download_channels() const noexcept {
    return {session_.download_channel(), download_channel_};
}

std::array<bandwidth::ChannelId, 2> Torrent::upload_channels() const noexcept {
    return {session_.upload_channel(), upload_channel_};
}

void Torrent::set_sequential(bool sequential) {
    sequential_ = sequential;
    apply_download_order();
}

void Torrent::set_first_last_pieces(bool first_last) {
    first_last_pieces_ = first_last;
    apply_download_order();
}

void Torrent::set_file_priorities(std::vector<metainfo::FilePriority> priorities) {
    file_priorities_ = std::move(priorities);
    const auto missing_before = swarm_ ? swarm_->picker().num_wanted_missing() : 0;
    apply_file_priorities();
    // More wanted: the seeds closed as "both seeds" (or waiting out a backoff) have it; dial them at once.
    if (swarm_ && swarm_->picker().num_wanted_missing() > missing_before)
        peer_list_.make_all_due(Clock::now());
    if (checked_ && (state_ == TorrentState::downloading || state_ == TorrentState::seeding)) {
        spawn_job(apply_selection_change(run_));
    }
}

void Torrent::apply_file_priorities() {
    if (!metainfo_) return;
    file_priorities_.resize(metainfo_->files.size(), metainfo::FilePriority::normal);
    std::vector<bool> skipped(file_priorities_.size());
    for (std::size_t i = 0; i < skipped.size(); ++i)
        skipped[i] = file_priorities_[i] == metainfo::FilePriority::skip;
    if (disk_) disk_->set_skipped_files(std::move(skipped));
    if (!swarm_) return;
    const auto levels = metainfo::piece_priorities(*metainfo_, file_priorities_);
    auto& picker = swarm_->picker();
    for (std::uint32_t i = 0; i < levels.size(); ++i) {
        picker.set_piece_priority(PieceIndex{i}, static_cast<std::uint8_t>(levels[i]));
    }
}

asio::awaitable<void> Torrent::apply_selection_change(std::uint64_t run) {
    auto applied = co_await disk_->apply_skipped();
    if (!is_current(run)) co_return;
    if (!applied) {
        stop_with_error(applied.error());
        co_return;
    }
    if (swarm_->is_complete() && state_ == TorrentState::downloading) {
        co_await on_finished();
    } else if (!swarm_->is_complete() && state_ == TorrentState::seeding) {
        BT_LOG(info, "torrent", "{}: more files wanted: downloading again", printable(name()));
        set_state(TorrentState::downloading);
        swarm_->on_wanted_changed();
        connect_more();
    } else {
        swarm_->on_wanted_changed();
    }
}

void Torrent::apply_download_order() {
    if (!swarm_) return;
    auto& picker = swarm_->picker();
    picker.set_sequential(sequential_);
    std::vector<PieceIndex> edges;
    if (first_last_pieces_) {
        const auto piece_length = metainfo_->piece_length;
        for (const auto& file : metainfo_->files) {
            if (file.pad || file.length == 0) continue;
            const auto first = PieceIndex{static_cast<std::uint32_t>(file.offset / piece_length)};
            const auto last =
                PieceIndex{static_cast<std::uint32_t>((file.offset + file.length - 1) / piece_length)};
            edges.push_back(first);
            if (last != first) edges.push_back(last);
        }
    }
    picker.set_priority_pieces(std::move(edges));
}

void Torrent::release_rate_limits() {
    session_.rate_limiter().remove_channel(download_channel_);
    session_.rate_limiter().remove_channel(upload_channel_);
}

void Torrent::reannounce() {
    if (stopping_ || state_ == TorrentState::error) return;
    announcer_.announce_now(Clock::now());
    announce_timer_.cancel();  // the announce loop looks at the deadline again
}

void Torrent::apply_settings() {
    peer_list_.apply_settings(swarm::PeerListSettings{settings().max_known_peers, peer_list_.is_private()});
    if (swarm_) swarm_->apply_settings(swarm_settings(session_, reserved_bits()), Clock::now());
}

void Torrent::make_swarm() {
    swarm::PickerConfig config;
    config.num_pieces = metainfo_->num_pieces();
    config.piece_length = static_cast<std::uint32_t>(metainfo_->piece_length);
    config.total_size = static_cast<std::uint64_t>(metainfo_->total_size);
    config.seed = session_.shuffle_seed();
    auto picker = swarm::PiecePicker::create(config);
    if (!picker) throw std::runtime_error("piece picker: " + picker.error().message());
    auto swarm =
        std::make_unique<swarm::Swarm>(static_cast<swarm::SwarmHost&>(*this), std::move(*picker),
                                       swarm_settings(session_, reserved_bits()), session_.shuffle_seed());
    // BEP 9: peers that came with a magnet link get the info dictionary from us. Not for a private torrent
    // (BEP 27), as libtorrent, whose ut_metadata plugin is not added to one ("don't add this extension if
    // the torrent is private", create_ut_metadata_plugin): its metadata goes only to those given the
    // .torrent.
    if (!metainfo_->is_private) {
        const auto& info = metainfo_->info_bytes;
        swarm->serve_metadata({reinterpret_cast<const std::uint8_t*>(info.data()), info.size()});
    }
    if (swarm_) swarm->stats() = swarm_->stats();
    // BEP 27: a private torrent's peers come from its trackers only, so it does not offer ut_pex.
    if (!metainfo_->is_private) {
        swarm->extensions().add(wire::kPexExtensionName, [this](swarm::PeerSession& peer, auto payload) {
            on_pex_message(peer, payload);
        });
    }
    swarm_ = std::move(swarm);
    apply_download_order();
    apply_file_priorities();
    ++swarms_made_;
    disk_->drop_partial_pieces();
    checked_ = false;
}

const Settings& Torrent::settings() const noexcept {
    return session_.settings();
}

TorrentStatus Torrent::status() const {
    TorrentStatus s;
    s.state = state_;
    s.error = error_;
    if (has_metadata()) {
        s.num_pieces = metainfo_->num_pieces();
        s.total_size = metainfo_->total_size;
        s.bytes_have = metainfo_->total_size - static_cast<std::int64_t>(bytes_left());
        s.wanted_size = metainfo_->total_size;
        s.wanted_left = metainfo_->total_size - s.bytes_have;
        s.pieces_wanted = s.num_pieces;
        s.pieces_wanted_left = s.num_pieces;  // not checked yet: nothing known to be on disk
        for (std::size_t i = 0; i < file_priorities_.size() && i < metainfo_->files.size(); ++i) {
            if (!metainfo_->files[i].pad && file_priorities_[i] == metainfo::FilePriority::skip)
                s.files_skipped = true;
        }
        s.check_bytes_done = disk_->check_bytes_done();
    }
    if (swarm_) {
        s.pieces_have = swarm_->picker().num_have();
        s.pieces_downloaded_ahead = swarm_->picker().downloaded_ahead();
        s.wanted_left = static_cast<std::int64_t>(swarm_->picker().wanted_bytes_missing());
        s.wanted_size = static_cast<std::int64_t>(swarm_->picker().wanted_bytes());
        s.pieces_wanted = swarm_->picker().wanted().count();
        s.pieces_wanted_left = swarm_->picker().num_wanted_missing();
        s.stats = swarm_->stats();
    }
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
    s.peers_known = static_cast<std::uint32_t>(peer_list_.size());
    s.peers_connecting = static_cast<std::uint32_t>(peer_list_.num_connecting());
    s.announces_ok = announces_ok_;
    s.announces_failed = announces_failed_;
    s.tracker_error = tracker_error_;
    s.swarm_seeders = swarm_seeders_;
    s.swarm_leechers = swarm_leechers_;
    s.swarm_downloaded = swarm_downloaded_;
    s.closed_our_mse = closed_our_mse_;
    s.closed_our_plaintext = closed_our_plaintext_;
    s.last_hash_failure = last_hash_failure_;
    s.metadata_connected = static_cast<std::uint32_t>(metadata_peers_.size());
    if (metadata_fetch_) {
        s.metadata_peers = static_cast<std::uint32_t>(metadata_fetch_->usable_peers());
        s.metadata_pieces_have = metadata_fetch_->pieces_received();
        s.metadata_pieces = metadata_fetch_->piece_count();
    }
    return s;
}

bool Torrent::disk_backlogged() const {
    return disk_->backlogged();
}

std::uint64_t Torrent::bytes_left() const {
    if (!has_metadata()) return kLeftWithoutMetadata;
    if (!swarm_) return static_cast<std::uint64_t>(metainfo_->total_size);  // not checked yet
    const auto pieces = metainfo_->num_pieces();
    if (pieces == 0) return 0;
    const PieceIndex last{pieces - 1};
    const auto& picker = swarm_->picker();
    std::uint64_t have =
        static_cast<std::uint64_t>(picker.num_have()) * static_cast<std::uint64_t>(metainfo_->piece_length);
    if (picker.has_piece(last)) {
        have -= static_cast<std::uint64_t>(metainfo_->piece_length) - picker.piece_size(last);
    }
    return static_cast<std::uint64_t>(metainfo_->total_size) - have;
}

void Torrent::set_state(TorrentState state) {
    if (state == state_) return;
    state_ = state;
    if (state == TorrentState::seeding) seeding_since_ = last_upload_ = Clock::now();
    if (state_callback_) state_callback_(state);
}

void Torrent::stop_with_error(const std::string& message) {
    if (state_ == TorrentState::error) return;
    // Whoever runs the torrent reports the error (status().error, the error state): the bitveil CLI prints
    // it as its one line; at level error it would be printed a second time. -v shows when it happened.
    BT_LOG(info, "torrent", "{}: {}", printable(name()), printable(message));
    error_ = message;
    if (swarm_) swarm_->close_all("torrent stopped: " + message);
    close_metadata_peers("torrent stopped: " + message);
    set_state(TorrentState::error);
}

void Torrent::spawn_job(asio::awaitable<void> job) {
    auto self = shared_from_this();
    net::spawn(session_.io(), net::holding(self, std::move(job)),
               [self](const std::string& what) { self->stop_with_error(what); });
}

bool Torrent::accepts_connections() const noexcept {
    if (stopping_) return false;
    if (state_ == TorrentState::metadata) return metadata_peers_.size() < settings().max_peers;
    return (state_ == TorrentState::downloading || state_ == TorrentState::seeding) &&
           peers_.size() < settings().max_peers;
}

wire::Reserved Torrent::reserved_bits() const noexcept {
    auto bits = session_.reserved_bits();
    if (!uses_dht()) wire::set_dht(bits, false);
    return bits;
}

void Torrent::add_peers(const std::vector<Endpoint>& endpoints, bool given) {
    peer_list_.add(endpoints, given ? swarm::PeerSource::given : swarm::PeerSource::tracker);
    if (given) wake_tick();  // an idle seed's tick dials them (and again after a failure)
    connect_more();
}

bool Torrent::is_banned(const Endpoint& endpoint) const {
    return peer_list_.is_banned(endpoint);
}

void Torrent::connect_more() {
    if (!accepts_connections()) return;
    swarm::DialLimits limits;
    limits.connected = has_metadata() ? peers_.size() : metadata_peers_.size();
    limits.max_peers = settings().max_peers;
    limits.max_half_open = settings().max_half_open;
    limits.seeding = state_ == TorrentState::seeding;
    limits.encrypted_first = settings().encryption == net::EncryptionPolicy::require;
    const auto dial = peer_list_.pick_to_dial(
        Clock::now(), limits, [this](const Endpoint& e) { return session_.is_banned_address(e); });
    for (const auto& endpoint : dial) {
        auto self = shared_from_this();
        net::spawn(session_.io(), net::holding(self, connect_to(endpoint)),
                   [self, endpoint](const std::string& what) {
                       BT_LOG(error, "peer", "{} out: {}", endpoint.to_string(), what);
                       self->peer_list_.on_dial_failed(endpoint, Clock::now());
                   });
    }
}

asio::awaitable<void> Torrent::connect_to(Endpoint endpoint) {
    const auto policy = settings().encryption;
    bool encrypt = policy == net::EncryptionPolicy::require ||
                   (policy == net::EncryptionPolicy::prefer && !peer_list_.plaintext_works(endpoint));
    std::optional<net::Handshaken> connected;
    std::error_code failure;  // the last attempt's, a net::Errc
    std::string reason;       // its text for the counters and the log
    for (int attempt = 0; attempt < 2 && !connected; ++attempt) {
        auto tcp = std::make_unique<net::TcpStream>(session_.io().get_executor());
        {
            Deadline connect_deadline(*tcp, settings().connect_timeout);
            const auto ec = co_await tcp->connect(to_asio(endpoint));
            if (ec) {
                failure = connect_deadline.expired() ? net::Errc::connect_timeout : net::Errc::connect_failed;
                reason = failure.message();
                break;
            }
        }
        std::unique_ptr<net::ByteStream> stream = std::move(tcp);
        Deadline handshake_deadline(*stream, settings().handshake_timeout);
        auto result = co_await net::handshake_outgoing(
            stream, net::OutgoingHandshake{wire::Handshake{reserved_bits(), info_hash(), session_.peer_id()},
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
        if (error.ec == net::Errc::mse_closed_during_handshake || error.ec == net::Errc::mse_plaintext_reply)
            ++closed_our_mse_;
        else if (!encrypt && error.ec == net::Errc::closed_during_handshake)
            ++closed_our_plaintext_;
        // prefer: a peer that fails MSE gets one plaintext try at once (never banned for it).
        if (!(encrypt && policy == net::EncryptionPolicy::prefer && result.error().mse_failed)) break;
        encrypt = false;
    }
    if (connected) {
        count_handshake(connected->bytes_sent, connected->bytes_received);
        if (connected->remote.peer_id == session_.peer_id()) {
            peer_list_.on_self(endpoint);
            connected.reset();
            reason = "connected to ourselves";
            count_closed(reason);
        } else if (connected->transport.kind == net::ConnectionKind::plaintext && !encrypt) {
            peer_list_.on_plaintext_worked(endpoint);
        }
    } else if (failure == net::Errc::connect_failed || failure == net::Errc::connect_timeout) {
        count_closed(reason);
    }
    if (connected && !accepts_connections()) {
        connected.reset();
        count_closed("torrent stopping");
    }
    if (!connected && (stopping_ || state_ == TorrentState::error)) {
        peer_list_.on_stopped(endpoint);  // whatever the peer did, the torrent ended the dial
        co_return;
    }
    if (!connected) {
        peer_list_.on_dial_failed(endpoint, Clock::now());
        BT_LOG(info, "peer", "{} out: {}", endpoint.to_string(), reason);
        co_return;
    }
    if (!has_metadata()) {
        add_metadata_connection(std::move(connected->transport), endpoint, Direction::outgoing,
                                connected->remote, std::move(connected->leftover));
        co_return;
    }
    // add_connection reports the connection to the peer list (before the peer starts and may close).
    auto peer = add_connection(std::move(connected->transport), endpoint, Direction::outgoing,
                               connected->remote, std::move(connected->leftover));
    if (!peer) peer_list_.on_dial_refused(endpoint, Clock::now());
}

void Torrent::attach_incoming(net::Transport transport, Endpoint endpoint, const wire::Handshake& remote,
                              std::vector<std::uint8_t> leftover) {
    if (!has_metadata()) {
        add_metadata_connection(std::move(transport), endpoint, Direction::incoming, remote,
                                std::move(leftover));
        return;
    }
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
        transport.stream->close();
        count_closed(refusal);
        return nullptr;
    }
    auto& stats = swarm_->stats();
    ++stats.connections_by_kind[net::kind_name(transport.kind)];
    const swarm::PeerId id{next_peer_id_++};
    auto peer = std::make_shared<PeerConnection>(*this, id, std::move(transport), endpoint, direction, remote,
                                                 std::move(leftover));
    peers_.push_back(peer);
    wake_tick();  // the choker and the rates run again
    if (direction == Direction::outgoing) {
        ++stats.peers_connected_out;
        peer_list_.on_connected(endpoint);
    } else {
        ++stats.peers_connected_in;
    }
    BT_LOG(info, "peer", "{} {}: connected ({}, {})", endpoint.to_string(),
           direction == Direction::incoming ? "in" : "out", peer->session().client_name(),
           net::kind_name(peer->kind()));
    peer->start();
    return peer;
}

void Torrent::count_handshake(std::uint64_t sent, std::uint64_t received) {
    if (!swarm_) return;
    stats().protocol_uploaded += sent;
    stats().protocol_downloaded += received;
}

void Torrent::count_closed(const std::string& reason) {
    // Without a swarm (not started, no metadata yet) no peer was ever taken: the session counts it.
    if (swarm_) ++swarm_->stats().closed_by_reason[reason];
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
        if (stopping_ || state_ == TorrentState::error)
            peer_list_.on_stopped(peer->endpoint());
        else
            peer_list_.on_disconnected(peer->endpoint(), Clock::now());
    }
    if (stopping_) return;
    connect_more();
}

void Torrent::on_corrupt_peer_banned(const Endpoint& address) {
    peer_list_.ban(address);
    BT_LOG(warning, "peer", "{}: banned after sending data that failed the hash check", address.to_string());
}

void Torrent::store_block(const swarm::Block& block, std::span<const std::uint8_t> data) {
    disk_->store_block(block, data, swarm_->picker().piece_size(block.piece));
}

void Torrent::on_piece_complete(PieceIndex piece) {
    spawn_job(verify_and_write(piece));
}

asio::awaitable<void> Torrent::verify_and_write(PieceIndex piece) {
    // stop() waits for the pieces being written, and this continuation runs before it sees them done: a
    // stopped torrent still records the piece. Only a check (verify, a restart after an error) replaces the
    // swarm while a piece is written; the piece is then the new check's to find.
    const auto swarm = swarms_made_;
    const auto result = co_await disk_->verify_and_write(piece, metainfo_->piece_hashes[piece.value]);
    if (swarms_made_ != swarm) co_return;
    if (result.caught_up) swarm_->on_disk_caught_up();
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
            last_hash_failure_ = piece;
            swarm_->on_piece_failed(piece);
            co_return;
        case TorrentDisk::PieceOutcome::discarded:
            // Its files were skipped while it was in flight: its blocks are free again, and it is not wanted.
            swarm_->on_write_failed(piece);
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
    const auto run = run_;
    if (!is_current(run)) co_return;  // stopped: the record has every piece, resume() seeds
    // Once per completion: pieces skipped while in flight, or a selection change, may report it again.
    if (state_ != TorrentState::downloading || finishing_) co_return;
    finishing_ = true;
    struct Finishing {
        bool& flag;
        ~Finishing() { flag = false; }
    } finishing{finishing_};
    auto created = co_await disk_->finish_download();
    if (!is_current(run)) co_return;  // stopped meanwhile: stop() saved the record, resume() seeds
    if (!created) {
        stop_with_error(created.error());
        co_return;
    }
    BT_LOG(info, "torrent", "{}: download complete", printable(name()));
    // Record completion at once, so that a restart (even after kill -9) seeds without hashing anything.
    disk_->save_soon(swarm_->picker().have());
    swarm_->on_download_complete();
    announcer_.on_completed(Clock::now());
    announce_timer_.cancel();
    set_state(TorrentState::seeding);
}

void Torrent::set_seed_goals(const SeedGoals& goals) {
    seed_goals_ = goals;
    wake_tick();  // an idle seed's sleep was measured against the old goals
}

bool Torrent::is_idle_seed() const {
    return state_ == TorrentState::seeding && peers_.empty() && rate_down_ == 0 && rate_up_ == 0 &&
           peer_list_.num_connecting() == 0 && !peer_list_.has_given() && !disk_->save_pending(true);
}

void Torrent::wake_tick() {
    if (tick_sleeping_) tick_timer_.cancel();
}

asio::awaitable<void> Torrent::tick_loop(std::uint64_t run, bool tick_first) {
    while (is_current(run)) {
        if (tick_first && !tick(run)) co_return;
        tick_first = true;
        // Ten thousand seeds with nobody to serve must not wake ten thousand times a second, nor each keep a
        // coroutine waiting: an idle seed's loop ends, and its timer starts the next one.
        tick_sleeping_ = is_idle_seed();
        if (tick_sleeping_) {
            const auto now = Clock::now();
            const auto goal = time_until_seed_goal(
                seed_goals_, SeedProgress{0, 0, now - seeding_since_, now - last_upload_});
            const auto wait = std::max<Clock::duration>(
                kTick, std::min<Clock::duration>(goal.value_or(kIdleTick), kIdleTick));
            tick_timer_.expires_after(wait);  // ends the wait of an earlier run's loop, if any
            tick_timer_.async_wait([weak = weak_from_this(), run](std::error_code) {
                const auto self = weak.lock();
                if (self && self->is_current(run)) self->spawn_job(self->tick_loop(run, true));
            });
            co_return;
        }
        tick_timer_.expires_after(kTick);
        co_await tick_timer_.async_wait(use_nothrow);
    }
}

bool Torrent::tick(std::uint64_t run) {
    tick_sleeping_ = false;
    const auto now = Clock::now();
    swarm_->tick(now);
    const auto& stats = swarm_->stats();
    recent_slot_ = (recent_slot_ + 1) % recent_down_.size();
    recent_down_[recent_slot_] = stats.payload_downloaded - last_payload_down_;
    recent_up_[recent_slot_] = stats.payload_uploaded - last_payload_up_;
    rate_down_ = (recent_down_[0] + recent_down_[1] + recent_down_[2]) / recent_down_.size();
    rate_up_ = (recent_up_[0] + recent_up_[1] + recent_up_[2]) / recent_up_.size();
    if (stats.payload_uploaded != last_payload_up_) last_upload_ = now;
    last_payload_down_ = stats.payload_downloaded;
    last_payload_up_ = stats.payload_uploaded;
    exchange_peers(now);
    connect_more();
    disk_->maybe_save(now, state_ == TorrentState::seeding, swarm_->picker().have());
    if (state_ == TorrentState::seeding &&
        seed_goal_reached(seed_goals_, SeedProgress{stats.payload_uploaded, swarm_->picker().wanted_bytes(),
                                                    now - seeding_since_, now - last_upload_})) {
        BT_LOG(info, "torrent", "{}: seeding goal reached", printable(name()));
        stopped_by_seed_goal_ = true;
        spawn_job(stop());
        return false;
    }
    return is_current(run);
}

asio::awaitable<void> Torrent::announce_loop(std::uint64_t run, bool slot_taken) {
    // The announcer decides which tracker, which event and when; this loop sends. While it waits (a seed's
    // next announce is half an hour away) it keeps no coroutine: the timer starts the next loop. on_finished
    // and stop() cancel the timer. `slot_taken`: a seed's announce waits for its slot in the session's
    // pacing once.
    while (is_current(run)) {
        const auto next = announcer_.next_deadline();
        if (!next) break;
        const auto now = Clock::now();
        const auto at = next->at > now || slot_taken || state_ != TorrentState::seeding
                            ? next->at
                            : session_.announce_slot(now);
        slot_taken = next->at <= now;
        if (at > now) {
            announce_timer_.expires_at(at);
            announce_timer_.async_wait([weak = weak_from_this(), run, slot_taken](std::error_code) {
                const auto self = weak.lock();
                if (self && self->is_current(run)) self->spawn_job(self->announce_loop(run, slot_taken));
            });
            co_return;
        }
        slot_taken = false;
        co_await announce(*next, settings().tracker_timeout, false);
    }
}

asio::awaitable<void> Torrent::announce(const tracker::NextAnnounce& next, std::chrono::milliseconds timeout,
                                        bool stopping) {
    const auto run = run_;
    tracker::AnnounceRequest request;
    request.info_hash = info_hash();
    request.peer_id = session_.peer_id();
    request.port = session_.listen_port();
    const auto counters = status().stats;
    request.uploaded = counters.payload_uploaded;
    request.downloaded = counters.payload_downloaded;
    request.left = bytes_left();
    request.event = next.event;
    request.numwant = next.event == tracker::Event::stopped ? 0u : 50u;
    request.key = session_.tracker_key();
    request.tracker_id = announcer_.tracker_id();
    request.supportcrypto = settings().encryption != net::EncryptionPolicy::disable;
    request.requirecrypto = settings().encryption == net::EncryptionPolicy::require;
    // http(s):// and udp:// alike; an error (network, timeout, malformed reply, the tracker's own failure
    // text) is one line that already names the tracker. 'stopped' is sent while shutting down: it is not
    // cancelled with the announces that were in flight when the session stopped.
    net::TrackerOptions options;
    options.timeout = timeout;
    if (!stopping) options.cancel = &session_.http_cancel();
    options.user_agent = settings().user_agent;
    options.udp_mux = session_.udp_mux();
    auto parsed = co_await net::announce(session_.http_pool().get_executor(), next.url, request, options);
    // The 'stopped' round belongs to stop() now, and a later run has an announcer of its own: an announce
    // that was in flight for neither reports nothing.
    if (stopping_ != stopping || run != run_) co_return;
    if (!parsed) {
        BT_LOG(warning, "tracker", "{}", parsed.error());
        ++announces_failed_;
        tracker_error_ = parsed.error();
        announcer_.on_failure(next, Clock::now());
        co_return;
    }
    ++announces_ok_;
    tracker_error_.clear();
    if (parsed->warning_message)
        BT_LOG(warning, "tracker", "{}: warning: {}", next.url, *parsed->warning_message);
    announcer_.on_success(next, *parsed, Clock::now());
    if (!stopping) update_swarm_counts(next.url, *parsed, run);
    std::vector<Endpoint> endpoints;
    for (const auto& peer : parsed->peers) endpoints.push_back(peer.endpoint);
    BT_LOG(info, "tracker", "{}: {} peer(s), next announce in {} s", next.url, endpoints.size(),
           announcer_.interval().count());
    if (!stopping) add_peers(endpoints);
}

void Torrent::update_swarm_counts(const std::string& url, const tracker::AnnounceResponse& reply,
                                  std::uint64_t run) {
    if (reply.complete || reply.incomplete) {
        swarm_seeders_ = reply.complete;
        swarm_leechers_ = reply.incomplete;
        if (reply.downloaded) swarm_downloaded_ = reply.downloaded;
        return;
    }
    const auto now = Clock::now();
    if ((next_scrape_ && now < *next_scrape_) || !tracker::can_scrape(url)) return;
    next_scrape_ = now + kScrapeInterval;
    spawn_job(scrape(url, run));
}

asio::awaitable<void> Torrent::scrape(std::string url, std::uint64_t run) {
    net::TrackerOptions options;
    options.timeout = settings().tracker_timeout;
    options.cancel = &session_.http_cancel();
    options.user_agent = settings().user_agent;
    options.udp_mux = session_.udp_mux();
    std::vector<tracker::InfoHashBytes> hashes{info_hash()};
    auto reply = co_await net::scrape(session_.http_pool().get_executor(), url, std::move(hashes), options);
    if (run != run_) co_return;
    if (!reply) {
        BT_LOG(debug, "tracker", "{}: scrape: {}", reply.error().tracker, reply.error().reason);
        co_return;
    }
    if (reply->min_request_interval && next_scrape_)  // BEP 48: the tracker asks for fewer scrapes
        next_scrape_ = std::max(*next_scrape_, Clock::now() + *reply->min_request_interval);
    const tracker::ScrapeStats* stats = reply->find(info_hash());
    if (stats == nullptr) {
        BT_LOG(debug, "tracker", "{}: scrape: no entry for this torrent", printable(url));
        co_return;
    }
    swarm_seeders_ = stats->complete;
    swarm_leechers_ = stats->incomplete;
    swarm_downloaded_ = stats->downloaded;
    BT_LOG(info, "tracker", "{}: scrape: {} seeders, {} leechers, {} downloaded", printable(url),
           stats->complete, stats->incomplete, stats->downloaded);
}

}  // namespace bt::session
