#pragma once
// The daemon's torrents as the RPC sees them (rpc::Backend) over session::Session: stable ids across
// restarts, the user's paused state, per-torrent choices and dates (daemon/state_file.hpp), the session's
// settings in Transmission's terms, and each torrent's .torrent file in <config dir>/torrents.
//
// Everything runs on the session's thread. Work that takes time (stop announces, removing data, checks)
// is started and not waited for, as in Transmission: the RPC answers at once.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/state_file.hpp"
#include "rpc/backend.hpp"
#include "session/session.hpp"

namespace bt::daemon {

// Copies each change that is present into `view`.
void apply_session_changes(const rpc::SessionChanges& changes, rpc::SessionView& view);

class SessionBackend final : public rpc::Backend {
  public:
    // `config_dir` holds torrents/<hash>.torrent; `settings` are the session's in Transmission's terms
    // (applied to `session` by apply_session_settings). `on_close` runs after session-close is answered.
    SessionBackend(session::Session& session, std::string config_dir, rpc::SessionView settings,
                   std::function<void()> on_close);

    // Adds the torrents of an earlier run (their .torrent files, or magnet links) with their ids and
    // states. One that cannot be loaded is logged and left out. Once, before any RPC.
    void restore(DaemonState state);
    // What to save: the records with their totals so far.
    DaemonState state() const;
    // Something worth saving changed since the last call.
    bool take_dirty() noexcept { return std::exchange(dirty_, false); }
    // Once a second: seconds downloading and seeding, completion dates.
    void tick();
    // The settings as they are now, to save; `session_id` is what session-get reports.
    const rpc::SessionView& settings() const noexcept { return settings_; }
    void set_session_id(std::string id) { settings_.session_id = std::move(id); }
    // Applies settings_ to the session (listen port, limits, encryption, queue, goals). The alternative
    // speed's switch is set only when `changes` names it (or at start-up without the schedule): the schedule
    // decides otherwise.
    std::optional<std::string> apply_session_settings(const rpc::SessionChanges* changes = nullptr);

    // rpc::Backend
    std::vector<rpc::TorrentId> ids() const override;
    std::optional<rpc::TorrentId> find_hash(const std::string& hash) const override;
    std::vector<rpc::TorrentView> torrents(std::span<const rpc::TorrentId> ids,
                                           rpc::Detail detail) const override;
    std::vector<rpc::TorrentId> removed_since(std::int64_t since) const override;
    std::int64_t now() const override;
    void start(std::span<const rpc::TorrentId> ids, bool now) override;
    void stop(std::span<const rpc::TorrentId> ids) override;
    void verify(std::span<const rpc::TorrentId> ids) override;
    void reannounce(std::span<const rpc::TorrentId> ids) override;
    void remove(std::span<const rpc::TorrentId> ids, bool delete_data) override;
    std::optional<std::string> set(std::span<const rpc::TorrentId> ids,
                                   const rpc::TorrentChanges& changes) override;
    std::optional<std::string> set_location(std::span<const rpc::TorrentId> ids, const std::string& location,
                                            bool move) override;
    void queue_move(std::span<const rpc::TorrentId> ids, rpc::QueueMove move) override;
    rpc::AddResult add(const rpc::AddRequest& request) override;
    rpc::SessionView session() const override;
    std::optional<std::string> set_session(const rpc::SessionChanges& changes) override;
    rpc::SessionStats stats() const override;
    std::optional<std::int64_t> free_space(const std::string& path, std::string& error) const override;
    void close() override;

  private:
    struct Entry {
        TorrentRecord record;
        session::TorrentId session_id{};
        std::int64_t start_date = 0;
        std::int64_t seconds_downloading = 0;
        std::int64_t seconds_seeding = 0;
        bool finished = false;    // stopped by its seed goal
        bool relocating = false;  // torrent-set-location: out of the session while its files move
        std::optional<bool> remove_after_relocating;  // removed meanwhile (with its data?): done once back
        bool ran = false;  // started in this run: its progress is the session's, not the record's
        // What the RPC showed last, and when that changed ("recently-active").
        mutable std::uint64_t fingerprint = 0;
        mutable std::int64_t changed_date = 0;
    };

    session::Torrent* torrent(const Entry& entry) const;
    // The same, held: for jobs that outlive this call (a stop, a check).
    std::shared_ptr<session::Torrent> shared_torrent(const Entry& entry) const;
    Entry* find(rpc::TorrentId id);
    // Adds `params` to the session under `record` (its id given), hooks its state changes, applies the
    // record's choices, and starts it unless paused: at once, or, given `starts`, by adding it there for
    // the caller to start with the others.
    std::optional<std::string> add_to_session(session::TorrentParams params, TorrentRecord record,
                                              const std::vector<std::string>& peers,
                                              std::vector<session::Torrent*>* starts = nullptr);
    void apply_choices(Entry& entry);
    // The session's parameters for a record: its metainfo file, else its magnet link (and the magnet's
    // peers); nullopt (logged) when neither is usable.
    std::optional<session::TorrentParams> params_for(const TorrentRecord& record,
                                                     std::vector<std::string>& peers);
    // torrent-set-location for one torrent: out of the session, its files (with `move`) and its resume
    // record and part file to `location`, then back under the same id, running again if it was.
    asio::awaitable<void> relocate(rpc::TorrentId id, std::string location, bool move);
    void apply_seed_goals(Entry& entry);
    void on_state_change(rpc::TorrentId id, session::TorrentState state);
    // Keeps the metainfo of a magnet's torrent once fetched, so a restart does not fetch it again.
    void keep_metainfo(const metainfo::Metainfo& metainfo);
    std::string metainfo_path(const std::string& hash) const;
    // `torrent` is the entry's; `queue_position` its index in order_.
    rpc::TorrentView view(const Entry& entry, const session::Torrent& torrent, int queue_position,
                          rpc::Detail detail) const;
    void mark_changed() noexcept { dirty_ = true; }
    // Starts `job` on the session's thread and does not wait for it; a failure is logged.
    void spawn(asio::awaitable<void> job, std::string what);

    session::Session& session_;
    std::string config_dir_;
    rpc::SessionView settings_;
    std::function<void()> on_close_;
    std::map<rpc::TorrentId, Entry> entries_;
    std::vector<TorrentRecord> unrestored_;  // records restore() could not load: kept, saved back unchanged
    std::vector<rpc::TorrentId> order_;      // queue order
    std::map<rpc::TorrentId, std::int64_t> removed_;
    rpc::TorrentId next_id_ = 1;
    rpc::TransferTotals cumulative_before_;  // every earlier run's
    rpc::TransferTotals removed_this_run_;   // payload of torrents removed in this run
    std::int64_t files_added_ = 0;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    bool dirty_ = false;
};

}  // namespace bt::daemon
