#include "metainfo/metainfo.hpp"

#include <limits>
#include <optional>
#include <span>
#include <unordered_set>
#include <utility>
#include <variant>

#include "bencode/decode.hpp"
#include "bencode/value.hpp"
#include "core/hex.hpp"
#include "metainfo/file_tree.hpp"
#include "metainfo/path_sanitizer.hpp"

namespace bt::metainfo {

namespace {

using bencode::Value;

// BEP 3: "piece length ... is almost always a power of two". We require it, and at least one 16 KiB
// block. The upper bound keeps every in-piece offset within 31 bits for the wire protocol.
constexpr std::int64_t kMinPieceLength = 16 * 1024;
constexpr std::int64_t kMaxPieceLength = std::int64_t{1} << 30;
constexpr std::size_t kHashSize = 20;

Unexpected<Error> error(Errc code, std::string detail) {
    return fail(Error{code, std::move(detail)});
}

std::string index_field(std::string_view base, std::size_t i) {
    return std::string(base) + "[" + std::to_string(i) + "]";
}

// Looks up `key.utf-8` first and falls back to `key` (libtorrent does the same); sets `field` to the
// key that was used.
const Value* find_preferring_utf8(const Value& dict, std::string_view key, Value::Type type,
                                  std::string& field) {
    const std::string utf8_key = std::string(key) + ".utf-8";
    if (const Value* v = dict.find(utf8_key); v != nullptr && v->type() == type) {
        field = utf8_key;
        return v;
    }
    field = std::string(key);
    return dict.find(key);
}

// Notes are collected while parsing; paths in them read like libtorrent's ("name/dir/file").
struct Parse {
    Metainfo& m;
    void note(Note::Kind kind, std::string field, std::string from, std::string to, std::string reason) {
        m.notes.push_back({kind, std::move(field), std::move(from), std::move(to), std::move(reason)});
    }
    void ignored(std::string field, std::string reason) {
        note(Note::Kind::field_ignored, std::move(field), {}, {}, std::move(reason));
    }
    std::string shown(const std::string& relative) const {
        return m.multi_file ? m.name + "/" + relative : relative;
    }
};

// Path elements (strings or views) joined with '/'.
template <class Parts>
std::string joined(const Parts& parts) {
    std::string out;
    bool first = true;
    for (const auto& part : parts) {
        if (!first) out += '/';
        out += part;
        first = false;
    }
    return out;
}

struct Attributes {
    bool pad = false;
    bool executable = false;
    bool hidden = false;
    bool symlink = false;
};

// BEP 47 'attr': a string of flags; libtorrent ignores one of another type, and so do we.
Attributes parse_attr(const Value& dict, const std::string& field, Parse& p) {
    Attributes a;
    const Value* attr = dict.find("attr");
    if (attr == nullptr) return a;
    const auto* s = attr->as_string();
    if (s == nullptr) {
        p.ignored(field + ".attr", "not a string");
        return a;
    }
    a.pad = s->find('p') != std::string_view::npos;
    a.executable = s->find('x') != std::string_view::npos;
    a.hidden = s->find('h') != std::string_view::npos;
    a.symlink = s->find('l') != std::string_view::npos;
    return a;
}

// libtorrent treats a file whose path holds this as padding, as BitComet writes it.
bool is_bitcomet_padding(std::string_view shown_path) {
    return shown_path.find("_____padding_file_") != std::string_view::npos;
}

Result<std::string, Error> parse_name(const Value& info, bool multi_file, const InfoHash& hash, Parse& p) {
    std::string field;
    const Value* v = find_preferring_utf8(info, "name", Value::Type::string, field);
    field = "info." + field;
    if (v == nullptr) return error(Errc::invalid_name, field + ": missing");
    const auto* raw = v->as_string();
    if (raw == nullptr) return error(Errc::invalid_name, field + ": not a string");
    if (raw->empty() && !multi_file) return error(Errc::invalid_name, field + ": empty");
    detail::PathChanges changes;
    std::string name = detail::sanitize_component(*raw, &changes);
    std::string reason = changes.describe();
    if (name.empty()) {
        if (!multi_file) {
            return error(Errc::invalid_name, field + ": nothing is left of '" + std::string(*raw) +
                                                 "' once '.', '..' and '/' are dropped");
        }
        name = hash.hex();  // libtorrent names such a torrent's folder after its info-hash
        reason += ": named after the info-hash";
    }
    // Not ".bitveil": earlier versions' records are read there (path_sanitizer.hpp, rule 7).
    if (detail::is_reserved_root_name(name)) {
        name = detail::rename_reserved_root(std::move(name));
        reason += std::string(reason.empty() ? "" : ", ") + "the name of bitveil's resume folder";
    }
    if (name != *raw) p.note(Note::Kind::renamed, field, std::string(*raw), name, std::move(reason));
    return name;
}

Result<std::int64_t, Error> parse_piece_length(const Value& info) {
    const Value* v = info.find("piece length");
    if (v == nullptr) return error(Errc::invalid_piece_length, "info.piece length: missing");
    const auto* pl = v->as_int();
    if (pl == nullptr) return error(Errc::invalid_piece_length, "info.piece length: not an integer");
    const std::string value = std::to_string(*pl);
    if (*pl <= 0 || (*pl & (*pl - 1)) != 0)
        return error(Errc::invalid_piece_length, "info.piece length: " + value + " is not a power of two");
    if (*pl < kMinPieceLength)
        return error(Errc::invalid_piece_length, "info.piece length: " + value + " is below 16 KiB");
    if (*pl > kMaxPieceLength)
        return error(Errc::invalid_piece_length, "info.piece length: " + value + " is above 1 GiB");
    return *pl;
}

Result<std::int64_t, Error> parse_length(const Value* v, const std::string& field) {
    if (v == nullptr) return error(Errc::invalid_length, field + ": missing");
    const auto* len = v->as_int();
    if (len == nullptr) return error(Errc::invalid_length, field + ": not an integer");
    if (*len < 0) return error(Errc::invalid_length, field + ": negative");
    return *len;
}

// BEP 47 'symlink path': sanitised like a path, but with nothing left there is no link (libtorrent then
// keeps the entry as an empty file). The target, or why there is none.
std::variant<std::vector<std::string>, std::string> parse_symlink_target(const Value& entry) {
    const Value* v = entry.find("symlink path");
    if (v == nullptr) return std::string("no 'symlink path'");
    const auto* list = v->as_list();
    if (list == nullptr) return std::string("'symlink path' is not a list");
    std::vector<std::string> target;
    for (std::size_t j = 0; j < list->size(); ++j) {
        const auto* s = (*list)[j].as_string();
        if (s == nullptr) return index_field("'symlink path'", j) + " is not a string";
        std::string clean = detail::sanitize_component(*s);
        if (!clean.empty()) target.push_back(std::move(clean));
    }
    if (target.empty()) return std::string("'symlink path' names nothing");
    return target;
}

Result<FileEntry, Error> parse_file(const Value& entry, const std::string& field, Parse& p, bool& pathless) {
    if (entry.as_dict() == nullptr) return error(Errc::invalid_field, field + ": not a dictionary");
    FileEntry file;
    const Attributes attr = parse_attr(entry, field, p);
    file.pad = attr.pad;
    file.executable = attr.executable;
    file.hidden = attr.hidden;
    std::string not_a_link;  // why an 'l' entry is no link
    if (attr.symlink) {
        // A link holds no data, whatever 'length' says (libtorrent: "an implied size of zero").
        auto target = parse_symlink_target(entry);
        if (auto* components = std::get_if<std::vector<std::string>>(&target)) {
            file.symlink = true;
            file.symlink_target = std::move(*components);
        } else {
            not_a_link = std::move(std::get<std::string>(target));
        }
    } else {
        auto length = parse_length(entry.find("length"), field + ".length");
        if (!length) return fail(std::move(length).error());
        file.length = *length;
    }

    std::string key;
    const Value* path = find_preferring_utf8(entry, "path", Value::Type::list, key);
    const std::string path_field = field + "." + key;
    const auto* list = path == nullptr ? nullptr : path->as_list();
    pathless = list == nullptr || list->empty();
    if (pathless) {
        // A pad file needs no name: libtorrent calls it ".pad/<length>".
        if (!file.pad) {
            if (path == nullptr) return error(Errc::invalid_path, path_field + ": missing");
            if (list == nullptr) return error(Errc::invalid_path, path_field + ": not a list");
            return error(Errc::invalid_path, path_field + ": empty list");
        }
        file.path = {".pad", std::to_string(file.length)};
        if (!not_a_link.empty())
            p.note(Note::Kind::not_a_symlink, field, p.shown(file.path_string()), {}, not_a_link);
        return file;
    }
    std::vector<std::string_view> raw;
    raw.reserve(list->size());
    for (std::size_t j = 0; j < list->size(); ++j) {
        const auto* s = (*list)[j].as_string();
        if (s == nullptr) return error(Errc::invalid_path, index_field(path_field, j) + ": not a string");
        raw.push_back(*s);
    }
    detail::PathChanges changes;
    file.path = detail::sanitize_path(raw, &changes);
    std::size_t bytes = p.m.name.size();
    for (const auto& c : file.path) bytes += 1 + c.size();
    if (bytes > detail::kMaxPathBytes)
        return error(Errc::invalid_path, path_field + ": longer than 4096 bytes");
    const std::string shown = p.shown(file.path_string());
    if (changes.any())
        p.note(Note::Kind::renamed, path_field, p.shown(joined(raw)), shown, changes.describe());
    if (!not_a_link.empty()) p.note(Note::Kind::not_a_symlink, field, shown, {}, not_a_link);
    if (!file.pad && is_bitcomet_padding(shown)) file.pad = true;
    return file;
}

Result<void, Error> parse_files(const Value& info, Metainfo& m, Parse& p) {
    const Value* files = info.find("files");
    if (files == nullptr) {
        // Single-file form: the file is called `name`.
        const Attributes attr = parse_attr(info, "info", p);
        std::int64_t length = 0;
        if (!attr.symlink) {  // a link holds no data: the torrent is then empty, and refused below
            auto len = parse_length(info.find("length"), "info.length");
            if (!len) {
                if (info.find("length") == nullptr)
                    return error(Errc::no_files, "info: neither 'files' nor 'length'");
                return fail(std::move(len).error());
            }
            length = *len;
        }
        FileEntry file;
        file.path = {m.name};
        file.length = length;
        file.executable = attr.executable;
        file.hidden = attr.hidden;
        file.pad = attr.pad || is_bitcomet_padding(m.name);
        m.files.push_back(std::move(file));
        m.total_size = length;
        return {};
    }
    const auto* list = files->as_list();
    if (list == nullptr) return error(Errc::invalid_field, "info.files: not a list");
    if (list->empty()) return error(Errc::no_files, "info.files: empty list");
    m.files.reserve(list->size());
    std::vector<bool> pathless(list->size(), false);
    std::int64_t total = 0;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string field = index_field("info.files", i);
        bool no_path = false;
        auto file = parse_file((*list)[i], field, p, no_path);
        if (!file) return fail(std::move(file).error());
        pathless[i] = no_path;
        if (file->length > std::numeric_limits<std::int64_t>::max() - total)
            return error(Errc::invalid_length, field + ".length: total size overflows 64 bits");
        file->offset = total;
        total += file->length;
        m.files.push_back(std::move(*file));
    }
    m.total_size = total;

