#include "daemon/session_backend.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <unordered_map>

#include "core/hex.hpp"
#include "core/log.hpp"
#include "core/printable.hpp"
#include "metainfo/magnet.hpp"
#include "metainfo/torrent_builder.hpp"
#include "net/spawn.hpp"
#include "storage/atomic_file.hpp"
#include "storage/resume_store.hpp"

namespace bt::daemon {

namespace {

using session::TorrentState;

// The largest .torrent the daemon reads from its own folder or a path given to torrent-add.
constexpr std::size_t kMaxTorrentFileBytes = std::size_t{64} << 20;
constexpr std::int64_t kBytesPerKb = 1000;  // Transmission's speed unit

std::int64_t unix_now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::uint64_t bytes_per_second(std::int64_t kb, bool limited) {
    return limited && kb > 0 ? static_cast<std::uint64_t>(kb) * kBytesPerKb : 0;
}

std::optional<net::EncryptionPolicy> policy_from_name(const std::string& name) {
    if (name == "require") return net::EncryptionPolicy::require;
    if (name == "prefer") return net::EncryptionPolicy::prefer;
    if (name == "allow") return net::EncryptionPolicy::allow;
    if (name == "disable") return net::EncryptionPolicy::disable;
    return std::nullopt;
}

rpc::Status rpc_status(TorrentState state, bool complete) {
    switch (state) {
        case TorrentState::metadata:
        case TorrentState::downloading:
            return rpc::Status::downloading;
        case TorrentState::checking:
            return rpc::Status::checking;
        case TorrentState::seeding:
            return rpc::Status::seeding;
        case TorrentState::queued:
            return complete ? rpc::Status::seed_wait : rpc::Status::download_wait;
        case TorrentState::stopped:
        case TorrentState::error:
            break;
    }
    return rpc::Status::stopped;
}

// The RPC's names (bitveil-kind), spelled as users read them rather than net::kind_name's.
const char* rpc_kind_name(net::ConnectionKind kind) {
    switch (kind) {
        case net::ConnectionKind::plaintext:
            return "plaintext";
        case net::ConnectionKind::mse_rc4:
            return "mse-rc4";
        case net::ConnectionKind::mse_header:
            return "mse-header-only";
    }
    return "plaintext";
}

// scheme://host[:port] of a tracker URL, for the web UI's tracker filter.
std::string tracker_host(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return url;
    const auto host_end = url.find('/', scheme_end + 3);
    return url.substr(0, host_end);
}

// Index of each file the RPC lists (pad files are not listed) in the metainfo's files.
std::vector<std::size_t> listed_files(const metainfo::Metainfo& m) {
    std::vector<std::size_t> listed;
    for (std::size_t i = 0; i < m.files.size(); ++i)
        if (!m.files[i].pad) listed.push_back(i);
    return listed;
}

std::int64_t verified_bytes_of(const metainfo::Metainfo& m, const metainfo::FileEntry& file,
                               const Bitfield& have) {
    if (file.length == 0 || have.size() == 0 || m.piece_length <= 0) return 0;
    const std::int64_t first = file.offset / m.piece_length;
    const std::int64_t last = (file.offset + file.length - 1) / m.piece_length;
    std::int64_t done = 0;
    for (std::int64_t p = first; p <= last && p < std::int64_t{have.size()}; ++p) {
        if (!have.test(PieceIndex{static_cast<std::uint32_t>(p)})) continue;
        const std::int64_t begin = std::max(file.offset, p * m.piece_length);
        const std::int64_t end = std::min(file.offset + file.length, (p + 1) * m.piece_length);
        done += end - begin;
    }
    return done;
}

int rpc_priority(metainfo::FilePriority p) {
    switch (p) {
        case metainfo::FilePriority::low:
            return -1;
        case metainfo::FilePriority::high:
            return 1;
        default:
            return 0;
    }
}

}  // namespace

SessionBackend::SessionBackend(session::Session& session, std::string config_dir, rpc::SessionView settings,
                               std::function<void()> on_close)
    : session_(session),
      config_dir_(std::move(config_dir)),
      settings_(std::move(settings)),
      on_close_(std::move(on_close)) {
    settings_.config_dir = config_dir_;
}

std::string SessionBackend::metainfo_path(const std::string& hash) const {
    return config_dir_ + "/torrents/" + hash + ".torrent";
}

session::Torrent* SessionBackend::torrent(const Entry& entry) const {
    return session_.find_torrent(entry.session_id);
}

std::shared_ptr<session::Torrent> SessionBackend::shared_torrent(const Entry& entry) const {
    for (const auto& t : session_.torrents())
        if (t->id() == entry.session_id) return t;
    return nullptr;
}

SessionBackend::Entry* SessionBackend::find(rpc::TorrentId id) {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
}

void SessionBackend::spawn(asio::awaitable<void> job, std::string what) {
    net::spawn(session_.io(), std::move(job), [what = std::move(what)](const std::string& failure) {
        BT_LOG(error, "daemon", "{}: {}", what, failure);
    });
}

std::optional<session::TorrentParams> SessionBackend::params_for(const TorrentRecord& record,
                                                                 std::vector<std::string>& peers) {
    session::TorrentParams params;
    // A magnet's peers (x.pe) are dialled again: they may be its only source.
    auto magnet = metainfo::parse_magnet(record.magnet);
    peers = magnet ? magnet->peers : std::vector<std::string>{};
    if (auto bytes = storage::read_file(metainfo_path(record.hash), kMaxTorrentFileBytes)) {
        auto parsed = metainfo::parse_torrent(*bytes);
        if (!parsed) {
            BT_LOG(error, "daemon", "torrent {}: {} is unusable: {}", record.id, metainfo_path(record.hash),
                   parsed.error().message());
            return std::nullopt;
        }
        return session::TorrentParams::from_metainfo(std::move(*parsed), record.download_dir);
    }
    if (!magnet) {
        BT_LOG(error, "daemon", "torrent {}: no metainfo and no usable magnet link", record.id);
        return std::nullopt;
    }
    params.info_hash = magnet->info_hash.bytes;
    params.name = magnet->display_name.empty() ? magnet->info_hash.hex() : magnet->display_name;
    for (const auto& tracker : magnet->trackers) params.trackers.push_back({tracker});
    params.download_dir = record.download_dir;
    return params;
}

void SessionBackend::restore(DaemonState state) {
    next_id_ = std::max(next_id_, state.next_id);
    cumulative_before_ = state.cumulative;
    std::vector<session::Torrent*> starts;  // all in one pass of the session's queue
    for (auto& record : state.torrents) {
        std::vector<std::string> peers;
        auto params = params_for(record, peers);
        std::optional<std::string> failed;
        if (params) {
            params->complete_last_run = record.size_when_done > 0 && record.left_until_done == 0;
            failed = add_to_session(std::move(*params), record, peers, &starts);
        }
        if (!params || failed) {
            if (failed) BT_LOG(error, "daemon", "torrent {}: {}", record.id, *failed);
            unrestored_.push_back(record);  // kept: the cause (a disk error) may pass
        }
        // The entry has its copy: moved out and destroyed here, so the loaded state shrinks as it goes
        // (megabytes at 10,000; assigning {} would keep the strings' buffers).
        { const auto spent = std::move(record); }
    }
    session_.start_queued(starts);
    dirty_ = false;
}

std::optional<std::string> SessionBackend::add_to_session(session::TorrentParams params, TorrentRecord record,
                                                          const std::vector<std::string>& peers,
                                                          std::vector<session::Torrent*>* starts) {
    auto added = session_.add_torrent(std::move(params));
    if (!added) return added.error();
    session::Torrent* t = *added;
    const auto id = record.id;
    Entry entry;
    entry.record = std::move(record);
    entry.session_id = t->id();
    entry.changed_date = unix_now();
    auto [it, fresh] = entries_.emplace(id, std::move(entry));
    order_.push_back(id);
    t->on_state_change([this, id](TorrentState state) { on_state_change(id, state); });
    std::vector<Endpoint> endpoints;
    for (const auto& peer : peers)
        if (auto endpoint = parse_endpoint(peer)) endpoints.push_back(*endpoint);
    if (!endpoints.empty()) t->add_peers(endpoints, true);
    apply_choices(it->second);
    if (!it->second.record.paused) {
        it->second.start_date = unix_now();
        it->second.ran = true;
        if (starts != nullptr) {
            starts->push_back(t);
        } else {
            session_.start_queued(*t);
        }
    }
    dirty_ = true;
    return std::nullopt;
}

void SessionBackend::apply_choices(Entry& entry) {
    auto* t = torrent(entry);
    if (t == nullptr) return;
    const auto& r = entry.record;
    t->set_rate_limits(bytes_per_second(r.download_limit, r.download_limited),
                       bytes_per_second(r.upload_limit, r.upload_limited));
    t->set_sequential(r.sequential);
    if (!r.file_priorities.empty()) {
        std::vector<metainfo::FilePriority> priorities;
        for (const int p : r.file_priorities)
            priorities.push_back(static_cast<metainfo::FilePriority>(std::clamp(p, 0, 3)));
        t->set_file_priorities(std::move(priorities));
    }
    apply_seed_goals(entry);
}

void SessionBackend::apply_seed_goals(Entry& entry) {
    auto* t = torrent(entry);
    if (t == nullptr) return;
    const auto& r = entry.record;
    session::SeedGoals goals;
    goals.seed = true;  // a daemon seeds until a goal is met or the user stops it
    if (r.seed_ratio_mode == 1) {
        goals.ratio = r.seed_ratio_limit;
    } else if (r.seed_ratio_mode == 0 && settings_.seed_ratio_limited) {
        goals.ratio = settings_.seed_ratio_limit;
    }
    // The session counts this run's upload only: what earlier runs uploaded counts towards the ratio too.
    if (goals.ratio && t->has_metadata() && t->metainfo().total_size > 0)
        goals.ratio = std::max(0.0, *goals.ratio - static_cast<double>(r.uploaded_before) /
                                                       static_cast<double>(t->metainfo().total_size));
    if (r.seed_idle_mode == 1) {
        goals.idle = std::chrono::minutes(r.seed_idle_limit);
    } else if (r.seed_idle_mode == 0 && settings_.idle_seeding_limit_enabled) {
        goals.idle = std::chrono::minutes(settings_.idle_seeding_limit);
    }
    t->set_seed_goals(goals);
}

void SessionBackend::on_state_change(rpc::TorrentId id, TorrentState state) {
    auto* entry = find(id);
    if (entry == nullptr) return;
    entry->changed_date = unix_now();
    auto* t = torrent(*entry);
    if (t == nullptr) return;
    if (state == TorrentState::seeding && entry->record.done_date == 0) {
        entry->record.done_date = unix_now();
        dirty_ = true;
    }
    if (t->has_metadata() && !entry->record.magnet.empty() &&
        !std::filesystem::exists(metainfo_path(entry->record.hash)))
        keep_metainfo(t->metainfo());
    // Stopped by its seed goal: finished, and it stays stopped.
    if (state == TorrentState::stopped && t->stopped_by_seed_goal() && !entry->record.paused) {
        entry->finished = true;
        entry->record.paused = true;
        dirty_ = true;
    }
}

void SessionBackend::keep_metainfo(const metainfo::Metainfo& m) {
    const auto bytes = metainfo::wrap_info_dictionary(m.info_bytes, m.trackers);
    auto made = storage::ensure_directories(config_dir_ + "/torrents", 0700);
    auto written = made ? storage::write_file_atomic(metainfo_path(m.info_hash.hex()), bytes) : made;
    if (!written) BT_LOG(warning, "daemon", "could not keep the metainfo: {}", written.error().message());
}

DaemonState SessionBackend::state() const {
    DaemonState s;
    s.next_id = next_id_;
    s.cumulative = cumulative_before_;
    const auto current = stats().current;
    s.cumulative.uploaded_bytes += current.uploaded_bytes;
    s.cumulative.downloaded_bytes += current.downloaded_bytes;
    s.cumulative.files_added += current.files_added;
    s.cumulative.seconds_active += current.seconds_active;
    s.cumulative.session_count += 1;
    for (const auto id : order_) {
        const auto& entry = entries_.at(id);
        auto record = entry.record;
        if (const auto* t = torrent(entry)) {
            const auto st = t->status();
            if (entry.ran) {
                record.have_valid = st.bytes_have;
                record.size_when_done = st.wanted_size;
                record.left_until_done = st.wanted_left;
            }
            record.downloaded_before += static_cast<std::int64_t>(st.stats.payload_downloaded);
            record.uploaded_before += static_cast<std::int64_t>(st.stats.payload_uploaded);
            record.corrupt_before += static_cast<std::int64_t>(st.stats.wasted);
            if (t->has_metadata()) {
                record.file_priorities.clear();
                for (const auto p : t->file_priorities())
                    record.file_priorities.push_back(static_cast<int>(p));
            }
        }
        s.torrents.push_back(std::move(record));
    }
    s.torrents.insert(s.torrents.end(), unrestored_.begin(), unrestored_.end());
    return s;
}

void SessionBackend::tick() {
    for (auto& [id, entry] : entries_) {
        const auto* t = torrent(entry);
        if (t == nullptr) continue;
        switch (t->state()) {
            case TorrentState::downloading:
                ++entry.seconds_downloading;
                break;
            case TorrentState::seeding:
                ++entry.seconds_seeding;
                break;
            default:
                break;
        }
    }
}

std::optional<std::string> SessionBackend::apply_session_settings(const rpc::SessionChanges* changes) {
    auto settings = session_.settings();
    settings.listen_port = static_cast<std::uint16_t>(settings_.peer_port);
    settings.max_connections = static_cast<std::uint32_t>(std::max(1, settings_.peer_limit_global));
    settings.max_peers = static_cast<std::uint32_t>(std::max(1, settings_.peer_limit_per_torrent));
    if (auto policy = policy_from_name(settings_.encryption)) settings.encryption = *policy;
    settings.download_limit =
        bytes_per_second(settings_.speed_limit_down, settings_.speed_limit_down_enabled);
    settings.upload_limit = bytes_per_second(settings_.speed_limit_up, settings_.speed_limit_up_enabled);
    settings.read_cache_bytes = static_cast<std::uint64_t>(std::max(0, settings_.cache_size_mb)) << 20;
    settings.max_active_downloads =
        settings_.download_queue_enabled
            ? static_cast<std::uint32_t>(std::max(1, settings_.download_queue_size))
            : 0;
    settings.max_active_seeds =
        settings_.seed_queue_enabled ? static_cast<std::uint32_t>(std::max(1, settings_.seed_queue_size)) : 0;
    settings.queue_stalled_after =
        settings_.queue_stalled_enabled
            ? std::chrono::seconds(std::int64_t{60} * std::max(1, settings_.queue_stalled_minutes))
            : std::chrono::hours(24 * 365);
    settings.dht = settings_.dht_enabled;
    if (auto applied = session_.apply_settings(settings); !applied) return applied.error();
    session_.set_alt_speed_limits(
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, settings_.alt_speed_down)) * kBytesPerKb,
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, settings_.alt_speed_up)) * kBytesPerKb);
    bandwidth::AltSpeedSchedule schedule;
    schedule.begin = static_cast<std::uint32_t>(settings_.alt_speed_time_begin);
    schedule.end = static_cast<std::uint32_t>(settings_.alt_speed_time_end);
    schedule.days = static_cast<bandwidth::DayMask>(settings_.alt_speed_time_day);
    const bool schedule_changed = changes == nullptr || changes->alt_speed_time_enabled ||
                                  changes->alt_speed_time_begin || changes->alt_speed_time_end ||
                                  changes->alt_speed_time_day;
    if (schedule_changed) session_.set_alt_speed_schedule(settings_.alt_speed_time_enabled, schedule);
    // A switch by hand holds until the schedule's next switch; otherwise the schedule decides.
    const bool switched =
        changes != nullptr ? changes->alt_speed_enabled.has_value() : !settings_.alt_speed_time_enabled;
    if (switched) session_.set_alt_speed_enabled(settings_.alt_speed_enabled);
    for (auto& [id, entry] : entries_) apply_seed_goals(entry);
    return std::nullopt;
}

