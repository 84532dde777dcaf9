#include "daemon/state_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

// Written and read a record at a time, without a JSON document in memory: at ten thousand torrents a
// document of the whole file is some 25 MB of small allocations, at every start and every save.
namespace bt::daemon {

namespace {

using nlohmann::json;

template <class Owner>
using Member = std::variant<std::int64_t Owner::*, int Owner::*, bool Owner::*, double Owner::*,
                            std::string Owner::*, std::vector<int> Owner::*>;

template <class Owner>
struct Field {
    const char* key;
    Member<Owner> member;
};

const std::array<Field<TorrentRecord>, 25> kRecordFields{{
    {"id", &TorrentRecord::id},
    {"hash", &TorrentRecord::hash},
    {"magnet", &TorrentRecord::magnet},
    {"downloadDir", &TorrentRecord::download_dir},
    {"paused", &TorrentRecord::paused},
    {"addedDate", &TorrentRecord::added_date},
    {"doneDate", &TorrentRecord::done_date},
    {"filePriorities", &TorrentRecord::file_priorities},
    {"downloadLimit", &TorrentRecord::download_limit},
    {"downloadLimited", &TorrentRecord::download_limited},
    {"uploadLimit", &TorrentRecord::upload_limit},
    {"uploadLimited", &TorrentRecord::upload_limited},
    {"bandwidthPriority", &TorrentRecord::bandwidth_priority},
    {"seedRatioMode", &TorrentRecord::seed_ratio_mode},
    {"seedRatioLimit", &TorrentRecord::seed_ratio_limit},
    {"seedIdleMode", &TorrentRecord::seed_idle_mode},
    {"seedIdleLimit", &TorrentRecord::seed_idle_limit},
    {"peerLimit", &TorrentRecord::peer_limit},
    {"sequential", &TorrentRecord::sequential},
    {"downloadedBefore", &TorrentRecord::downloaded_before},
    {"uploadedBefore", &TorrentRecord::uploaded_before},
    {"corruptBefore", &TorrentRecord::corrupt_before},
    {"haveValid", &TorrentRecord::have_valid},
    {"sizeWhenDone", &TorrentRecord::size_when_done},
    {"leftUntilDone", &TorrentRecord::left_until_done},
}};

const std::array<Field<rpc::TransferTotals>, 5> kTotalsFields{{
    {"uploadedBytes", &rpc::TransferTotals::uploaded_bytes},
    {"downloadedBytes", &rpc::TransferTotals::downloaded_bytes},
    {"filesAdded", &rpc::TransferTotals::files_added},
    {"sessionCount", &rpc::TransferTotals::session_count},
    {"secondsActive", &rpc::TransferTotals::seconds_active},
}};

// Paths come from users and torrents: bytes that are not UTF-8 are replaced rather than failing the save.
void append_string(std::string& out, const std::string& value) {
    out += json(value).dump(-1, ' ', false, json::error_handler_t::replace);
}

template <class Owner, std::size_t N>
void append_object(std::string& out, const Owner& owner, const std::array<Field<Owner>, N>& fields) {
    out += '{';
    bool first = true;
    for (const auto& field : fields) {
        out += first ? "\"" : ", \"";
        first = false;
        out += field.key;
        out += "\": ";
        std::visit(
            [&](auto member) {
                const auto& value = owner.*member;
                using T = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<T, std::string>) {
                    append_string(out, value);
                } else if constexpr (std::is_same_v<T, std::vector<int>>) {
                    out += fmt::format("[{}]", fmt::join(value, ","));
                } else if constexpr (std::is_same_v<T, bool>) {
                    out += value ? "true" : "false";
                } else if constexpr (std::is_same_v<T, double>) {
                    out += std::isfinite(value) ? fmt::format("{}", value) : "null";  // null: the default
                } else {
                    out += fmt::format("{}", value);
                }
            },
            field.member);
    }
    out += '}';
}

// nlohmann's SAX interface: the records are filled as the parser goes. Unknown keys are skipped with
// whatever they hold; a known key holding a value of another type fails the whole file.
class StateReader {
  public:
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    Result<DaemonState, std::string> take(bool parsed) {
        if (!error_.empty()) return fail(error_);
        if (!parsed || !saw_top_) return fail(std::string("not a JSON object"));
        // Past every id given, wherever "nextId" stood in the file.
        state_.next_id = std::max(state_.next_id, max_id_ + 1);
        return std::move(state_);
    }