    // As libtorrent: links are checked against the paths as sanitised, then clashing paths are renamed.
    for (auto& skipped : detail::check_symlinks(m.files)) {
        const auto& f = m.files[skipped.file];
        p.note(Note::Kind::symlink_skipped, index_field("info.files", skipped.file), p.shown(f.path_string()),
               p.shown(joined(skipped.target)), "its target is not a file or folder of the torrent");
    }
    for (const auto& r : detail::resolve_duplicate_paths(m.files, pathless)) {
        std::string reason = "a folder of the torrent has that path";
        if (r.same_as < m.files.size()) {
            // The other file keeps its path: it was never renamed, or renamed before this one came.
            reason = "the same path as " + index_field("info.files", r.same_as);
            if (joined(r.from) != m.files[r.same_as].path_string()) reason += ", but for letter case";
        }
        p.note(Note::Kind::duplicate, index_field("info.files", r.file) + ".path", p.shown(joined(r.from)),
               p.shown(m.files[r.file].path_string()), std::move(reason));
    }

    // resolve_duplicate_paths() leaves no clash; this is the check that none is left (pad files are never
    // on disk, so they may share a path).
    std::vector<const std::vector<std::string>*> paths;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < m.files.size(); ++i) {
        if (m.files[i].pad) continue;
        paths.push_back(&m.files[i].path);
        index.push_back(i);
    }
    if (auto clash = detail::find_path_conflict(paths)) {
        return error(Errc::invalid_path, index_field("info.files", index[clash->second]) +
                                             ".path: clashes with " +
                                             index_field("info.files", index[clash->first]));
    }
    return {};
}