std::vector<rpc::TorrentId> SessionBackend::ids() const {
    std::vector<rpc::TorrentId> ids;
    ids.reserve(entries_.size());
    for (const auto& [id, entry] : entries_) ids.push_back(id);
    return ids;
}

std::optional<rpc::TorrentId> SessionBackend::find_hash(const std::string& hash) const {
    std::string lower = hash;
    std::ranges::transform(lower, lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& [id, entry] : entries_)
        if (entry.record.hash == lower) return id;
    return std::nullopt;
}

std::int64_t SessionBackend::now() const {
    return unix_now();
}

std::vector<rpc::TorrentId> SessionBackend::removed_since(std::int64_t since) const {
    std::vector<rpc::TorrentId> ids;
    for (const auto& [id, when] : removed_)
        if (when >= since) ids.push_back(id);
    return ids;
}

std::vector<rpc::TorrentView> SessionBackend::torrents(std::span<const rpc::TorrentId> ids,
                                                       rpc::Detail detail) const {
    // The web UI asks for every torrent every few seconds: one pass over the session's torrents and the
    // queue here, rather than a search of each per torrent (quadratic: 60 % of the time at 2,000 torrents).
    std::unordered_map<session::TorrentId, const session::Torrent*> by_session_id;
    by_session_id.reserve(session_.torrents().size());
    for (const auto& t : session_.torrents()) by_session_id.emplace(t->id(), t.get());
    std::unordered_map<rpc::TorrentId, int> queue_positions;
    queue_positions.reserve(order_.size());
    for (std::size_t i = 0; i < order_.size(); ++i) queue_positions.emplace(order_[i], static_cast<int>(i));

    std::vector<rpc::TorrentView> views;
    views.reserve(ids.size());
    for (const auto id : ids) {
        const auto it = entries_.find(id);
        if (it == entries_.end()) continue;
        const auto t = by_session_id.find(it->second.session_id);
        if (t == by_session_id.end()) continue;
        const auto position = queue_positions.find(id);
        views.push_back(view(
            it->second, *t->second,
            position == queue_positions.end() ? static_cast<int>(order_.size()) : position->second, detail));
    }
    return views;
}

