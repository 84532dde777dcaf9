#pragma once
// An in-memory rpc::Backend for the handler's tests and its fuzz target: torrents are plain TorrentViews,
// and every call that changes something is recorded for the tests to check.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rpc/backend.hpp"

namespace bt::rpc::testing {

class FakeBackend : public Backend {
  public:
    std::vector<TorrentView> views;
    std::vector<std::pair<TorrentId, std::int64_t>> removed_at;  // id, when
    SessionView session_view;
    SessionStats stats_view;
    std::int64_t clock = 1'700'000'000;
    AddResult next_add;
    std::optional<std::string> set_error;
    std::optional<std::int64_t> free_bytes = 123'456'789;

    // What was asked.
    std::vector<std::string> calls;  // "start", "start-now", "stop", ... in order
    std::vector<TorrentId> last_ids;
    bool last_delete_data = false;
    std::optional<QueueMove> last_queue_move;
    std::vector<TorrentChanges> set_calls;
    std::vector<std::vector<TorrentId>> set_ids;
    std::vector<SessionChanges> session_changes;
    std::vector<AddRequest> add_requests;
    std::string last_location;
    bool last_move = false;
    mutable std::vector<Detail> detail_requests;
    bool closed = false;

    FakeBackend() {
        session_view.version = "bitveil 0.1.0";
        session_view.config_dir = "/var/lib/bitveil";
        session_view.download_dir = "/srv/downloads";
        session_view.download_dir_free_space = 1'000'000'000;
        session_view.session_id = "0123456789abcdef0123456789abcdef0123456789abcdef";
    }

    // A torrent with every count filled, so that type checks see non-trivial values.
    TorrentView& add_torrent(TorrentId id, std::string name) {
        TorrentView t;
        t.id = id;
        t.name = std::move(name);
        t.hash = std::string(40, '0');
        const auto digits = std::to_string(id);
        t.hash.replace(40 - digits.size(), digits.size(), digits);
        t.download_dir = "/srv/downloads";
        t.status = Status::downloading;
        t.total_size = 1000;
        t.size_when_done = 1000;
        t.left_until_done = 250;
        t.have_valid = 750;
        t.downloaded_ever = 800;
        t.uploaded_ever = 400;
        t.rate_download = 5000;
        t.rate_upload = 1000;
        t.eta = 60;
        t.piece_size = 16384;
        t.piece_count = 1;
        t.changed_date = clock;
        t.files = {{t.name + "/a", 600, 600, 0, true}, {t.name + "/b", 400, 150, 1, false}};
        t.peers = {
            {"10.0.0.1", 6881, "Transmission 3.00", "mse-rc4", false, 0.5, 100, 0, false, true, true, false},
            {"::1", 51413, "bitveil", "plaintext", true, 1.0, 0, 50, true, false, false, true}};
        t.trackers = {{0, 0, "http://tracker.example:8080/announce", "http://tracker.example:8080", "Success",
                       true, clock - 100, clock + 1700, 3, 2, 10}};
        views.push_back(std::move(t));
        return views.back();
    }

    std::vector<TorrentId> ids() const override {
        std::vector<TorrentId> out;
        for (const auto& t : views) out.push_back(t.id);
        return out;
    }
    std::optional<TorrentId> find_hash(const std::string& hash) const override {
        for (const auto& t : views) {
            if (t.hash == hash) return t.id;
        }
        return std::nullopt;
    }
    std::vector<TorrentView> torrents(std::span<const TorrentId> ids, Detail detail) const override {
        detail_requests.push_back(detail);
        std::vector<TorrentView> out;
        for (const auto id : ids) {
            const auto* t = find(id);
            if (t == nullptr) continue;
            out.push_back(*t);
            if (!detail.files) out.back().files.clear();
            if (!detail.peers) out.back().peers.clear();
            if (!detail.trackers) out.back().trackers.clear();
        }
        return out;
    }
    std::vector<TorrentId> removed_since(std::int64_t since) const override {
        std::vector<TorrentId> out;
        for (const auto& [id, when] : removed_at) {
            if (when >= since) out.push_back(id);
        }
        return out;
    }
    std::int64_t now() const override { return clock; }

    void start(std::span<const TorrentId> ids, bool now) override {
        record(now ? "start-now" : "start", ids);
    }
    void stop(std::span<const TorrentId> ids) override { record("stop", ids); }
    void verify(std::span<const TorrentId> ids) override { record("verify", ids); }
    void reannounce(std::span<const TorrentId> ids) override { record("reannounce", ids); }
    void remove(std::span<const TorrentId> ids, bool delete_data) override {
        record("remove", ids);
        last_delete_data = delete_data;
    }
    std::optional<std::string> set(std::span<const TorrentId> ids, const TorrentChanges& changes) override {
        record("set", ids);
        set_ids.emplace_back(ids.begin(), ids.end());
        set_calls.push_back(changes);
        return set_error;
    }
    std::optional<std::string> set_location(std::span<const TorrentId> ids, const std::string& location,
                                            bool move) override {
        record("set-location", ids);
        last_location = location;
        last_move = move;
        return std::nullopt;
    }
    void queue_move(std::span<const TorrentId> ids, QueueMove move) override {
        record("queue-move", ids);
        last_queue_move = move;
    }
    AddResult add(const AddRequest& request) override {
        calls.push_back("add");
        add_requests.push_back(request);
        return next_add;
    }
    SessionView session() const override { return session_view; }
    std::optional<std::string> set_session(const SessionChanges& changes) override {
        calls.push_back("set-session");
        session_changes.push_back(changes);
        if (changes.encryption) session_view.encryption = *changes.encryption;
        return std::nullopt;
    }
    SessionStats stats() const override { return stats_view; }
    std::optional<std::int64_t> free_space(const std::string&, std::string& error) const override {
        if (!free_bytes) error = "No such file or directory";
        return free_bytes;
    }
    void close() override { closed = true; }

  private:
    const TorrentView* find(TorrentId id) const {
        const auto it = std::find_if(views.begin(), views.end(), [id](const auto& t) { return t.id == id; });
        return it == views.end() ? nullptr : &*it;
    }
    void record(const char* call, std::span<const TorrentId> ids) {
        calls.emplace_back(call);
        last_ids.assign(ids.begin(), ids.end());
    }
};

}  // namespace bt::rpc::testing