Result<Metainfo, Error> load_info(const Value& info) {
    if (info.as_dict() == nullptr) return error(Errc::missing_info, "info: not a dictionary");
    Metainfo m;
    Parse p{m};
    m.info_bytes = std::string(info.raw());
    m.info_hash.bytes = crypto::sha1(info.raw());

    const Value* pieces = info.find("pieces");
    const Value* meta_version = info.find("meta version");
    const bool v2 =
        meta_version != nullptr && meta_version->as_int() != nullptr && *meta_version->as_int() == 2;
    if (v2 && pieces == nullptr) {
        return error(Errc::v2_only,
                     "v2-only torrent (BEP 52) is not supported; a hybrid v1+v2 torrent would load");
    }
    m.hybrid = v2;
    m.multi_file = info.find("files") != nullptr;

    auto name = parse_name(info, m.multi_file, m.info_hash, p);
    if (!name) return fail(std::move(name).error());
    m.name = std::move(*name);

    auto piece_length = parse_piece_length(info);
    if (!piece_length) return fail(std::move(piece_length).error());
    m.piece_length = *piece_length;

    if (auto files = parse_files(info, m, p); !files) return fail(files.error());
    if (m.total_size == 0) return error(Errc::invalid_length, "info: total size is zero");

    if (pieces == nullptr) return error(Errc::invalid_pieces, "info.pieces: missing");
    const auto* hashes = pieces->as_string();
    if (hashes == nullptr) return error(Errc::invalid_pieces, "info.pieces: not a string");
    if (hashes->size() % kHashSize != 0) {
        return error(Errc::invalid_pieces,
                     "info.pieces: " + std::to_string(hashes->size()) + " bytes is not a multiple of 20");
    }
    const std::int64_t expected =
        m.total_size / m.piece_length + (m.total_size % m.piece_length != 0 ? 1 : 0);
    const auto count = static_cast<std::int64_t>(hashes->size() / kHashSize);
    if (count != expected) {
        return error(Errc::invalid_pieces, "info.pieces: " + std::to_string(count) + " hashes for " +
                                               std::to_string(expected) + " pieces");
    }
    m.piece_hashes.resize(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < m.piece_hashes.size(); ++i) {
        const auto* hash = reinterpret_cast<const std::uint8_t*>(hashes->data()) + i * kHashSize;
        std::copy(hash, hash + kHashSize, m.piece_hashes[i].begin());
    }

    // BEP 27 says 1; libtorrent (and so we) take any other integer but 0 as private too.
    if (const Value* priv = info.find("private")) {
        if (priv->as_int() == nullptr) {
            p.ignored("info.private", "not an integer (the torrent is not private)");
        } else {
            m.is_private = *priv->as_int() != 0;
        }
    }
    return m;
}