rpc::TorrentView SessionBackend::view(const Entry& entry, const session::Torrent& torrent, int queue_position,
                                      rpc::Detail detail) const {
    const auto* t = &torrent;
    const auto st = t->status();
    const auto& r = entry.record;
    rpc::TorrentView v;
    v.id = r.id;
    v.hash = r.hash;
    v.name = t->name();
    v.download_dir = r.download_dir;
    v.status = rpc_status(st.state, t->is_complete());
    if (st.state == TorrentState::error) {
        v.error = rpc::ErrorKind::local_error;
        v.error_string = st.error;
    } else if (!st.tracker_error.empty()) {
        v.error = rpc::ErrorKind::tracker_warning;
        v.error_string = st.tracker_error;
    }
    v.has_metadata = t->has_metadata();
    v.metadata_percent = v.has_metadata ? 1.0
                         : st.metadata_pieces > 0
                             ? static_cast<double>(st.metadata_pieces_have) / st.metadata_pieces
                             : 0.0;
    v.total_size = st.total_size;
    v.size_when_done = st.wanted_size;
    v.left_until_done = st.wanted_left;
    v.have_valid = st.bytes_have;
    if (!entry.ran && r.size_when_done > 0) {  // not checked in this run: what the last run knew
        v.size_when_done = r.size_when_done;
        v.left_until_done = r.left_until_done;
        v.have_valid = r.have_valid;
    }
    if (st.state == TorrentState::checking && st.total_size > 0)
        v.recheck_progress = static_cast<double>(st.check_bytes_done) / static_cast<double>(st.total_size);
    v.desired_available = st.seeds_connected > 0 ? st.wanted_left : 0;
    v.downloaded_ever = r.downloaded_before + static_cast<std::int64_t>(st.stats.payload_downloaded);
    v.uploaded_ever = r.uploaded_before + static_cast<std::int64_t>(st.stats.payload_uploaded);
    v.corrupt_ever = r.corrupt_before + static_cast<std::int64_t>(st.stats.wasted);
    v.rate_download = static_cast<std::int64_t>(st.download_rate);
    v.rate_upload = static_cast<std::int64_t>(st.upload_rate);
    if (st.state == TorrentState::downloading || st.state == TorrentState::metadata)
        v.eta = st.download_rate > 0 ? st.wanted_left / static_cast<std::int64_t>(st.download_rate) : -2;
    v.peers_connected = static_cast<int>(st.peers_connected);
    for (const auto& peer : t->peers()) {
        if (peer->session().upload_rate() > 0) ++v.peers_getting_from_us;
        if (peer->session().download_rate() > 0) ++v.peers_sending_to_us;
    }
    v.added_date = r.added_date;
    v.done_date = r.done_date;
    v.start_date = entry.start_date;
    v.activity_date = entry.changed_date;
    v.seconds_downloading = entry.seconds_downloading;
    v.seconds_seeding = entry.seconds_seeding;
    if (v.has_metadata) {
        const auto& m = t->metainfo();
        v.comment = m.comment;
        v.creator = m.created_by;
        v.date_created = m.creation_date.value_or(0);
        v.is_private = m.is_private;
        v.piece_size = m.piece_length;
        v.piece_count = m.num_pieces();
    }
    if (detail.magnet)
        v.magnet_link = metainfo::make_magnet(metainfo::InfoHash{t->info_hash()}, t->name(), t->trackers());
    v.queue_position = queue_position;
    v.is_stalled = st.state == TorrentState::downloading && st.download_rate == 0;
    v.is_finished = entry.finished;
    v.download_limit = r.download_limit;
    v.download_limited = r.download_limited;
    v.upload_limit = r.upload_limit;
    v.upload_limited = r.upload_limited;
    v.bandwidth_priority = r.bandwidth_priority;
    v.seed_ratio_mode = r.seed_ratio_mode;
    v.seed_ratio_limit = r.seed_ratio_limit;
    v.seed_idle_mode = r.seed_idle_mode;
    v.seed_idle_limit = r.seed_idle_limit;
    v.peer_limit = r.peer_limit > 0 ? r.peer_limit : settings_.peer_limit_per_torrent;
    v.sequential = t->sequential();
    v.peers_plaintext = static_cast<int>(st.peers_plaintext);
    v.peers_mse_rc4 = static_cast<int>(st.peers_mse_rc4);
    v.peers_mse_header = static_cast<int>(st.peers_mse_header);
    v.closed_by_reason = st.stats.closed_by_reason;
    // "recently-active": what a list shows changed since the last look.
    const std::uint64_t fingerprint = (static_cast<std::uint64_t>(st.state) << 56) ^
                                      (static_cast<std::uint64_t>(st.pieces_have) << 24) ^
                                      (st.download_rate + st.upload_rate > 0 ? 1u : 0u) ^
                                      (static_cast<std::uint64_t>(st.peers_connected) << 8) ^
                                      (static_cast<std::uint64_t>(st.check_bytes_done) << 1);
    if (fingerprint != entry.fingerprint || st.download_rate + st.upload_rate > 0) {
        entry.fingerprint = fingerprint;
        entry.changed_date = unix_now();
    }
    v.changed_date = entry.changed_date;
    if (detail.files && v.has_metadata) {
        const auto& m = t->metainfo();
        const auto have = t->verified();
        const auto& priorities = t->file_priorities();
        for (const auto i : listed_files(m)) {
            const auto& f = m.files[i];
            rpc::FileView file;
            file.name = m.multi_file ? m.name + "/" + f.path_string() : f.path_string();
            file.length = f.length;
            file.bytes_completed = verified_bytes_of(m, f, have);
            const auto p = i < priorities.size() ? priorities[i] : metainfo::FilePriority::normal;
            file.wanted = p != metainfo::FilePriority::skip;
            file.priority = rpc_priority(p);
            v.files.push_back(std::move(file));
        }
    }
    if (detail.peers) {
        const auto pieces = v.piece_count;
        for (const auto& peer : t->peers()) {
            const auto& s = peer->session();
            rpc::PeerView p;
            p.address = peer->endpoint().address_string();
            p.port = peer->endpoint().port;
            p.client_name = s.client_name();
            p.kind = rpc_kind_name(peer->kind());
            p.incoming = peer->direction() == session::Direction::incoming;
            p.progress =
                pieces > 0 ? static_cast<double>(s.pieces().count()) / static_cast<double>(pieces) : 0;
            p.rate_to_client = static_cast<std::int64_t>(s.download_rate());
            p.rate_to_peer = static_cast<std::int64_t>(s.upload_rate());
            p.client_choked = s.is_choking_us();
            p.client_interested = s.is_interesting();
            p.peer_choked = s.am_choking();
            p.peer_interested = s.is_interested();
            v.peers.push_back(std::move(p));
        }
    }
    if (detail.trackers) {
        int tracker_id = 0;
        int tier_index = 0;
        for (const auto& tier : t->trackers()) {
            for (const auto& url : tier) {
                rpc::TrackerView tv;
                tv.id = tracker_id++;
                tv.tier = tier_index;
                tv.announce = url;
                tv.host = tracker_host(url);
                tv.last_announce_succeeded = st.announces_ok > 0 && st.tracker_error.empty();
                tv.last_announce_result =
                    st.tracker_error.empty() ? (st.announces_ok > 0 ? "Success" : "") : st.tracker_error;
                if (st.swarm_seeders) tv.seeder_count = static_cast<int>(*st.swarm_seeders);
                if (st.swarm_leechers) tv.leecher_count = static_cast<int>(*st.swarm_leechers);
                if (st.swarm_downloaded) tv.download_count = static_cast<int>(*st.swarm_downloaded);
                v.trackers.push_back(std::move(tv));
            }
            ++tier_index;
        }
    }
    return v;
}

