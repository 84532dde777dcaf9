#include "metainfo/torrent_builder.hpp"

#include <algorithm>
#include <limits>
#include <string_view>

#include "bencode/encode.hpp"
#include "bencode/value.hpp"

namespace bt::metainfo {
namespace {

using bencode::Value;

// A component the parser keeps as it is: not empty, not "." or "..", no '/' or NUL.
bool is_plain_component(std::string_view c) {
    return !c.empty() && c != "." && c != ".." && c.find('/') == std::string_view::npos &&
           c.find('\0') == std::string_view::npos;
}

Error error(Errc code, std::string detail) {
    return Error{code, std::move(detail)};
}

Result<void, Error> check(const TorrentSpec& spec, std::int64_t& total) {
    if (!is_plain_component(spec.name)) return fail(error(Errc::invalid_name, "name: empty or unsafe"));
    if (spec.files.empty()) return fail(error(Errc::no_files, "no files"));
    const bool single = spec.files.size() == 1 && spec.files[0].path.empty();
    total = 0;
    for (std::size_t i = 0; i < spec.files.size(); ++i) {
        const BuildFile& f = spec.files[i];
        const std::string where = "files[" + std::to_string(i) + "]";
        if (!single && f.path.empty()) return fail(error(Errc::invalid_path, where + ".path: empty"));
        for (const auto& c : f.path) {
            if (!is_plain_component(c))
                return fail(error(Errc::invalid_path, where + ".path: unsafe component"));
        }
        if (f.length < 0 || f.length > std::numeric_limits<std::int64_t>::max() - total) {
            return fail(error(Errc::invalid_length, where + ".length: negative or overflowing"));
        }
        total += f.length;
    }
    if (total == 0) return fail(error(Errc::invalid_length, "total size is 0"));
    if (!single) {
        std::vector<const std::vector<std::string>*> paths;
        paths.reserve(spec.files.size());
        for (const auto& f : spec.files) paths.push_back(&f.path);
        std::sort(paths.begin(), paths.end(), [](auto* a, auto* b) { return *a < *b; });
        // A path that equals or is a folder of another sorts right before a path that starts with it.
        for (std::size_t i = 1; i < paths.size(); ++i) {
            const auto& a = *paths[i - 1];
            const auto& b = *paths[i];
            if (a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin())) {
                std::string joined;
                for (const auto& c : a) joined += (joined.empty() ? "" : "/") + c;
                return fail(error(Errc::invalid_path, "path conflict: '" + joined + "'"));
            }
        }
    }
    if (spec.piece_length <= 0)
        return fail(error(Errc::invalid_piece_length, "piece length must be positive"));
    const std::int64_t pieces = total / spec.piece_length + (total % spec.piece_length != 0 ? 1 : 0);
    if (static_cast<std::int64_t>(spec.piece_hashes.size()) != pieces) {
        return fail(error(Errc::invalid_pieces, "expected " + std::to_string(pieces) + " piece hashes, got " +
                                                    std::to_string(spec.piece_hashes.size())));
    }
    for (const auto& tier : spec.trackers) {
        if (tier.empty()) return fail(error(Errc::invalid_field, "announce-list: empty tier"));
        for (const auto& url : tier) {
            if (url.empty()) return fail(error(Errc::invalid_field, "announce-list: empty URL"));
        }
    }
    return {};
}

}  // namespace

Result<std::string, Error> build_torrent(const TorrentSpec& spec) {
    std::int64_t total = 0;
    if (auto ok = check(spec, total); !ok) return fail(ok.error());

    // Every string_view below points into `spec` or into these locals, which outlive encode().
    std::string pieces;
    pieces.reserve(spec.piece_hashes.size() * 20);
    for (const auto& h : spec.piece_hashes) pieces.append(reinterpret_cast<const char*>(h.data()), h.size());

    Value::Dict info;
    const bool single = spec.files.size() == 1 && spec.files[0].path.empty();
    if (single) {
        info.emplace_back("length", spec.files[0].length);
    } else {
        Value::List files;
        files.reserve(spec.files.size());
        for (const auto& f : spec.files) {
            Value::List path;
            for (const auto& c : f.path) path.emplace_back(std::string_view(c));
            files.emplace_back(Value::Dict{{"length", f.length}, {"path", std::move(path)}});
        }
        info.emplace_back("files", std::move(files));
    }
    info.emplace_back("name", std::string_view(spec.name));
    info.emplace_back("piece length", spec.piece_length);
    info.emplace_back("pieces", std::string_view(pieces));
    if (spec.is_private) info.emplace_back("private", std::int64_t{1});

    Value::Dict root;
    std::size_t urls = 0;
    for (const auto& tier : spec.trackers) urls += tier.size();
    if (urls > 0) root.emplace_back("announce", std::string_view(spec.trackers.front().front()));
    if (urls > 1) {
        Value::List tiers;
        for (const auto& tier : spec.trackers) {
            Value::List list;
            for (const auto& url : tier) list.emplace_back(std::string_view(url));
            tiers.emplace_back(std::move(list));
        }
        root.emplace_back("announce-list", std::move(tiers));
    }
    if (!spec.comment.empty()) root.emplace_back("comment", std::string_view(spec.comment));
    if (!spec.created_by.empty()) root.emplace_back("created by", std::string_view(spec.created_by));
    if (spec.creation_date) root.emplace_back("creation date", *spec.creation_date);
    root.emplace_back("info", std::move(info));
    return bencode::encode(Value(std::move(root)));
}

std::string wrap_info_dictionary(std::string_view info_bytes,
                                 const std::vector<std::vector<std::string>>& trackers) {
    const auto string = [](std::string_view text) {
        return std::to_string(text.size()) + ":" + std::string(text);
    };
    std::vector<std::vector<std::string>> tiers;
    for (const auto& tier : trackers) {
        std::vector<std::string> urls;
        for (const auto& url : tier) {
            if (!url.empty()) urls.push_back(url);
        }
        if (!urls.empty()) tiers.push_back(std::move(urls));
    }
    std::string out = "d";  // keys in order: announce, announce-list, info
    if (!tiers.empty()) {
        out += "8:announce" + string(tiers.front().front());
        out += "13:announce-listl";
        for (const auto& tier : tiers) {
            out += "l";
            for (const auto& url : tier) out += string(url);
            out += "e";
        }
        out += "e";
    }
    out += "4:info";
    out += info_bytes;
    out += "e";
    return out;
}

}  // namespace bt::metainfo