    bool null() { return skip_value(); }
    bool boolean(bool value) {
        return scalar([&](auto& out) -> bool {
            using T = std::decay_t<decltype(out)>;
            if constexpr (std::is_same_v<T, bool>) {
                out = value;
                return true;
            }
            return false;
        });
    }
    bool number_integer(number_integer_t value) { return number(value, static_cast<double>(value)); }
    bool number_unsigned(number_unsigned_t value) {
        const auto whole = std::in_range<std::int64_t>(value)
                               ? std::optional(static_cast<std::int64_t>(value))
                               : std::nullopt;
        return number(whole, static_cast<double>(value));
    }
    bool number_float(number_float_t value, const string_t&) {  // truncated for an integer field
        const bool fits = std::isfinite(value) && value >= -0x1p63 && value < 0x1p63;
        return number(fits ? std::optional(static_cast<std::int64_t>(value)) : std::nullopt, value);
    }
    bool string(string_t& value) {
        return scalar([&](auto& out) -> bool {
            using T = std::decay_t<decltype(out)>;
            if constexpr (std::is_same_v<T, std::string>) {
                out = std::move(value);
                return true;
            }
            return false;
        });
    }
    bool binary(binary_t&) { return wrong_type(); }

    bool start_object(std::size_t) {
        if (stack_.empty()) {
            saw_top_ = true;
            return push(Context::top);
        }
        if (top() == Context::top && key_ == "cumulative") {
            state_.cumulative = rpc::TransferTotals{};  // what is missing takes the defaults
            return push(Context::totals);
        }
        if (top() == Context::top && key_ == "torrents") return not_a_list();
        if (top() == Context::torrents) {
            record_ = TorrentRecord{};
            return push(Context::record);
        }
        return nested_value();
    }
    bool key(string_t& key) {
        key_ = std::move(key);
        return true;
    }
    bool end_object() {
        const auto ended = top();
        stack_.pop_back();
        if (ended != Context::record) return true;
        ++records_seen_;
        if (record_.id <= 0 || record_.hash.size() != 40) return failed_record();
        max_id_ = std::max(max_id_, record_.id);
        state_.torrents.push_back(std::move(record_));
        return true;
    }
    bool start_array(std::size_t) {
        if (stack_.empty()) return fail_with("not a JSON object");
        if (top() == Context::top && key_ == "torrents") return push(Context::torrents);
        if (top() == Context::record && key_ == "filePriorities") {
            record_.file_priorities.clear();
            return push(Context::priorities);
        }
        if (top() == Context::torrents) return bad_record();
        return nested_value();
    }
    bool end_array() {
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
        return fail_with("not a JSON object");
    }

  private:
    enum class Context : std::uint8_t { top, totals, torrents, record, priorities, skip };

    Context top() const { return stack_.back(); }
    bool push(Context context) {
        stack_.push_back(context);
        return true;
    }
    bool fail_with(std::string message) {
        if (error_.empty()) error_ = std::move(message);
        return false;
    }
    bool wrong_type() { return fail_with("a value of the wrong type for \"" + key_ + "\""); }
    bool failed_record() { return fail_with("torrent " + std::to_string(records_seen_) + ": no id or hash"); }
    bool bad_record() {  // something other than an object in the torrent list
        ++records_seen_;
        return failed_record();
    }
    // An object or list where no context above takes it: skipped under an unknown key, wrong under a known
    // one.
    bool nested_value() {
        if (top() == Context::priorities || known_field()) return wrong_type();
        return push(Context::skip);
    }
    bool not_a_list() { return fail_with("\"torrents\" is not a list"); }

