#include "rpc/ids.hpp"

#include <unordered_set>

namespace bt::rpc {
namespace {

constexpr std::string_view kRecentlyActive = "recently-active";

Selection recently_active(const Backend& backend) {
    Selection selection;
    selection.recently_active = true;
    const auto since = backend.now() - kRecentlyActiveSeconds;
    const auto all = backend.ids();
    auto views = backend.torrents(all, Detail{});
    std::erase_if(views, [since](const TorrentView& view) { return view.changed_date < since; });
    selection.ids.reserve(views.size());
    for (const auto& view : views) selection.ids.push_back(view.id);
    selection.views = std::move(views);
    selection.removed = backend.removed_since(since);
    return selection;
}

// One element of `ids`: an id or a hash; anything else selects nothing.
std::optional<TorrentId> resolve_one(const nlohmann::json& element, const Backend& backend) {
    if (element.is_string()) {
        const auto hash = normalize_hash(element.get_ref<const std::string&>());
        return hash ? backend.find_hash(*hash) : std::nullopt;
    }
    if (element.is_boolean()) return std::nullopt;
    return json_integer(element, 0, std::numeric_limits<TorrentId>::max());
}

}  // namespace

std::optional<std::string> normalize_hash(std::string_view text) {
    if (text.size() != 40) return std::nullopt;
    std::string hash(text);
    for (auto& c : hash) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    }
    return hash;
}

std::optional<Selection> select_torrents(ArgumentReader& args, const Backend& backend) {
    const auto* ids = args.find("ids");
    if (ids == nullptr) return Selection{backend.ids(), false, {}, std::nullopt};
    if (ids->is_string() && ids->get_ref<const std::string&>() == kRecentlyActive)
        return recently_active(backend);
    Selection selection;
    if (ids->is_array()) {
        selection.ids.reserve(ids->size());
        for (const auto& element : *ids) {
            if (const auto id = resolve_one(element, backend)) selection.ids.push_back(*id);
        }
    } else if (ids->is_string() || ids->is_number()) {
        if (const auto id = resolve_one(*ids, backend)) selection.ids.push_back(*id);
    } else {
        args.fail_argument("ids", "an id, a hash, a list of them, or \"recently-active\"");
        return std::nullopt;
    }
    // `-t 1,1` or an id and its hash: act on each torrent once.
    std::unordered_set<TorrentId> seen;
    std::erase_if(selection.ids, [&seen](TorrentId id) { return !seen.insert(id).second; });
    return selection;
}

}  // namespace bt::rpc