void SessionBackend::start(std::span<const rpc::TorrentId> ids, bool now) {
    for (const auto id : ids) {
        auto* entry = find(id);
        if (entry == nullptr) continue;
        auto* t = torrent(*entry);
        if (t == nullptr) continue;
        entry->record.paused = false;
        entry->finished = false;
        entry->ran = true;
        entry->start_date = unix_now();
        entry->changed_date = unix_now();
        // A stopped torrent waits in the queue (one queued already keeps its place); one still stopping (or
        // failed) resumes when it can. torrent-start-now jumps the queue.
        const auto state = t->state();
        if (now || (state != TorrentState::stopped && state != TorrentState::queued)) {
            t->start();
        } else if (state == TorrentState::stopped) {
            session_.start_queued(*t);
        }
        dirty_ = true;
    }
}

void SessionBackend::stop(std::span<const rpc::TorrentId> ids) {
    for (const auto id : ids) {
        auto* entry = find(id);
        if (entry == nullptr) continue;
        auto* t = torrent(*entry);
        if (t == nullptr) continue;
        entry->record.paused = true;
        entry->changed_date = unix_now();
        dirty_ = true;
        auto held = shared_torrent(*entry);
        spawn(net::holding(held, held->stop()), "stopping torrent " + std::to_string(id));
    }
}

