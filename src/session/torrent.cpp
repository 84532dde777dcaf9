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
#include "core/printable.hpp"
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

// The message a storage error stops the torrent with. A full disk (or quota) says so and names the file,
// so the user knows which folder needs room: "disk full while writing /dl/a.bin: No space left on device".
std::string describe(const storage::StorageError& e) {
    if (e.is_disk_full()) return "disk full while writing " + e.file + ": " + e.ec.message();
    return e.message();
}

storage::Settings storage_settings(const Settings& settings) {
    storage::Settings s;
    s.direct_writes = settings.direct_writes;
    // 64 descriptors per torrent either way: a file open for direct writes holds two.
    s.max_open_files = settings.direct_writes ? 32 : 64;
    return s;
}

// Idle piece buffers a torrent keeps for reuse: as many as it may have in use at once when downloading at
// full speed. That is the blocks requested, the disk backlog (which the requests already sent can overfill
// by their own size once the backlog stops new ones) and the one piece always let through. More in use
// than that (pieces left partial by peers that went away) are freed when they come back.
std::size_t piece_buffers_to_keep(const Settings& settings, const metainfo::Metainfo& metainfo) {
    return std::size_t{settings.max_requests_in_flight} * swarm::kDefaultBlockSize +
           2 * settings.max_disk_backlog + static_cast<std::size_t>(metainfo.piece_length);
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
      storage_(std::make_unique<storage::FileStorage>(storage::Layout::from(metainfo_), download_dir_,
                                                      storage_settings(session.settings()))),
      resume_path_(storage::resume_path(download_dir_, metainfo_.info_hash.bytes)),
      boot_id_(storage::current_boot_id()),
      choker_(swarm::ChokerSettings{}, session.random_seed()),
      piece_buffers_(static_cast<std::size_t>(metainfo_.piece_length),
                     piece_buffers_to_keep(session.settings(), metainfo_)),
      strikes_(session.settings().max_ban_records),
      banned_peer_ids_(session.settings().max_ban_records),
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
    s.stats = stats_;
    return s;
}

std::uint32_t Torrent::request_budget() const noexcept {
    std::uint32_t in_flight = 0;
    for (const auto& p : peers_) in_flight += p->requests_in_flight();
    const auto limit = settings().max_requests_in_flight;
    return in_flight >= limit ? 0 : limit - in_flight;
}

bool Torrent::disk_backlogged() const noexcept {
    return writes_in_flight_ > 0 && bytes_to_disk_ >= settings().max_disk_backlog;
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
    BT_LOG(error, "torrent", "{}: {}", printable(metainfo_.name), printable(message));
    error_ = message;
    for (auto& peer : std::vector(peers_)) peer->close("torrent stopped: " + message);
    set_state(TorrentState::error);
}

void Torrent::start() {
    asio::co_spawn(session_.io(), check_and_run(), asio::detached);
}

