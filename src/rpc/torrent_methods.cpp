// The torrent-* and queue-move-* methods.
#include <algorithm>
#include <cctype>

#include "core/base64.hpp"
#include "rpc/ids.hpp"
#include "rpc/methods.hpp"
#include "rpc/torrent_fields.hpp"

namespace bt::rpc::detail {
namespace {

using nlohmann::json;

constexpr std::int64_t kMaxSpeed = std::int64_t{1} << 40;  // KB/s: refuses only nonsense

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

// The methods that only pass the selected ids on.
template <class Action>
Outcome act_on_selection(Call& call, Action action) {
    auto selection = select_torrents(call.args, call.backend);
    if (!call.args.ok()) return failure(call.args.error());
    action(selection->ids);
    return {};
}

Outcome queue_move(Call& call, QueueMove move) {
    return act_on_selection(call, [&](const auto& ids) { call.backend.queue_move(ids, move); });
}

// torrent-add's `filename`: a magnet, a bare info-hash (the web UI's shortcut), a URL the daemon fetched, or
// a .torrent on the daemon's machine.
std::optional<std::string> read_filename(const std::string& filename, const FetchedUrl* fetched,
                                         AddRequest& request) {
    if (starts_with_nocase(filename, "magnet:?")) {
        request.magnet = filename;
    } else if (const auto hash = normalize_hash(filename)) {
        request.magnet = "magnet:?xt=urn:btih:" + *hash;
    } else if (is_http_url(filename)) {
        if (fetched == nullptr || fetched->url != filename) return "could not fetch " + filename;
        if (!fetched->bytes) return "could not fetch " + filename + ": " + fetched->error;
        request.metainfo = *fetched->bytes;
    } else {
        request.path = filename;
    }
    return std::nullopt;
}

// An empty file list in torrent-set means every file, as in Transmission.
void expand_all(const std::optional<std::vector<int>>& asked, std::size_t file_count, std::vector<int>& out) {
    if (!asked) return;
    if (!asked->empty()) {
        out = *asked;
        return;
    }
    out.resize(file_count);
    for (std::size_t i = 0; i < file_count; ++i) out[i] = static_cast<int>(i);
}

}  // namespace

bool is_absolute_path(std::string_view path) {
    return !path.empty() && path.front() == '/';
}

bool is_http_url(std::string_view text) {
    return starts_with_nocase(text, "http://") || starts_with_nocase(text, "https://");
}

Outcome torrent_get(Call& call) {
    const auto* names = call.args.find("fields");
    if (names == nullptr) return failure("no fields specified");
    if (!names->is_array()) return failure("invalid argument 'fields': expected a list of field names");
    const auto format = call.args.string("format");
    auto selection = select_torrents(call.args, call.backend);
    if (!call.args.ok()) return failure(call.args.error());

    const auto fields = resolve_torrent_fields(*names);
    const bool needs_detail = fields.detail.files || fields.detail.peers || fields.detail.trackers;
    std::vector<TorrentView> views;
    if (selection->views && !needs_detail) {
        views = std::move(*selection->views);
    } else {
        views = call.backend.torrents(selection->ids, fields.detail);
    }
    Outcome outcome;
    outcome.arguments["torrents"] =
        format == "table" ? torrents_as_table(fields, views) : torrents_as_objects(fields, views);
    if (selection->recently_active) outcome.arguments["removed"] = selection->removed;
    return outcome;
}

Outcome torrent_add(Call& call) {
    auto& args = call.args;
    const auto filename = args.string("filename");
    const auto metainfo = args.string("metainfo");
    AddRequest request;
    request.paused = args.boolean("paused");
    request.download_dir = args.string("download-dir");
    request.files_wanted = args.index_list("files-wanted").value_or(std::vector<int>{});
    request.files_unwanted = args.index_list("files-unwanted").value_or(std::vector<int>{});
    request.priority_high = args.index_list("priority-high").value_or(std::vector<int>{});
    request.priority_low = args.index_list("priority-low").value_or(std::vector<int>{});
    (void)args.index_list("priority-normal");  // normal is every file's priority at first
    if (!args.ok()) return failure(args.error());
    if (request.download_dir && !is_absolute_path(*request.download_dir))
        return failure("download directory path is not absolute");

    // As 3.00: `filename` wins when both are given.
    if (filename && !filename->empty()) {
        if (auto error = read_filename(*filename, call.fetched, request)) return failure(std::move(*error));
    } else if (metainfo) {
        auto bytes = decode_base64(*metainfo);
        if (!bytes || bytes->empty()) return failure("invalid or corrupt torrent file");
        request.metainfo = std::move(*bytes);
    } else {
        return failure("no filename or metainfo specified");
    }

    const auto added = call.backend.add(request);
    if (added.outcome == AddResult::Outcome::failed)
        return failure(added.error.empty() ? "invalid or corrupt torrent file" : added.error);
    Outcome outcome;
    const char* key = added.outcome == AddResult::Outcome::added ? "torrent-added" : "torrent-duplicate";
    outcome.arguments[key] = {{"id", added.id}, {"name", added.name}, {"hashString", added.hash}};
    return outcome;
}

Outcome torrent_set(Call& call) {
    auto& args = call.args;
    const auto wanted = args.index_list("files-wanted");
    const auto unwanted = args.index_list("files-unwanted");
    const auto high = args.index_list("priority-high");
    const auto normal = args.index_list("priority-normal");
    const auto low = args.index_list("priority-low");
    TorrentChanges changes;
    changes.download_limit = args.integer<std::int64_t>("downloadLimit", 0, kMaxSpeed);
    changes.download_limited = args.boolean("downloadLimited");
    changes.upload_limit = args.integer<std::int64_t>("uploadLimit", 0, kMaxSpeed);
    changes.upload_limited = args.boolean("uploadLimited");
    changes.bandwidth_priority = args.integer<int>("bandwidthPriority", -1, 1);
    changes.seed_ratio_mode = args.integer<int>("seedRatioMode", 0, 2);
    changes.seed_ratio_limit = args.real("seedRatioLimit", 0, 1e9);
    changes.seed_idle_mode = args.integer<int>("seedIdleMode", 0, 2);
    changes.seed_idle_limit = args.integer<std::int64_t>("seedIdleLimit", 0, kMaxSpeed);
    changes.peer_limit = args.integer<int>("peer-limit", 0);
    changes.sequential = args.boolean("bitveil-sequential");
    (void)args.boolean("honorsSessionLimits");  // we always honour the session's limits
    // `location` is ignored here, as 3.00 does (torrent-set-location moves). Tracker edits are not
    // supported: refused rather than answered "success" with nothing done.
    for (const auto* key : {"trackerAdd", "trackerRemove", "trackerReplace"}) {
        if (args.has(key)) args.fail(std::string(key) + " is not supported");
    }
    auto selection = select_torrents(args, call.backend);
    if (!args.ok()) return failure(args.error());

    const auto lists = {&wanted, &unwanted, &high, &normal, &low};
    const bool any_empty_list = std::any_of(
        lists.begin(), lists.end(), [](const auto* list) { return list->has_value() && (*list)->empty(); });
    if (!any_empty_list) {
        changes.files_wanted = wanted.value_or(std::vector<int>{});
        changes.files_unwanted = unwanted.value_or(std::vector<int>{});
        changes.priority_high = high.value_or(std::vector<int>{});
        changes.priority_normal = normal.value_or(std::vector<int>{});
        changes.priority_low = low.value_or(std::vector<int>{});
        if (auto error = call.backend.set(selection->ids, changes)) return failure(std::move(*error));
        return {};
    }
    // "Every file" differs per torrent, so each is set on its own.
    for (const auto& view : call.backend.torrents(selection->ids, Detail{.files = true})) {
        auto own = changes;
        expand_all(wanted, view.files.size(), own.files_wanted);
        expand_all(unwanted, view.files.size(), own.files_unwanted);
        expand_all(high, view.files.size(), own.priority_high);
        expand_all(normal, view.files.size(), own.priority_normal);
        expand_all(low, view.files.size(), own.priority_low);
        const TorrentId id = view.id;
        if (auto error = call.backend.set({&id, 1}, own)) return failure(std::move(*error));
    }
    return {};
}

Outcome torrent_set_location(Call& call) {
    auto& args = call.args;
    const auto location = args.string("location");
    const auto move = args.boolean("move");
    auto selection = select_torrents(args, call.backend);
    if (!args.ok()) return failure(args.error());
    if (!location) return failure("no location");
    if (!is_absolute_path(*location)) return failure("new location path is not absolute");
    if (auto error = call.backend.set_location(selection->ids, *location, move.value_or(false)))
        return failure(std::move(*error));
    return {};
}

Outcome torrent_start(Call& call) {
    return act_on_selection(call, [&](const auto& ids) { call.backend.start(ids, false); });
}

Outcome torrent_start_now(Call& call) {
    return act_on_selection(call, [&](const auto& ids) { call.backend.start(ids, true); });
}

Outcome torrent_stop(Call& call) {
    return act_on_selection(call, [&](const auto& ids) { call.backend.stop(ids); });
}

Outcome torrent_verify(Call& call) {
    return act_on_selection(call, [&](const auto& ids) { call.backend.verify(ids); });
}

Outcome torrent_reannounce(Call& call) {
    return act_on_selection(call, [&](const auto& ids) { call.backend.reannounce(ids); });
}

Outcome torrent_remove(Call& call) {
    const auto delete_data = call.args.boolean("delete-local-data");
    return act_on_selection(call,
                            [&](const auto& ids) { call.backend.remove(ids, delete_data.value_or(false)); });
}

Outcome queue_move_top(Call& call) {
    return queue_move(call, QueueMove::top);
}
Outcome queue_move_up(Call& call) {
    return queue_move(call, QueueMove::up);
}
Outcome queue_move_down(Call& call) {
    return queue_move(call, QueueMove::down);
}
Outcome queue_move_bottom(Call& call) {
    return queue_move(call, QueueMove::bottom);
}

}  // namespace bt::rpc::detail