void SessionBackend::verify(std::span<const rpc::TorrentId> ids) {
    for (const auto id : ids) {
        auto* entry = find(id);
        if (entry == nullptr) continue;
        if (auto held = shared_torrent(*entry)) {
            entry->changed_date = unix_now();
            entry->ran = true;
            spawn(net::holding(held, held->verify()), "verifying torrent " + std::to_string(id));
        }
    }
}

void SessionBackend::reannounce(std::span<const rpc::TorrentId> ids) {
    for (const auto id : ids) {
        auto* entry = find(id);
        if (entry == nullptr) continue;
        if (auto* t = torrent(*entry)) t->reannounce();
    }
}

void SessionBackend::remove(std::span<const rpc::TorrentId> ids, bool delete_data) {
    for (const auto id : ids) {
        auto it = entries_.find(id);
        if (it == entries_.end()) continue;
        if (it->second.relocating) {
            it->second.remove_after_relocating = delete_data;
            continue;
        }
        if (const auto* t = torrent(it->second)) {
            const auto st = t->status();
            removed_this_run_.downloaded_bytes += static_cast<std::int64_t>(st.stats.payload_downloaded);
            removed_this_run_.uploaded_bytes += static_cast<std::int64_t>(st.stats.payload_uploaded);
        }
        const auto session_id = it->second.session_id;
        const auto path = metainfo_path(it->second.record.hash);
        entries_.erase(it);
        std::erase(order_, id);
        removed_[id] = unix_now();
        dirty_ = true;
        std::error_code ec;
        std::filesystem::remove(path, ec);
        auto job = [](session::Session& session, session::TorrentId torrent, session::RemoveData data,
                      rpc::TorrentId rpc_id) -> asio::awaitable<void> {
            auto removed = co_await session.remove_torrent(torrent, data);
            if (!removed) BT_LOG(error, "daemon", "removing torrent {}: {}", rpc_id, removed.error());
        };
        spawn(job(session_, session_id, delete_data ? session::RemoveData::erase : session::RemoveData::keep,
                  id),
              "removing torrent " + std::to_string(id));
    }
    // Removals older than the web UI's window are no longer reported.
    const auto cutoff = unix_now() - 120;
    std::erase_if(removed_, [&](const auto& item) { return item.second < cutoff; });
}