// An optional string field: absent or of another type (ignored, with a note) gives "".
std::string_view optional_string(const Value& root, std::string_view key, Parse& p) {
    const Value* v = root.find(key);
    if (v == nullptr) return {};
    const auto* s = v->as_string();
    if (s == nullptr) {
        p.ignored(std::string(key), "not a string");
        return {};
    }
    return *s;
}

// `key.utf-8` when it is a non-empty string, else `key` (libtorrent reads comment and created by so).
std::string_view optional_text(const Value& root, std::string_view key, Parse& p) {
    const std::string utf8 = std::string(key) + ".utf-8";
    if (const Value* v = root.find(utf8)) {
        if (v->as_string() == nullptr) {
            p.ignored(utf8, "not a string");
        } else if (!v->as_string()->empty()) {
            return *v->as_string();
        }
    }
    return optional_string(root, key, p);
}

// Tracker and web seed URLs as libtorrent takes them: leading spaces dropped.
std::string_view trim_url(std::string_view url) {
    while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
    return url;
}

// Appends `s` unless it is empty or already seen. The views point into the input, which outlives the
// parse; a hash set keeps a file with millions of URLs linear.
void add_unique(std::vector<std::string>& out, std::unordered_set<std::string_view>& seen,
                std::string_view s) {
    if (!s.empty() && seen.insert(s).second) out.emplace_back(s);
}

