#include "storage/resume_data.hpp"

#include <algorithm>

#include "bencode/decode.hpp"
#include "bencode/encode.hpp"

namespace bt::storage {
namespace {

using bencode::Value;

ResumeError error(ResumeErrc code, std::string detail) {
    return ResumeError{code, std::move(detail)};
}

const Value* find_typed(const Value& dict, std::string_view key, Value::Type type, ResumeError& err) {
    const Value* v = dict.find(key);
    if (v == nullptr) {
        err = error(ResumeErrc::missing_field, std::string(key));
    } else if (v->type() != type) {
        err = error(ResumeErrc::invalid_field, std::string(key) + ": not a " + bencode::type_name(type));
        return nullptr;
    }
    return v;
}

Result<FileStamp, ResumeError> decode_stamp(const Value& v, std::size_t index) {
    const auto where = "files[" + std::to_string(index) + "]";
    const auto* dict = v.as_dict();
    if (dict == nullptr) return fail(error(ResumeErrc::invalid_field, where + ": not a dict"));
    FileStamp stamp;
    if (dict->empty()) return stamp;  // the file did not exist
    const auto* size = v.find("size");
    const auto* mtime = v.find("mtime");
    if (size == nullptr || mtime == nullptr || dict->size() != 2)
        return fail(error(ResumeErrc::invalid_field, where + ": expected exactly 'size' and 'mtime'"));
    if (size->as_int() == nullptr || *size->as_int() < 0)
        return fail(error(ResumeErrc::invalid_field, where + ".size: not a non-negative integer"));
    if (mtime->as_int() == nullptr)
        return fail(error(ResumeErrc::invalid_field, where + ".mtime: not an integer"));
    stamp.exists = true;
    stamp.size = *size->as_int();
    stamp.mtime_ns = *mtime->as_int();
    return stamp;
}

}  // namespace

std::string ResumeError::message() const {
    const char* what = "malformed bencode";
    switch (code) {
        case ResumeErrc::malformed_bencode:
            what = "malformed bencode";
            break;
        case ResumeErrc::not_a_dictionary:
            what = "not a dictionary";
            break;
        case ResumeErrc::wrong_format:
            what = "not a bitveil resume file";
            break;
        case ResumeErrc::unsupported_version:
            what = "unsupported version";
            break;
        case ResumeErrc::missing_field:
            what = "missing field";
            break;
        case ResumeErrc::invalid_field:
            what = "invalid field";
            break;
        case ResumeErrc::too_large:
            what = "too large";
            break;
    }
    std::string out = what;
    if (!detail.empty()) out += ": " + detail;
    return out;
}

std::string encode_resume(const ResumeData& data) {
    Value::List files;
    files.reserve(data.files.size());
    for (const auto& f : data.files) {
        Value::Dict d;
        if (f.exists) {
            d.emplace_back("mtime", Value(f.mtime_ns));
            d.emplace_back("size", Value(f.size));
        }
        files.emplace_back(std::move(d));
    }
    const auto bits = data.verified.bytes();
    const std::string_view bit_bytes(reinterpret_cast<const char*>(bits.data()), bits.size());
    const std::string_view hash(reinterpret_cast<const char*>(data.info_hash.data()), data.info_hash.size());
    Value::Dict top;
    top.emplace_back("file-format", Value(kResumeFormat));
    top.emplace_back("file-version", Value(kResumeVersion));
    top.emplace_back("files", Value(std::move(files)));
    top.emplace_back("info-hash", Value(hash));
    top.emplace_back("num-pieces", Value(static_cast<std::int64_t>(data.verified.size())));
    top.emplace_back("pieces", Value(bit_bytes));
    if (!data.unflushed_boot.empty()) top.emplace_back("unflushed-boot", Value(data.unflushed_boot));
    return bencode::encode(Value(std::move(top)));
}

Result<ResumeData, ResumeError> decode_resume(std::string_view bytes, const ResumeLimits& limits) {
    bencode::Limits blimits;
    blimits.max_depth = 4;  // dict > list > dict > int
    // Each file entry is at most 3 values (its dict and two integers), plus a handful at the top.
    blimits.max_values = std::min<std::size_t>(limits.max_files, std::size_t{1} << 28) * 3 + 16;
    auto decoded = bencode::decode(bytes, blimits);
    if (!decoded) {
        if (decoded.error().code == bencode::Errc::too_many_values)
            return fail(error(ResumeErrc::too_large, decoded.error().message()));
        return fail(error(ResumeErrc::malformed_bencode, decoded.error().message()));
    }
    const Value& top = *decoded;
    if (top.as_dict() == nullptr) return fail(error(ResumeErrc::not_a_dictionary, {}));

    ResumeError err;
    const auto* format = find_typed(top, "file-format", Value::Type::string, err);
    if (format == nullptr) return fail(std::move(err));
    if (*format->as_string() != kResumeFormat) return fail(error(ResumeErrc::wrong_format, {}));
    const auto* version = find_typed(top, "file-version", Value::Type::integer, err);
    if (version == nullptr) return fail(std::move(err));
    if (*version->as_int() != kResumeVersion)
        return fail(error(ResumeErrc::unsupported_version, std::to_string(*version->as_int())));

    ResumeData data;
    const auto* hash = find_typed(top, "info-hash", Value::Type::string, err);
    if (hash == nullptr) return fail(std::move(err));
    if (hash->as_string()->size() != data.info_hash.size())
        return fail(error(ResumeErrc::invalid_field, "info-hash: not 20 bytes"));
    std::copy(hash->as_string()->begin(), hash->as_string()->end(), data.info_hash.begin());

    const auto* num_pieces = find_typed(top, "num-pieces", Value::Type::integer, err);
    if (num_pieces == nullptr) return fail(std::move(err));
    const std::int64_t n = *num_pieces->as_int();
    if (n < 0) return fail(error(ResumeErrc::invalid_field, "num-pieces: negative"));
    if (n > static_cast<std::int64_t>(limits.max_pieces))
        return fail(error(ResumeErrc::too_large, "num-pieces: " + std::to_string(n)));
    const auto* pieces = find_typed(top, "pieces", Value::Type::string, err);
    if (pieces == nullptr) return fail(std::move(err));
    const auto* p = reinterpret_cast<const std::uint8_t*>(pieces->as_string()->data());
    // from_bytes checks the length before it allocates, so a huge num-pieces costs nothing.
    auto verified =
        Bitfield::from_bytes(std::span(p, pieces->as_string()->size()), static_cast<std::uint32_t>(n));
    if (!verified) {
        return fail(error(ResumeErrc::invalid_field,
                          "pieces: " + std::to_string(pieces->as_string()->size()) + " bytes for " +
                              std::to_string(n) + " pieces (or spare bits set)"));
    }
    data.verified = std::move(*verified);

    const auto* files = find_typed(top, "files", Value::Type::list, err);
    if (files == nullptr) return fail(std::move(err));
    const auto& list = *files->as_list();
    if (list.size() > limits.max_files)
        return fail(error(ResumeErrc::too_large, "files: " + std::to_string(list.size())));
    data.files.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto stamp = decode_stamp(list[i], i);
        if (!stamp) return fail(std::move(stamp).error());
        data.files.push_back(*stamp);
    }
    if (const auto* boot = top.find("unflushed-boot")) {
        const auto* id = boot->as_string();
        if (id == nullptr || id->empty() || id->size() > kMaxBootIdLength)
            return fail(error(ResumeErrc::invalid_field, "unflushed-boot: not a boot id"));
        data.unflushed_boot = *id;
    }
    return data;
}