std::optional<std::string> SessionBackend::set(std::span<const rpc::TorrentId> ids,
                                               const rpc::TorrentChanges& c) {
    // Everything is checked before anything changes: an error leaves every torrent as it was.
    if (c.peer_limit)
        return std::string("a peer limit per torrent is not supported (peer-limit-per-torrent is)");
    if (c.bandwidth_priority && *c.bandwidth_priority != 0)
        return std::string("bandwidth priorities are not supported");
    const bool files_changed = !c.files_wanted.empty() || !c.files_unwanted.empty() ||
                               !c.priority_high.empty() || !c.priority_normal.empty() ||
                               !c.priority_low.empty();
    for (const auto id : ids) {
        const auto* entry = find(id);
        const auto* t = entry != nullptr ? torrent(*entry) : nullptr;
        if (t == nullptr || !files_changed) continue;
        if (!t->has_metadata()) return std::string("the torrent's files are not known yet");
        const auto listed = static_cast<int>(listed_files(t->metainfo()).size());
        for (const auto* files :
             {&c.files_wanted, &c.files_unwanted, &c.priority_high, &c.priority_normal, &c.priority_low})
            for (const int f : *files)
                if (f < 0 || f >= listed) return "file " + std::to_string(f) + " does not exist";
    }
    for (const auto id : ids) {
        auto* entry = find(id);
        if (entry == nullptr) continue;
        auto* t = torrent(*entry);
        if (t == nullptr) continue;
        auto& r = entry->record;
        if (c.download_limit) r.download_limit = *c.download_limit;
        if (c.download_limited) r.download_limited = *c.download_limited;
        if (c.upload_limit) r.upload_limit = *c.upload_limit;
        if (c.upload_limited) r.upload_limited = *c.upload_limited;
        if (c.seed_ratio_mode) r.seed_ratio_mode = *c.seed_ratio_mode;
        if (c.seed_ratio_limit) r.seed_ratio_limit = *c.seed_ratio_limit;
        if (c.seed_idle_mode) r.seed_idle_mode = *c.seed_idle_mode;
        if (c.seed_idle_limit) r.seed_idle_limit = *c.seed_idle_limit;
        if (c.sequential) r.sequential = *c.sequential;
        if (files_changed) {
            using metainfo::FilePriority;
            const auto listed = listed_files(t->metainfo());
            auto priorities = t->file_priorities();
            priorities.resize(t->metainfo().files.size(), FilePriority::normal);
            // A file wanted again gets its level back (normal when it had none); a level given to a skipped
            // file is kept for when it is wanted.
            std::vector<bool> wanted(priorities.size());
            std::vector<FilePriority> level(priorities.size(), FilePriority::normal);
            for (std::size_t i = 0; i < priorities.size(); ++i) {
                wanted[i] = priorities[i] != FilePriority::skip;
                if (wanted[i]) level[i] = priorities[i];
            }
            const auto file = [&](int f) { return listed[static_cast<std::size_t>(f)]; };
            for (const int f : c.files_wanted) wanted[file(f)] = true;
            for (const int f : c.files_unwanted) wanted[file(f)] = false;
            for (const int f : c.priority_high) level[file(f)] = FilePriority::high;
            for (const int f : c.priority_normal) level[file(f)] = FilePriority::normal;
            for (const int f : c.priority_low) level[file(f)] = FilePriority::low;
            r.file_priorities.clear();
            for (std::size_t i = 0; i < priorities.size(); ++i)
                r.file_priorities.push_back(static_cast<int>(wanted[i] ? level[i] : FilePriority::skip));
        }
        apply_choices(*entry);
        entry->changed_date = unix_now();
        dirty_ = true;
    }
    return std::nullopt;
}

std::optional<std::string> SessionBackend::set_location(std::span<const rpc::TorrentId> ids,
                                                        const std::string& location, bool move) {
    if (location.empty() || location.front() != '/') return std::string("location is not an absolute path");
    for (const auto id : ids) {
        auto* entry = find(id);
        if (entry == nullptr || entry->relocating || torrent(*entry) == nullptr) continue;
        if (entry->record.download_dir == location) continue;
        entry->relocating = true;
        spawn(relocate(id, location, move), "moving torrent " + std::to_string(id));
    }
    return std::nullopt;
}