asio::awaitable<void> Torrent::check_and_run() {
    // Data already on disk is found in two ways (storage/resume_data.hpp has the rule): pieces the resume
    // data lists, in files unchanged since it was saved, are trusted without reading them; every piece
    // touching a file that changed since (all files when there is no usable resume data) is hashed. So an
    // interrupted download continues where it was, also after kill -9 (pieces verified after the last
    // save are in files whose mtime changed, and hashing finds them again), and `seed` serves data that
    // is already complete.
    struct Check {
        storage::ResumePlan plan;
        std::string resume_problem;  // why an existing resume file was not usable
        Result<storage::HashReport, storage::StorageError> report;
    };
    // The job captures only `this` and a pointer into this frame (suspended until the job is done): g++ 12
    // destroys a lambda temporary with non-trivial captures (a string, a shared_ptr) twice when it is
    // created inside a co_await expression. The members it reads do not change after construction.
    const storage::ResumeTarget target{info_hash(), metainfo_.piece_length, metainfo_.num_pieces(),
                                       storage_->layout().files};
    const unsigned threads = std::max(1u, settings().disk_threads);
    auto check = co_await net::run_on(session_.disk_pool().get_executor(), [this, &target, threads] {
        Check c;
        auto loaded = storage::load_resume(resume_path_, target.num_pieces, target.files.size());
        c.resume_problem = std::move(loaded.problem);
        const auto on_disk = storage::to_stamps(storage_->file_status());
        c.plan = storage::plan_resume(loaded.data ? &*loaded.data : nullptr, target, on_disk, boot_id_);
        storage::HashOptions options;
        options.threads = threads;
        options.on_progress = [counter = check_bytes_done_](std::int64_t done) { counter->store(done); };
        options.only = &c.plan.recheck;
        c.report = storage::hash_pieces(*storage_, options);  // opens the files like storage_ does
        return c;
    });
    if (!check.report) {
        stop_with_error("checking files: " + check.report.error().message());
        co_return;
    }
    const auto& plan = check.plan;
    if (!check.resume_problem.empty()) {
        BT_LOG(warning, "torrent", "{}: resume data ignored, checking the files: {}",
               printable(metainfo_.name), check.resume_problem);
    } else if (plan.use == storage::ResumeUse::other_torrent ||
               plan.use == storage::ResumeUse::other_layout) {
        BT_LOG(info, "torrent", "{}: resume data ignored ({}), checking the files", printable(metainfo_.name),
               storage::resume_use_name(plan.use));
    }
    std::uint32_t rechecked_ok = 0;
    for (std::uint32_t i = 0; i < metainfo_.num_pieces(); ++i) {
        const PieceIndex piece{i};
        bool ok = plan.trusted.test(piece);
        if (ok) {
            ++stats_.pieces_from_resume;
        } else if (i < check.report->pieces.size() && check.report->pieces[i] &&
                   *check.report->pieces[i] == metainfo_.piece_hashes[i]) {
            ok = true;
            ++rechecked_ok;
        }
        if (!ok) continue;
        picker_->on_piece_verified(piece);
        ++stats_.pieces_from_disk;
    }
    stats_.pieces_rechecked = plan.recheck.count();
    stats_.files_rechecked = static_cast<std::uint32_t>(plan.changed_files.size());
    BT_LOG(info, "torrent", "{}: resume: {} pieces trusted, {} files rechecked ({} pieces hashed, {} valid)",
           printable(metainfo_.name), stats_.pieces_from_resume, stats_.files_rechecked,
           stats_.pieces_rechecked, rechecked_ok);
    // From here on the picker knows every piece on disk, so a save records the truth. Save soon when files
    // were hashed, so that the next start need not hash them again. A download that has nothing on disk
    // yet writes nothing, not even resume data, until its first piece arrives.
    resume_ready_ = true;
    resume_dirty_ = plan.recheck.count() > 0 || plan.use == storage::ResumeUse::other_torrent ||
                    plan.use == storage::ResumeUse::other_layout;
    if (stopping_) co_return;
    if (picker_->is_finished()) {
        auto created = co_await net::run_on(session_.disk_pool().get_executor(),
                                            [this] { return storage_->create_empty_files(); });
        if (!created) {
            stop_with_error(describe(created.error()));
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
    if (picker_ && picker_->holds_blocks_from(peer.id())) {
        departed_contributors_.push_back(peer.id());
    } else {
        peer_endpoints_.erase(peer.id().value);
    }
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
            if (buffer.empty()) {
                const auto size = picker_->piece_size(block.piece);
                buffer = piece_buffers_.take(size, storage_->direct_write_shift(block.piece, size));
            }
            std::memcpy(buffer.bytes().data() + block.begin, data.data(), block.length);
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

asio::awaitable<void> Torrent::verify_and_write(PieceIndex piece, storage::PieceBuffer data) {
    struct Outcome {
        bool hash_ok = false;
        std::optional<storage::StorageError> write_error;
    };
    const auto expected = metainfo_.piece_hashes[piece.value];
    // Hashing and writing run on the disk pool; the piece is marked verified only after it is written.
    ++writes_in_flight_;
    bytes_to_disk_ += data.size();
    auto outcome = co_await net::run_on(session_.disk_pool().get_executor(), [&] {
        Outcome o;
        o.hash_ok = crypto::sha1(std::as_const(data).bytes()) == expected;
        if (o.hash_ok) {
            const std::lock_guard lock(write_mutex_);
            auto written = storage_->write(piece, 0, std::as_const(data).bytes());
            if (!written) o.write_error = written.error();
        }
        return o;
    });
    const bool was_backlogged = disk_backlogged();
    --writes_in_flight_;
    bytes_to_disk_ -= data.size();
    if (was_backlogged && !disk_backlogged()) {
        for (auto& p : std::vector(peers_)) p->request_more();
    }
    if (state_ == TorrentState::error) co_return;
    if (outcome.write_error) {
        // Pieces verified before stay verified: stop() saves them in the resume data (if the disk has
        // room for it; otherwise the next start finds them by hashing the files that changed).
        picker_->on_piece_failed(piece);
        stop_with_error(describe(*outcome.write_error));
        co_return;
    }
    if (!outcome.hash_ok) {
        ++stats_.hash_failures;
        stats_.wasted += data.size();
        const auto contributors = picker_->on_piece_failed(piece);
        BT_LOG(warning, "torrent", "piece {} failed the hash check ({} peer(s) contributed)", piece.value,
               contributors.size());
        for (const auto id : contributors) strike(id, contributors.size() == 1);
        forget_departed_contributors();
        for (auto& p : std::vector(peers_)) p->request_more();
        co_return;
    }
    picker_->on_piece_verified(piece);
    forget_departed_contributors();
    ++stats_.pieces_verified;
    resume_dirty_ = true;
    for (auto& p : std::vector(peers_)) {
        if (!p->pieces().test(piece)) p->send_have(piece);
    }
    if (picker_->is_finished()) {
        data = {};  // back to the pool before on_finished empties it
        co_await on_finished();
    }
}

void Torrent::strike(swarm::PeerId id, bool sole_contributor) {
    auto it = peer_endpoints_.find(id.value);
    if (it == peer_endpoints_.end()) return;
    const auto [endpoint, peer_id] = it->second;
    auto& strikes = strikes_.try_emplace(peer_id).first;
    strikes += sole_contributor ? settings().hash_failures_before_ban : 1;
    if (strikes < settings().hash_failures_before_ban) return;
    if (!banned_peer_ids_.try_emplace(peer_id).second) return;
    ++stats_.peers_banned;
    known_[endpoint].banned = true;
    BT_LOG(warning, "peer", "{}: banned after sending data that failed the hash check", endpoint.to_string());
    for (auto& p : std::vector(peers_)) {
        if (p->peer_id() == peer_id) p->close("banned: sent corrupt data");
    }
}

void Torrent::forget_departed_contributors() {
    std::erase_if(departed_contributors_, [this](swarm::PeerId id) {
        if (picker_->holds_blocks_from(id)) return false;
        peer_endpoints_.erase(id.value);
        return true;
    });
}

asio::awaitable<void> Torrent::on_finished() {
    // Every piece is written (to the disk, or to the page cache for unaligned edges), so the download is
    // complete as far as any reader of the files can tell. It is not flushed here: waiting for the disk
    // would add a second per GiB to the download, and a crash before the data is on disk is caught at the
    // next start (the resume record names this boot, resume_data.hpp). Seeding flushes it later.
    auto created = co_await net::run_on(session_.disk_pool().get_executor(),
                                        [&] { return storage_->create_empty_files(); });
    if (!created) {
        stop_with_error(describe(created.error()));
        co_return;
    }
    BT_LOG(info, "torrent", "{}: download complete", printable(metainfo_.name));
    piece_buffers_.release_idle();  // seeding reads into buffers of its own
    // Record completion at once, so that a restart (even after kill -9) seeds without hashing anything.
    asio::co_spawn(session_.io(), save_resume_data(false), asio::detached);
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
        maybe_save_resume(now);
    }
}

void Torrent::maybe_save_resume(Clock::time_point now) {
    if (resume_saving_ || now - last_resume_save_ < settings().resume_save_interval) return;
    // While downloading, records name this boot instead of flushing: a flush stalls the disk writes behind
    // it. Once seeding, nothing more is written, so the data is flushed and the record made durable.
    const bool seeding = state_ == TorrentState::seeding;
    if (resume_dirty_ || (seeding && !resume_durable_)) {
        asio::co_spawn(session_.io(), save_resume_data(seeding), asio::detached);
    }
}

asio::awaitable<void> Torrent::save_resume_data(bool flush_data) {
    if (!resume_ready_ || resume_saving_) co_return;  // the caller's resume_dirty_ keeps it for later
    resume_saving_ = true;
    resume_dirty_ = false;
    // Without a boot id, a record of unflushed data could outlive a power loss unnoticed.
    const bool flush = flush_data || boot_id_.empty();
    // The snapshot of verified pieces is taken here, on the network thread. A piece is marked verified only
    // after its write returned, so every piece in it is at least in the page cache now.
    storage::ResumeData data;
    data.info_hash = info_hash();
    data.verified = picker_->have();
    if (!flush) data.unflushed_boot = boot_id_;
    // Captures `this` and pointers into this frame only (see check_and_run).
    auto saved = co_await net::run_on(
        session_.disk_pool().get_executor(), [this, &data, &flush]() -> Result<void, std::string> {
            // 1. Stat the files first. Every write of a snapshotted piece is done, so these mtimes cover
            //    them; any write that finishes later (pieces still in flight, or the user) changes size or
            //    mtime and makes the next start hash that file instead of trusting it. Stat'ing after the
            //    flush would widen that window by the flush's duration: a piece written meanwhile would be
            //    in neither the snapshot nor a changed file, and be downloaded again after a crash.
            data.files = storage::to_stamps(storage_->file_status());
            // 2. fdatasync the data, so the resume file never claims a piece that a power loss could take
            //    back (writeback does not change mtimes). Unflushed, the record names this boot instead.
            if (flush) {
                if (auto flushed = storage_->flush(); !flushed) return fail(describe(flushed.error()));
            }
            // 3. Replace the resume file atomically (temporary file, rename; fsync'ed only after a flush).
            if (auto written = storage::save_resume(resume_path_, data); !written)
                return fail(describe(written.error()));
            return {};
        });
    resume_saving_ = false;
    last_resume_save_ = Clock::now();
    if (saved) resume_durable_ = flush;
    if (!saved) {
        resume_dirty_ = true;  // try again at the next interval
        BT_LOG(warning, "torrent", "{}: could not save resume data: {}", printable(metainfo_.name),
               saved.error());
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
    for (auto& p : std::vector(peers_)) p->close("shutting down");
    if (announced_started_) co_await announce(tracker::Event::stopped, settings().stop_announce_timeout);
    // The final resume save, after the one in flight if any; unflushed, like on_finished's. Also after an
    // error such as a full disk: the pieces verified so far are recorded if the disk still has room for it.
    // Pieces still being hashed and written are waited for (they take milliseconds), so that a clean stop
    // records every piece whose data reached the disk and the next start has nothing to hash.
    asio::steady_timer wait(session_.io());
    while (resume_saving_ || writes_in_flight_ > 0) {
        wait.expires_after(std::chrono::milliseconds(10));
        co_await wait.async_wait(use_nothrow);
    }
    // Nothing to record when nothing changed since the last save (or since a start with nothing on disk).
    if (resume_ready_ && resume_dirty_) co_await save_resume_data(false);
    co_await net::run_on(session_.disk_pool().get_executor(), [this] { storage_->close_all(); });
    if (state_ != TorrentState::error) set_state(TorrentState::stopped);
}

}  // namespace bt::session