// A string or a list of strings (url-list is either; httpseeds should be a list). Anything else, and list
// entries that are not strings, are ignored.
std::vector<std::string> string_or_list(const Value& root, std::string_view key, Parse& p) {
    std::vector<std::string> out;
    std::unordered_set<std::string_view> seen;
    const Value* v = root.find(key);
    if (v == nullptr) return out;
    if (const auto* s = v->as_string()) {
        add_unique(out, seen, trim_url(*s));
        return out;
    }
    const auto* list = v->as_list();
    if (list == nullptr) {
        p.ignored(std::string(key), "not a string or list");
        return out;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto* s = (*list)[i].as_string();
        if (s == nullptr) {
            p.ignored(index_field(key, i), "not a string");
            continue;
        }
        add_unique(out, seen, trim_url(*s));
    }
    return out;
}

void parse_trackers(const Value& root, Metainfo& m, Parse& p) {
    const std::string_view announce = trim_url(optional_string(root, "announce", p));
    // Within one torrent a tracker URL appears once, in the first tier that names it.
    std::unordered_set<std::string_view> seen;
    if (const Value* v = root.find("announce-list")) {
        const auto* tiers = v->as_list();
        if (tiers == nullptr) p.ignored("announce-list", "not a list");
        for (std::size_t t = 0; tiers != nullptr && t < tiers->size(); ++t) {
            const auto* tier = (*tiers)[t].as_list();
            if (tier == nullptr) {
                p.ignored(index_field("announce-list", t), "not a list");
                continue;
            }
            std::vector<std::string> urls;
            for (std::size_t u = 0; u < tier->size(); ++u) {
                const auto* url = (*tier)[u].as_string();
                if (url == nullptr) {
                    p.ignored(index_field(index_field("announce-list", t), u), "not a string");
                    continue;
                }
                add_unique(urls, seen, trim_url(*url));
            }
            if (!urls.empty()) m.trackers.push_back(std::move(urls));
        }
    }
    if (m.trackers.empty() && !announce.empty()) m.trackers.push_back({std::string(announce)});
}

void parse_outer(const Value& root, Metainfo& m, Parse& p) {
    parse_trackers(root, m, p);
    m.url_list = string_or_list(root, "url-list", p);
    m.http_seeds = string_or_list(root, "httpseeds", p);
    if (const Value* date = root.find("creation date")) {
        if (date->as_int() == nullptr) {
            p.ignored("creation date", "not an integer");
        } else if (*date->as_int() < 0) {
            p.ignored("creation date", "negative");
        } else {
            m.creation_date = *date->as_int();
        }
    }
    m.comment = std::string(optional_text(root, "comment", p));
    m.created_by = std::string(optional_text(root, "created by", p));
}