asio::awaitable<void> SessionBackend::relocate(rpc::TorrentId id, std::string location, bool move) {
    auto* entry = find(id);
    if (entry == nullptr) co_return;
    const auto* t = torrent(*entry);
    const std::string name = t->name();
    const auto info_hash = t->info_hash();
    const bool has_files = t->has_metadata();
    const std::string old_dir = entry->record.download_dir;
    const auto session_id = entry->session_id;
    if (auto removed = co_await session_.remove_torrent(session_id, session::RemoveData::keep); !removed)
        BT_LOG(error, "daemon", "moving torrent {}: {}", id, removed.error());
    entry = find(id);  // still there: remove() waits for the move (remove_after_relocating)
    std::error_code ec;
    if (move && has_files) {
        // The torrent's top file or folder; a rename, so within one file system (as Transmission tries
        // first).
        std::filesystem::create_directories(location, ec);
        const auto from = std::filesystem::path(old_dir) / name;
        if (!ec && std::filesystem::exists(from))
            std::filesystem::rename(from, std::filesystem::path(location) / name, ec);
    }
    if (ec) {
        BT_LOG(error, "daemon", "moving torrent {} to {}: {} (it stays in {})", id, location, ec.message(),
               old_dir);
    } else {
        // Its resume record and part file follow, so nothing is hashed again.
        const auto& resume_dir = session_.settings().resume_dir;
        if (move && !resume_dir.empty()) {
            const auto old_record = storage::resume_path(resume_dir, old_dir, info_hash);
            const auto new_record = storage::resume_path(resume_dir, location, info_hash);
            std::error_code ignored;
            std::filesystem::rename(old_record, new_record, ignored);
            std::filesystem::rename(storage::part_file_path(old_record), storage::part_file_path(new_record),
                                    ignored);
        }
        entry->record.download_dir = location;
    }
    // Back under the same id and queue position.
    auto record = entry->record;
    const auto start_date = entry->start_date;
    const auto pending_removal = entry->remove_after_relocating;
    const auto position = std::ranges::find(order_, id) - order_.begin();
    entries_.erase(id);
    std::erase(order_, id);
    std::vector<std::string> peers;
    auto params = params_for(record, peers);
    if (!params) co_return;
    if (auto added = add_to_session(std::move(*params), std::move(record), peers)) {
        BT_LOG(error, "daemon", "torrent {} after moving: {}", id, *added);
        co_return;
    }
    std::erase(order_, id);
    order_.insert(order_.begin() + std::min<std::ptrdiff_t>(position, std::ssize(order_)), id);
    if (auto* back = find(id)) back->start_date = start_date;
    dirty_ = true;
    if (pending_removal) {
        const rpc::TorrentId ids[] = {id};
        remove(ids, *pending_removal);
    }
}

void SessionBackend::queue_move(std::span<const rpc::TorrentId> ids, rpc::QueueMove move) {
    for (const auto id : ids) {
        auto it = std::ranges::find(order_, id);
        if (it == order_.end()) continue;
        const auto at = static_cast<std::size_t>(it - order_.begin());
        order_.erase(it);
        std::size_t to = 0;
        switch (move) {
            case rpc::QueueMove::top:
                to = 0;
                break;
            case rpc::QueueMove::up:
                to = at > 0 ? at - 1 : 0;
                break;
            case rpc::QueueMove::down:
                to = std::min(at + 1, order_.size());
                break;
            case rpc::QueueMove::bottom:
                to = order_.size();
                break;
        }
        order_.insert(order_.begin() + static_cast<std::ptrdiff_t>(to), id);
        dirty_ = true;
    }
    // Queued torrents start in this order.
    std::vector<session::TorrentId> session_order;
    for (const auto id : order_) session_order.push_back(entries_.at(id).session_id);
    session_.reorder_queue(session_order);
}

rpc::AddResult SessionBackend::add(const rpc::AddRequest& request) {
    rpc::AddResult result;
    session::TorrentParams params;
    std::vector<std::string> peers;
    std::string metainfo_bytes;
    TorrentRecord record;
    if (!request.magnet.empty()) {
        auto magnet = metainfo::parse_magnet(request.magnet);
        if (!magnet) {
            result.error = "invalid magnet link: " + magnet.error().message();
            return result;
        }
        params.info_hash = magnet->info_hash.bytes;
        params.name = magnet->display_name.empty() ? magnet->info_hash.hex() : magnet->display_name;
        for (const auto& tracker : magnet->trackers) params.trackers.push_back({tracker});
        peers = magnet->peers;
        record.magnet = request.magnet;
    } else {
        metainfo_bytes = request.metainfo;
        if (metainfo_bytes.empty() && !request.path.empty()) {
            auto read = storage::read_file(request.path, kMaxTorrentFileBytes);
            if (!read) {
                result.error = request.path + ": " + read.error().message();
                return result;
            }
            metainfo_bytes = std::move(*read);
        }
        auto parsed = metainfo::parse_torrent(metainfo_bytes);
        if (!parsed) {
            result.error = "invalid or corrupt torrent file (" + parsed.error().message() + ")";
            return result;
        }
        params = session::TorrentParams::from_metainfo(std::move(*parsed), "");
    }
    const auto hash = to_hex(params.info_hash);
    if (auto existing = find_hash(hash)) {
        const auto& entry = entries_.at(*existing);
        result.outcome = rpc::AddResult::Outcome::duplicate;
        result.id = *existing;
        result.hash = hash;
        result.name = torrent(entry) ? torrent(entry)->name() : params.name;
        return result;
    }
    record.download_dir = request.download_dir.value_or(settings_.download_dir);
    std::error_code ec;
    std::filesystem::create_directories(record.download_dir, ec);
    if (!std::filesystem::is_directory(record.download_dir)) {
        result.error = "download directory " + record.download_dir + " cannot be created" +
                       (ec ? ": " + ec.message() : std::string());
        return result;
    }
    params.download_dir = record.download_dir;
    if (!metainfo_bytes.empty()) {
        auto made = storage::ensure_directories(config_dir_ + "/torrents", 0700);
        auto written = made ? storage::write_file_atomic(metainfo_path(hash), metainfo_bytes) : made;
        if (!written) {
            result.error = "could not keep the torrent file: " + written.error().message();
            return result;
        }
    }
    record.id = next_id_++;
    record.hash = hash;
    record.paused = request.paused.value_or(!settings_.start_added_torrents);
    record.added_date = unix_now();
    const std::string name = params.metainfo ? params.metainfo->name : params.name;
    if (params.metainfo && (!request.files_unwanted.empty() || !request.priority_high.empty() ||
                            !request.priority_low.empty() || !request.files_wanted.empty())) {
        const auto listed = listed_files(*params.metainfo);
        std::vector<int> priorities(params.metainfo->files.size(),
                                    static_cast<int>(metainfo::FilePriority::normal));
        const auto apply = [&](const std::vector<int>& files, metainfo::FilePriority p) {
            for (const int f : files)
                if (f >= 0 && static_cast<std::size_t>(f) < listed.size())
                    priorities[listed[static_cast<std::size_t>(f)]] = static_cast<int>(p);
        };
        apply(request.priority_high, metainfo::FilePriority::high);
        apply(request.priority_low, metainfo::FilePriority::low);
        apply(request.files_unwanted, metainfo::FilePriority::skip);
        record.file_priorities = std::move(priorities);
    }
    const auto id = record.id;
    if (auto failed = add_to_session(std::move(params), std::move(record), peers)) {
        std::filesystem::remove(metainfo_path(hash), ec);
        result.error = *failed;
        return result;
    }
    ++files_added_;
    result.outcome = rpc::AddResult::Outcome::added;
    result.id = id;
    result.hash = hash;
    result.name = name;
    return result;
}

