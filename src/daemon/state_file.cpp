#include "daemon/state_file.hpp"

#include <nlohmann/json.hpp>

namespace bt::daemon {

namespace {

using nlohmann::json;

json encode_totals(const rpc::TransferTotals& t) {
    return {{"uploadedBytes", t.uploaded_bytes},
            {"downloadedBytes", t.downloaded_bytes},
            {"filesAdded", t.files_added},
            {"sessionCount", t.session_count},
            {"secondsActive", t.seconds_active}};
}

// Reads `key` into `out` when present; a value of another type throws (caught by decode_state).
template <class T>
void read(const json& object, const char* key, T& out) {
    if (auto it = object.find(key); it != object.end()) out = it->template get<T>();
}

rpc::TransferTotals decode_totals(const json& j) {
    rpc::TransferTotals t;
    read(j, "uploadedBytes", t.uploaded_bytes);
    read(j, "downloadedBytes", t.downloaded_bytes);
    read(j, "filesAdded", t.files_added);
    read(j, "sessionCount", t.session_count);
    read(j, "secondsActive", t.seconds_active);
    return t;
}

}  // namespace

std::string encode_state(const DaemonState& state) {
    json torrents = json::array();
    for (const auto& r : state.torrents) {
        torrents.push_back({{"id", r.id},
                            {"hash", r.hash},
                            {"magnet", r.magnet},
                            {"downloadDir", r.download_dir},
                            {"paused", r.paused},
                            {"addedDate", r.added_date},
                            {"doneDate", r.done_date},
                            {"filePriorities", r.file_priorities},
                            {"downloadLimit", r.download_limit},
                            {"downloadLimited", r.download_limited},
                            {"uploadLimit", r.upload_limit},
                            {"uploadLimited", r.upload_limited},
                            {"bandwidthPriority", r.bandwidth_priority},
                            {"seedRatioMode", r.seed_ratio_mode},
                            {"seedRatioLimit", r.seed_ratio_limit},
                            {"seedIdleMode", r.seed_idle_mode},
                            {"seedIdleLimit", r.seed_idle_limit},
                            {"peerLimit", r.peer_limit},
                            {"sequential", r.sequential},
                            {"downloadedBefore", r.downloaded_before},
                            {"uploadedBefore", r.uploaded_before},
                            {"corruptBefore", r.corrupt_before}});
    }
    const json j = {{"nextId", state.next_id},
                    {"torrents", std::move(torrents)},
                    {"cumulative", encode_totals(state.cumulative)}};
    return j.dump(1) + "\n";
}

Result<DaemonState, std::string> decode_state(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(std::string("not a JSON object"));
    DaemonState state;
    try {
        read(j, "nextId", state.next_id);
        if (auto it = j.find("cumulative"); it != j.end() && it->is_object())
            state.cumulative = decode_totals(*it);
        if (auto it = j.find("torrents"); it != j.end()) {
            if (!it->is_array()) return fail(std::string("\"torrents\" is not a list"));
            for (const auto& t : *it) {
                TorrentRecord r;
                read(t, "id", r.id);
                read(t, "hash", r.hash);
                read(t, "magnet", r.magnet);
                read(t, "downloadDir", r.download_dir);
                read(t, "paused", r.paused);
                read(t, "addedDate", r.added_date);
                read(t, "doneDate", r.done_date);
                read(t, "filePriorities", r.file_priorities);
                read(t, "downloadLimit", r.download_limit);
                read(t, "downloadLimited", r.download_limited);
                read(t, "uploadLimit", r.upload_limit);
                read(t, "uploadLimited", r.upload_limited);
                read(t, "bandwidthPriority", r.bandwidth_priority);
                read(t, "seedRatioMode", r.seed_ratio_mode);
                read(t, "seedRatioLimit", r.seed_ratio_limit);
                read(t, "seedIdleMode", r.seed_idle_mode);
                read(t, "seedIdleLimit", r.seed_idle_limit);
                read(t, "peerLimit", r.peer_limit);
                read(t, "sequential", r.sequential);
                read(t, "downloadedBefore", r.downloaded_before);
                read(t, "uploadedBefore", r.uploaded_before);
                read(t, "corruptBefore", r.corrupt_before);
                if (r.id <= 0 || r.hash.size() != 40)
                    return fail("torrent " + std::to_string(state.torrents.size() + 1) + ": no id or hash");
                if (r.id >= state.next_id) state.next_id = r.id + 1;
                state.torrents.push_back(std::move(r));
            }
        }
    } catch (const json::exception& e) {
        return fail(std::string("a value of the wrong type: ") + e.what());
    }
    return state;
}

}  // namespace bt::daemon