const char* resume_use_name(ResumeUse use) noexcept {
    switch (use) {
        case ResumeUse::absent:
            return "absent";
        case ResumeUse::used:
            return "used";
        case ResumeUse::other_torrent:
            return "recorded for another torrent";
        case ResumeUse::other_layout:
            return "recorded for another piece or file count";
        case ResumeUse::other_boot:
            return "saved before the machine restarted, data not flushed";
    }
    return "?";
}

ResumePlan plan_resume(const ResumeData* resume, const ResumeTarget& target,
                       std::span<const FileStamp> on_disk, std::string_view boot) {
    ResumePlan plan;
    plan.trusted = Bitfield(target.num_pieces);
    plan.recheck = Bitfield(target.num_pieces);
    const auto& files = target.files;
    if (resume != nullptr) {
        if (resume->info_hash != target.info_hash) {
            plan.use = ResumeUse::other_torrent;
        } else if (resume->verified.size() != target.num_pieces || resume->files.size() != files.size()) {
            plan.use = ResumeUse::other_layout;
        } else if (!resume->unflushed_boot.empty() && resume->unflushed_boot != boot) {
            plan.use = ResumeUse::other_boot;
        } else {
            plan.use = ResumeUse::used;
        }
    }
    const bool usable = plan.use == ResumeUse::used;

    // Per file: absent now, unchanged since the record, or changed (or no usable record).
    enum class State : std::uint8_t { absent, matches, changed };
    std::vector<State> state(files.size(), State::absent);
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& f = files[i];
        const FileStamp now = i < on_disk.size() ? on_disk[i] : FileStamp{};
        if (f.pad) {
            state[i] = State::matches;  // zeros, never on disk
        } else if (f.length <= 0) {
            state[i] = State::matches;  // holds no byte of any piece
        } else if (!now.exists) {
            state[i] = State::absent;
        } else if (usable && resume->files[i].exists && resume->files[i] == now) {
            state[i] = State::matches;
        } else {
            state[i] = State::changed;
            plan.changed_files.push_back(FileIndex{static_cast<std::uint32_t>(i)});
        }
    }

    if (target.piece_length <= 0) return plan;
    std::int64_t total = 0;
    for (const auto& f : files) total = std::max(total, f.offset + std::max<std::int64_t>(f.length, 0));
    std::size_t first = 0;  // first file that may hold bytes of the current piece
    for (std::uint32_t p = 0; p < target.num_pieces; ++p) {
        const std::int64_t begin = static_cast<std::int64_t>(p) * target.piece_length;
        if (begin >= total) break;  // inconsistent target: nothing more to decide
        const std::int64_t end = std::min(begin + target.piece_length, total);
        while (first < files.size() && files[first].offset + files[first].length <= begin) ++first;
        bool any_absent = false;
        bool any_changed = false;
        bool recorded_long_enough = true;
        for (std::size_t i = first; i < files.size() && files[i].offset < end; ++i) {
            const auto& f = files[i];
            if (f.length <= 0 || f.pad) continue;
            any_absent = any_absent || state[i] == State::absent;
            any_changed = any_changed || state[i] == State::changed;
            if (usable) {
                const std::int64_t needed = std::min(end, f.offset + f.length) - f.offset;
                recorded_long_enough = recorded_long_enough && resume->files[i].size >= needed;
            }
        }
        const PieceIndex piece{p};
        if (any_absent) continue;
        if (any_changed || !usable) {
            plan.recheck.set(piece);
        } else if (resume->verified.test(piece)) {
            // A record claiming a piece its files were too short to hold is inconsistent: hash it.
            if (recorded_long_enough) {
                plan.trusted.set(piece);
            } else {
                plan.recheck.set(piece);
            }
        }
    }
    return plan;
}

}  // namespace bt::storage
