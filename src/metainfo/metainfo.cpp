#include "metainfo/metainfo.hpp"

#include <limits>
#include <span>
#include <unordered_set>
#include <utility>

#include "bencode/decode.hpp"
#include "bencode/value.hpp"
#include "core/hex.hpp"
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

struct Attributes {
    bool pad = false;
    bool executable = false;
    bool hidden = false;
};

Result<Attributes, Error> parse_attr(const Value& dict, const std::string& field) {
    Attributes a;
    const Value* attr = dict.find("attr");
    if (attr == nullptr) return a;
    const auto* s = attr->as_string();
    if (s == nullptr) return error(Errc::invalid_field, field + ".attr: not a string");
    a.pad = s->find('p') != std::string_view::npos;
    a.executable = s->find('x') != std::string_view::npos;
    a.hidden = s->find('h') != std::string_view::npos;
    return a;
}

Result<std::string, Error> parse_name(const Value& info) {
    std::string field;
    const Value* v = find_preferring_utf8(info, "name", Value::Type::string, field);
    field = "info." + field;
    if (v == nullptr) return error(Errc::invalid_name, field + ": missing");
    const auto* raw = v->as_string();
    if (raw == nullptr) return error(Errc::invalid_name, field + ": not a string");
    if (raw->empty()) return error(Errc::invalid_name, field + ": empty");
    if (*raw == ".") return error(Errc::invalid_name, field + ": '.' is not a name");
    auto clean = detail::sanitize_component(*raw);
    if (!clean) return error(Errc::invalid_name, field + ": " + detail::describe(clean.error()));
    return detail::rename_reserved_root(std::move(*clean));  // not ".bitveil": old records are read there
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

Result<FileEntry, Error> parse_file(const Value& entry, const std::string& field, std::size_t name_bytes) {
    if (entry.as_dict() == nullptr) return error(Errc::invalid_field, field + ": not a dictionary");
    FileEntry file;
    auto length = parse_length(entry.find("length"), field + ".length");
    if (!length) return fail(std::move(length).error());
    file.length = *length;

    std::string key;
    const Value* path = find_preferring_utf8(entry, "path", Value::Type::list, key);
    const std::string path_field = field + "." + key;
    if (path == nullptr) return error(Errc::invalid_path, path_field + ": missing");
    const auto* list = path->as_list();
    if (list == nullptr) return error(Errc::invalid_path, path_field + ": not a list");
    if (list->empty()) return error(Errc::invalid_path, path_field + ": empty list");
    std::vector<std::string_view> raw;
    raw.reserve(list->size());
    for (std::size_t j = 0; j < list->size(); ++j) {
        const auto* s = (*list)[j].as_string();
        if (s == nullptr) return error(Errc::invalid_path, index_field(path_field, j) + ": not a string");
        raw.push_back(*s);
    }
    auto clean = detail::sanitize_path(raw);
    if (!clean) return error(Errc::invalid_path, path_field + ": " + detail::describe(clean.error()));
    file.path = std::move(*clean);

    std::size_t bytes = name_bytes;
    for (const auto& c : file.path) bytes += 1 + c.size();
    if (bytes > detail::kMaxPathBytes)
        return error(Errc::invalid_path, path_field + ": longer than 4096 bytes");

    auto attr = parse_attr(entry, field);
    if (!attr) return fail(std::move(attr).error());
    file.pad = attr->pad;
    file.executable = attr->executable;
    file.hidden = attr->hidden;
    return file;
}

Result<void, Error> parse_files(const Value& info, Metainfo& m) {
    const Value* files = info.find("files");
    if (files == nullptr) {
        // Single-file form: the file is called `name`.
        const Value* length = info.find("length");
        if (length == nullptr) return error(Errc::no_files, "info: neither 'files' nor 'length'");
        auto len = parse_length(length, "info.length");
        if (!len) return fail(std::move(len).error());
        auto attr = parse_attr(info, "info");
        if (!attr) return fail(std::move(attr).error());
        FileEntry file;
        file.path = {m.name};
        file.length = *len;
        file.executable = attr->executable;
        file.hidden = attr->hidden;
        m.files.push_back(std::move(file));
        m.total_size = *len;
        return {};
    }
    const auto* list = files->as_list();
    if (list == nullptr) return error(Errc::invalid_field, "info.files: not a list");
    if (list->empty()) return error(Errc::no_files, "info.files: empty list");
    m.multi_file = true;
    m.files.reserve(list->size());
    std::int64_t total = 0;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string field = index_field("info.files", i);
        auto file = parse_file((*list)[i], field, m.name.size());
        if (!file) return fail(std::move(file).error());
        if (file->length > std::numeric_limits<std::int64_t>::max() - total)
            return error(Errc::invalid_length, field + ".length: total size overflows 64 bits");
        file->offset = total;
        total += file->length;
        m.files.push_back(std::move(*file));
    }
    m.total_size = total;

    std::vector<const std::vector<std::string>*> paths;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < m.files.size(); ++i) {
        if (m.files[i].pad) continue;  // never written, so they cannot clash
        paths.push_back(&m.files[i].path);
        index.push_back(i);
    }
    if (auto clash = detail::find_path_conflict(paths)) {
        const std::size_t a = index[clash->first];
        const std::size_t b = index[clash->second];
        const std::string fa = index_field("info.files", a);
        const std::string fb = index_field("info.files", b);
        if (m.files[a].path.size() == m.files[b].path.size()) {
            return error(Errc::invalid_path,
                         fb + ".path: same path as " + fa + " ('" + m.files[b].path_string() + "')");
        }
        return error(Errc::invalid_path, fb + ".path: lies inside " + fa + ", which is a file ('" +
                                             m.files[a].path_string() + "')");
    }
    return {};
}