rpc::SessionView SessionBackend::session() const {
    auto v = settings_;
    v.peer_port = session_.listen_port() != 0 ? session_.listen_port() : settings_.peer_port;
    v.alt_speed_enabled = session_.alt_speed_enabled();
    v.incoming_failures = session_.incoming_failures();
    std::string ignored;
    v.download_dir_free_space = free_space(v.download_dir, ignored).value_or(-1);
    return v;
}

void apply_session_changes(const rpc::SessionChanges& c, rpc::SessionView& s) {
    const auto take = [](const auto& change, auto& field) {
        if (change) field = *change;
    };
    take(c.download_dir, s.download_dir);
    take(c.peer_port, s.peer_port);
    take(c.peer_limit_global, s.peer_limit_global);
    take(c.peer_limit_per_torrent, s.peer_limit_per_torrent);
    take(c.encryption, s.encryption);
    take(c.speed_limit_down, s.speed_limit_down);
    take(c.speed_limit_down_enabled, s.speed_limit_down_enabled);
    take(c.speed_limit_up, s.speed_limit_up);
    take(c.speed_limit_up_enabled, s.speed_limit_up_enabled);
    take(c.alt_speed_down, s.alt_speed_down);
    take(c.alt_speed_up, s.alt_speed_up);
    take(c.alt_speed_enabled, s.alt_speed_enabled);
    take(c.alt_speed_time_enabled, s.alt_speed_time_enabled);
    take(c.alt_speed_time_begin, s.alt_speed_time_begin);
    take(c.alt_speed_time_end, s.alt_speed_time_end);
    take(c.alt_speed_time_day, s.alt_speed_time_day);
    take(c.seed_ratio_limit, s.seed_ratio_limit);
    take(c.seed_ratio_limited, s.seed_ratio_limited);
    take(c.idle_seeding_limit, s.idle_seeding_limit);
    take(c.idle_seeding_limit_enabled, s.idle_seeding_limit_enabled);
    take(c.download_queue_enabled, s.download_queue_enabled);
    take(c.download_queue_size, s.download_queue_size);
    take(c.seed_queue_enabled, s.seed_queue_enabled);
    take(c.seed_queue_size, s.seed_queue_size);
    take(c.queue_stalled_enabled, s.queue_stalled_enabled);
    take(c.queue_stalled_minutes, s.queue_stalled_minutes);
    take(c.start_added_torrents, s.start_added_torrents);
    take(c.cache_size_mb, s.cache_size_mb);
}

std::optional<std::string> SessionBackend::set_session(const rpc::SessionChanges& c) {
    const auto before = settings_;
    auto& s = settings_;
    apply_session_changes(c, s);
    if (!policy_from_name(s.encryption)) {
        auto error = "unknown encryption \"" + printable(s.encryption) + "\"";
        settings_ = before;
        return error;
    }
    if (auto failed = apply_session_settings(&c)) {
        settings_ = before;
        apply_session_settings();
        return failed;
    }
    dirty_ = true;
    return std::nullopt;
}

rpc::SessionStats SessionBackend::stats() const {
    rpc::SessionStats s;
    s.current = removed_this_run_;
    for (const auto& [id, entry] : entries_) {
        const auto* t = torrent(entry);
        if (t == nullptr) continue;
        const auto st = t->status();
        ++s.torrent_count;
        if (st.state == TorrentState::stopped || st.state == TorrentState::error) {
            ++s.paused_torrent_count;
        } else {
            ++s.active_torrent_count;
        }
        s.download_speed += static_cast<std::int64_t>(st.download_rate);
        s.upload_speed += static_cast<std::int64_t>(st.upload_rate);
        s.current.downloaded_bytes += static_cast<std::int64_t>(st.stats.payload_downloaded);
        s.current.uploaded_bytes += static_cast<std::int64_t>(st.stats.payload_uploaded);
    }
    s.current.files_added = files_added_;
    s.current.session_count = 1;
    s.current.seconds_active =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
    s.cumulative = cumulative_before_;
    s.cumulative.downloaded_bytes += s.current.downloaded_bytes;
    s.cumulative.uploaded_bytes += s.current.uploaded_bytes;
    s.cumulative.files_added += s.current.files_added;
    s.cumulative.seconds_active += s.current.seconds_active;
    s.cumulative.session_count += 1;
    return s;
}

std::optional<std::int64_t> SessionBackend::free_space(const std::string& path, std::string& error) const {
    struct statvfs fs {};
    if (::statvfs(path.c_str(), &fs) != 0) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    return static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
}

void SessionBackend::close() {
    if (on_close_) asio::post(session_.io(), on_close_);
}

}  // namespace bt::daemon