    // The member `key_` names where a value goes now, if any.
    template <class Visit>
    bool with_member(Visit&& visit) {
        if (stack_.empty()) return false;
        if (top() == Context::record) return visit_field(record_, kRecordFields, visit);
        if (top() == Context::totals) return visit_field(state_.cumulative, kTotalsFields, visit);
        if (top() == Context::top && key_ == "nextId") {
            visit(state_.next_id);
            return true;
        }
        return false;
    }
    template <class Owner, std::size_t N, class Visit>
    bool visit_field(Owner& owner, const std::array<Field<Owner>, N>& fields, Visit&& visit) {
        for (const auto& field : fields) {
            if (key_ != field.key) continue;
            std::visit([&](auto member) { visit(owner.*member); }, field.member);
            return true;
        }
        return false;
    }
    bool known_field() {
        return with_member([](auto&) {});
    }

    // A scalar: into its field (`assign` says whether the type fits), or skipped where nothing names it.
    template <class Assign>
    bool scalar(Assign&& assign) {
        if (stack_.empty()) return fail_with("not a JSON object");
        if (top() == Context::skip) return true;
        if (top() == Context::top && key_ == "torrents") return not_a_list();
        if (top() == Context::torrents) return bad_record();
        if (top() == Context::priorities) {
            int value = 0;
            return assign(value) ? (record_.file_priorities.push_back(value), true) : wrong_type();
        }
        bool fits = true;
        const bool known = with_member([&](auto& out) { fits = assign(out); });
        return !known || fits ? true : wrong_type();
    }
    // `whole`: the value as an integer field takes it (none when out of its range); `exact`: as a floating
    // one.
    bool number(std::optional<std::int64_t> whole, double exact) {
        return scalar([&](auto& out) -> bool {
            using T = std::decay_t<decltype(out)>;
            if constexpr (std::is_floating_point_v<T>) {
                out = exact;
                return true;
            } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                if (!whole || !std::in_range<T>(*whole)) return false;
                out = static_cast<T>(*whole);
                return true;
            }
            return false;
        });
    }
    // null where a value of a known field goes: the default stays.
    bool skip_value() {
        if (stack_.empty()) return fail_with("not a JSON object");
        if (top() == Context::torrents) return bad_record();
        if (top() == Context::priorities)
            return wrong_type();  // a gap would shift every later file's priority
        if (top() == Context::top && key_ == "torrents") return not_a_list();
        return true;
    }

    DaemonState state_;
    TorrentRecord record_;
    std::vector<Context> stack_;
    std::string key_;
    std::string error_;
    std::size_t records_seen_ = 0;
    rpc::TorrentId max_id_ = 0;
    bool saw_top_ = false;
};

}  // namespace

void encode_state(const DaemonState& state, const std::function<void(std::string_view)>& write) {
    constexpr std::size_t kPart = 64 * 1024;
    std::string out = fmt::format("{{\"nextId\": {},\n \"cumulative\": ", state.next_id);
    append_object(out, state.cumulative, kTotalsFields);
    out += ",\n \"torrents\": [";
    bool first = true;
    for (const auto& record : state.torrents) {
        out += first ? "\n  " : ",\n  ";
        first = false;
        append_object(out, record, kRecordFields);
        if (out.size() >= kPart) {
            write(out);
            out.clear();
        }
    }
    out += "\n ]}\n";
    write(out);
}

std::string encode_state(const DaemonState& state) {
    std::string text;
    encode_state(state, [&](std::string_view part) { text += part; });
    return text;
}

Result<DaemonState, std::string> decode_state(std::string_view text) {
    StateReader reader;
    const bool parsed = json::sax_parse(text, &reader);
    return reader.take(parsed);
}

}  // namespace bt::daemon