bencode::Limits torrent_limits() {
    bencode::Limits limits;
    // Old torrents exist with unsorted keys; the info-hash is taken over the raw bytes, so it stays right.
    limits.allow_unsorted_keys = true;
    return limits;
}

const char* category_text(Errc code) {
    switch (code) {
        case Errc::malformed_bencode:
            return "malformed bencode";
        case Errc::not_a_dictionary:
            return "not a dictionary";
        case Errc::missing_info:
            return "missing info dictionary";
        case Errc::invalid_name:
            return "invalid name";
        case Errc::invalid_piece_length:
            return "invalid piece length";
        case Errc::invalid_pieces:
            return "invalid piece hashes";
        case Errc::invalid_length:
            return "invalid length";
        case Errc::no_files:
            return "no files";
        case Errc::invalid_path:
            return "invalid path";
        case Errc::invalid_field:
            return "invalid field";
        case Errc::v2_only:
            return "unsupported torrent";
        case Errc::invalid_magnet:
            return "invalid magnet link";
    }
    return "invalid torrent";
}

}  // namespace

std::string InfoHash::hex() const {
    return to_hex(bytes);
}

std::string Error::message() const {
    std::string out = category_text(code);
    if (!detail.empty()) out += ": " + detail;
    return out;
}

std::string FileEntry::path_string() const {
    std::string out;
    for (const auto& c : path) {
        if (!out.empty()) out += '/';
        out += c;
    }
    return out;
}

const char* note_kind_name(Note::Kind kind) noexcept {
    switch (kind) {
        case Note::Kind::renamed:
            return "renamed";
        case Note::Kind::duplicate:
            return "duplicate";
        case Note::Kind::symlink_skipped:
            return "symlink_skipped";
        case Note::Kind::not_a_symlink:
            return "not_a_symlink";
        case Note::Kind::field_ignored:
            return "field_ignored";
    }
    return "note";
}

std::string Note::text() const {
    switch (kind) {
        case Kind::renamed:
        case Kind::duplicate:
            return "renamed '" + from + "' to '" + to + "' (" + reason + ")";
        case Kind::symlink_skipped:
            return "skipped the link '" + from + "' to '" + to + "': " + reason;
        case Kind::not_a_symlink:
            return "'" + from + "' is marked as a link (" + reason + "): created as an empty file";
        case Kind::field_ignored:
            return "ignored " + field + ": " + reason;
    }
    return field + ": " + reason;
}

std::int64_t Metainfo::piece_size(std::uint32_t piece) const {
    if (piece >= num_pieces()) return 0;
    if (piece + 1 < num_pieces()) return piece_length;
    return total_size - piece_length * static_cast<std::int64_t>(piece);
}

Result<Metainfo, Error> parse_torrent(std::string_view bytes) {
    auto root = bencode::decode(bytes, torrent_limits());
    if (!root) return error(Errc::malformed_bencode, root.error().message());
    if (root->as_dict() == nullptr)
        return error(Errc::not_a_dictionary, "the file is not a bencoded dictionary");
    const Value* info = root->find("info");
    if (info == nullptr) return error(Errc::missing_info, "info: missing");
    auto m = load_info(*info);
    if (!m) return m;
    Parse p{*m};
    parse_outer(*root, *m, p);
    return m;
}

Result<Metainfo, Error> parse_info(std::string_view info_bytes) {
    auto root = bencode::decode(info_bytes, torrent_limits());
    if (!root) return error(Errc::malformed_bencode, root.error().message());
    if (root->as_dict() == nullptr) return error(Errc::not_a_dictionary, "info: not a dictionary");
    return load_info(*root);
}

}  // namespace bt::metainfo