Result<Metainfo, Error> load_info(const Value& info) {
    if (info.as_dict() == nullptr) return error(Errc::missing_info, "info: not a dictionary");
    Metainfo m;
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

    auto name = parse_name(info);
    if (!name) return fail(std::move(name).error());
    m.name = std::move(*name);

    auto piece_length = parse_piece_length(info);
    if (!piece_length) return fail(std::move(piece_length).error());
    m.piece_length = *piece_length;

    if (auto files = parse_files(info, m); !files) return fail(files.error());
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
        const auto* p = reinterpret_cast<const std::uint8_t*>(hashes->data()) + i * kHashSize;
        std::copy(p, p + kHashSize, m.piece_hashes[i].begin());
    }

    const Value* priv = info.find("private");
    m.is_private = priv != nullptr && priv->as_int() != nullptr && *priv->as_int() == 1;
    return m;
}

Result<std::string_view, Error> optional_string(const Value& root, std::string_view key) {
    const Value* v = root.find(key);
    if (v == nullptr) return std::string_view();
    const auto* s = v->as_string();
    if (s == nullptr) return error(Errc::invalid_field, std::string(key) + ": not a string");
    return *s;
}

// Appends `s` unless it is empty or already seen. The views point into the input, which outlives the
// parse; a hash set keeps a file with millions of URLs linear.
void add_unique(std::vector<std::string>& out, std::unordered_set<std::string_view>& seen,
                std::string_view s) {
    if (!s.empty() && seen.insert(s).second) out.emplace_back(s);
}

// A string or a list of strings (url-list is either; httpseeds should be a list).
Result<std::vector<std::string>, Error> string_or_list(const Value& root, std::string_view key) {
    std::vector<std::string> out;
    std::unordered_set<std::string_view> seen;
    const Value* v = root.find(key);
    if (v == nullptr) return out;
    if (const auto* s = v->as_string()) {
        add_unique(out, seen, *s);
        return out;
    }
    const auto* list = v->as_list();
    if (list == nullptr) return error(Errc::invalid_field, std::string(key) + ": not a string or list");
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto* s = (*list)[i].as_string();
        if (s == nullptr) return error(Errc::invalid_field, index_field(key, i) + ": not a string");
        add_unique(out, seen, *s);
    }
    return out;
}

Result<void, Error> parse_trackers(const Value& root, Metainfo& m) {
    auto announce = optional_string(root, "announce");
    if (!announce) return fail(std::move(announce).error());
    // Within one torrent a tracker URL appears once, in the first tier that names it.
    std::unordered_set<std::string_view> seen;
    if (const Value* v = root.find("announce-list")) {
        const auto* tiers = v->as_list();
        if (tiers == nullptr) return error(Errc::invalid_field, "announce-list: not a list");
        for (std::size_t t = 0; t < tiers->size(); ++t) {
            const auto* tier = (*tiers)[t].as_list();
            if (tier == nullptr)
                return error(Errc::invalid_field, index_field("announce-list", t) + ": not a list");
            std::vector<std::string> urls;
            for (std::size_t u = 0; u < tier->size(); ++u) {
                const auto* url = (*tier)[u].as_string();
                if (url == nullptr) {
                    return error(Errc::invalid_field,
                                 index_field(index_field("announce-list", t), u) + ": not a string");
                }
                add_unique(urls, seen, *url);
            }
            if (!urls.empty()) m.trackers.push_back(std::move(urls));
        }
    }
    if (m.trackers.empty() && !announce->empty()) m.trackers.push_back({std::string(*announce)});
    return {};
}

Result<void, Error> parse_outer(const Value& root, Metainfo& m) {
    if (auto trackers = parse_trackers(root, m); !trackers) return fail(trackers.error());

    auto url_list = string_or_list(root, "url-list");
    if (!url_list) return fail(std::move(url_list).error());
    m.url_list = std::move(*url_list);
    auto http_seeds = string_or_list(root, "httpseeds");
    if (!http_seeds) return fail(std::move(http_seeds).error());
    m.http_seeds = std::move(*http_seeds);

    if (const Value* date = root.find("creation date")) {
        if (date->as_int() == nullptr) return error(Errc::invalid_field, "creation date: not an integer");
        m.creation_date = *date->as_int();
    }
    std::string key;
    if (find_preferring_utf8(root, "comment", Value::Type::string, key) != nullptr) {
        auto comment = optional_string(root, key);
        if (!comment) return fail(std::move(comment).error());
        m.comment = std::string(*comment);
    }
    auto created_by = optional_string(root, "created by");
    if (!created_by) return fail(std::move(created_by).error());
    m.created_by = std::string(*created_by);
    return {};
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
    if (auto outer = parse_outer(*root, *m); !outer) return fail(outer.error());
    return m;
}

Result<Metainfo, Error> parse_info(std::string_view info_bytes) {
    auto root = bencode::decode(info_bytes, torrent_limits());
    if (!root) return error(Errc::malformed_bencode, root.error().message());
    if (root->as_dict() == nullptr) return error(Errc::not_a_dictionary, "info: not a dictionary");
    return load_info(*root);
}

}  // namespace bt::metainfo
