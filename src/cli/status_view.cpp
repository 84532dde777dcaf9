#include "cli/status_view.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "cli/text.hpp"

namespace bt::cli {

namespace {

using session::TorrentState;

constexpr std::string_view kEllipsis = "\u2026";  // "…": one column
constexpr std::size_t kMinNameColumns = 16;       // a live line's name is shortened to this, not less
constexpr std::size_t kMinSummaryName = 12;       // the name in the line at exit

// The code point of the well-formed UTF-8 sequence of `len` bytes at text[pos].
char32_t decode(std::string_view text, std::size_t pos, std::size_t len) {
    const auto byte = [&](std::size_t i) {
        return static_cast<char32_t>(static_cast<unsigned char>(text[i]));
    };
    if (len == 1) return byte(pos);
    char32_t cp = byte(pos) & (0x7Fu >> len);
    for (std::size_t i = 1; i < len; ++i) cp = (cp << 6) | (byte(pos + i) & 0x3Fu);
    return cp;
}

// East Asian Wide and Fullwidth, and blocks where most characters are (emoji, symbols): two columns. A
// range here may hold some narrow characters; counting them two only makes a line shorter.
bool is_wide(char32_t c) {
    struct Range {
        char32_t first, last;
    };
    static constexpr Range kWide[] = {
        {0x1100, 0x115F},   {0x231A, 0x231B}, {0x2329, 0x232A},   {0x23E9, 0x23FA},   {0x25FD, 0x25FE},
        {0x2600, 0x27BF},   {0x2B1B, 0x2B1C}, {0x2B50, 0x2B55},   {0x2E80, 0x303E},   {0x3040, 0xA4CF},
        {0xA960, 0xA97F},   {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
        {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6}, {0x16FE0, 0x18CFF}, {0x1AFF0, 0x1B2FF}, {0x1F000, 0x1FAFF},
        {0x20000, 0x3FFFD},
    };
    return std::any_of(std::begin(kWide), std::end(kWide),
                       [c](const Range& r) { return c >= r.first && c <= r.last; });
}

// Calls f(bytes, columns) for each character of `text` in turn until f returns false.
template <typename F>
void each_char(std::string_view text, F&& f) {
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t len = utf8_sequence_length(text, pos);
        const std::size_t bytes = len == 0 ? 1 : len;
        const std::size_t columns = len != 0 && is_wide(decode(text, pos, len)) ? 2 : 1;
        if (!f(text.substr(pos, bytes), columns)) return;
        pos += bytes;
    }
}

// "512B", "1.2G", "120K": a size in at most five columns, for narrow lines.
std::string short_size(std::int64_t bytes) {
    if (bytes < 1024) return fmt::format("{}B", bytes);
    static constexpr std::string_view kUnits = "KMGTPE";
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 999.5 && unit + 1 < kUnits.size()) {
        value /= 1024.0;
        ++unit;
    }
    return value >= 99.95 ? fmt::format("{:.0f}{}", value, kUnits[unit])
                          : fmt::format("{:.1f}{}", value, kUnits[unit]);
}

// "1.2/2.9 GiB", or "512.0 KiB/2.9 GiB" when the units differ.
std::string size_pair(std::int64_t done, std::int64_t total) {
    const auto a = human_size(done);
    const auto b = human_size(total);
    const auto a_space = a.find(' ');
    const auto b_space = b.find(' ');
    if (a.substr(a_space) == b.substr(b_space)) return a.substr(0, a_space) + "/" + b;
    return a + "/" + b;
}

std::string short_pair(std::int64_t done, std::int64_t total) {
    return short_size(done) + "/" + short_size(total);
}

// Rounded down, so "100.0%" means all of it.
std::string percent_text(std::int64_t done, std::int64_t total) {
    const auto tenths = total > 0 ? static_cast<std::int64_t>(std::floor(1000.0 * static_cast<double>(done) /
                                                                         static_cast<double>(total)))
                                  : 1000;
    return fmt::format("{}.{}%", tenths / 10, tenths % 10);
}

// One item of a line: its forms, widest first; at level forms.size() it is left out.
struct Field {
    std::vector<std::string> forms;
    std::size_t level = 0;
};

// A field's next form, or its removal, when the line does not fit.
struct Step {
    std::size_t field;
    std::size_t level;  // kDrop: left out
};
constexpr std::size_t kDrop = 99;

struct Layout {
    std::string prefix;
    std::string name;
    std::size_t min_name = kMinNameColumns;
    std::string after_name;
    std::string separator;
    std::vector<Field> fields;
    std::vector<Step> steps;  // least important first

    std::size_t add(std::vector<std::string> forms) {
        fields.push_back(Field{std::move(forms)});
        return fields.size() - 1;
    }
    std::string tail() const {
        std::string text = after_name;
        bool first = true;
        for (const auto& f : fields) {
            if (f.level >= f.forms.size()) continue;
            if (!first) text += separator;
            text += f.forms[f.level];
            first = false;
        }
        return text;
    }
    // The name shortened to its minimum first, then the steps in order until the line fits; the name then
    // takes the room that is left. What still does not fit (a long error) is cut at the end.
    std::string fit(std::size_t width) {
        const std::size_t name_columns = display_width(name);
        const std::size_t min_columns = std::min(name_columns, min_name);
        const std::size_t prefix_columns = display_width(prefix);
        auto rest = [&] { return prefix_columns + display_width(tail()); };
        if (width != kNoLimit) {
            for (const auto& step : steps) {
                if (min_columns + rest() <= width) break;
                auto& f = fields[step.field];
                f.level = std::max(f.level, std::min(step.level, f.forms.size()));
            }
        }
        std::string shown = name;
        if (width != kNoLimit) {
            const std::size_t used = rest();
            shown = shorten(name, width > used ? std::max(width - used, min_columns) : min_columns);
        }
        return shorten(prefix + shown + tail(), width);
    }
};

// The live line's peers: connected, by kind; when none, how many addresses are known.
std::vector<std::string> peer_forms(const session::TorrentStatus& s) {
    const auto full = peers_text(s.peers_mse_rc4, s.peers_mse_header, s.peers_plaintext);
    const auto connected = s.peers_mse_rc4 + s.peers_mse_header + s.peers_plaintext;
    const auto brief = fmt::format("{} peer{}", connected, connected == 1 ? "" : "s");
    if (connected == 0 && s.peers_known > 0) return {fmt::format("0 peers ({} known)", s.peers_known), brief};
    return {full, brief};
}

}  // namespace

std::size_t display_width(std::string_view text) {
    std::size_t columns = 0;
    each_char(text, [&](std::string_view, std::size_t w) {
        columns += w;
        return true;
    });
    return columns;
}

std::string shorten(std::string_view text, std::size_t columns) {
    if (display_width(text) <= columns) return std::string(text);
    if (columns == 0) return {};
    std::string out;
    std::size_t used = 0;
    each_char(text, [&](std::string_view c, std::size_t w) {
        if (used + w > columns - 1) return false;  // one column for the ellipsis
        out += c;
        used += w;
        return true;
    });
    out += kEllipsis;
    return out;
}

std::vector<std::string> wrap(std::string_view text, std::size_t columns) {
    constexpr std::string_view kIndent = "  ";
    std::vector<std::string> lines;
    std::string line;
    std::size_t used = 0;
    while (!text.empty()) {
        const auto space = text.find(' ');
        const auto word = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        if (word.empty()) continue;
        const auto width = display_width(word);
        if (used > 0 && used + 1 + width <= columns) {
            line += ' ';
            line += word;
            used += 1 + width;
            continue;
        }
        if (used > 0) lines.push_back(std::move(line));
        const bool first = lines.empty();
        const std::size_t room = first || columns <= kIndent.size() ? columns : columns - kIndent.size();
        line = first || columns <= kIndent.size() ? std::string() : std::string(kIndent);
        line += shorten(word, room);
        used = display_width(line);
    }
    if (used > 0 || lines.empty()) lines.push_back(std::move(line));
    return lines;
}

std::string rate_text(std::uint64_t bytes_per_second) {
    return human_size(static_cast<std::int64_t>(bytes_per_second)) + "/s";
}

std::string duration_text(std::int64_t s) {
    if (s >= 86400) return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
    if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", std::max<std::int64_t>(s, 0));
}

std::string eta_text(std::int64_t left, std::uint64_t rate) {
    if (left <= 0) return "0s";
    if (rate == 0) return "--";
    const auto r = static_cast<std::int64_t>(rate);
    return duration_text(left / r + (left % r != 0 ? 1 : 0));
}

std::string peers_text(std::uint32_t rc4, std::uint32_t header, std::uint32_t plain) {
    const std::uint64_t total = std::uint64_t{rc4} + header + plain;
    std::string text = fmt::format("{} peer{}", total, total == 1 ? "" : "s");
    std::vector<std::pair<std::uint32_t, const char*>> kinds;
    for (const auto& kind : {std::pair{rc4, "rc4"}, std::pair{header, "header"}, std::pair{plain, "plain"}}) {
        if (kind.first > 0) kinds.push_back(kind);
    }
    if (kinds.size() == 1) return text + " (" + kinds[0].second + ")";
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        text += fmt::format("{}{} {}", i == 0 ? " (" : ", ", kinds[i].first, kinds[i].second);
    }
    return kinds.empty() ? text : text + ")";
}

std::string status_line(std::string_view name, const session::TorrentStatus& s, std::size_t width) {
    Layout l;
    l.name = printable(name);
    l.after_name = "  ";
    l.separator = "  ";
    switch (s.state) {
        case TorrentState::metadata: {
            // "fetching metadata from 3 peers (2/5)": the peers offering it, the 16 KiB pieces received.
            const auto from = fmt::format("fetching metadata from {} peer{}", s.metadata_peers,
                                          s.metadata_peers == 1 ? "" : "s");
            const auto pieces = s.metadata_pieces == 0
                                    ? std::string()
                                    : fmt::format(" ({}/{})", s.metadata_pieces_have, s.metadata_pieces);
            const auto what = l.add({from + pieces, from, "metadata"});
            l.steps = {{what, 1}, {what, 2}};
            break;
        }
        case TorrentState::checking: {
            l.add({"checking " + percent_text(s.check_bytes_done, s.total_size)});
            const auto bytes = l.add(
                {size_pair(s.check_bytes_done, s.total_size), short_pair(s.check_bytes_done, s.total_size)});
            l.steps = {{bytes, 1}, {bytes, kDrop}};
            break;
        }
        case TorrentState::downloading: {
            // Of the wanted files: all of the torrent unless files are skipped.
            const auto have = s.wanted_size - s.wanted_left;
            l.add({"downloading " + percent_text(have, s.wanted_size)});
            const auto bytes = l.add({size_pair(have, s.wanted_size), short_pair(have, s.wanted_size)});
            const auto down =
                l.add({"down " + rate_text(s.download_rate),
                       "down " + short_size(static_cast<std::int64_t>(s.download_rate)) + "/s"});
            const auto up = l.add({"up " + rate_text(s.upload_rate),
                                   "up " + short_size(static_cast<std::int64_t>(s.upload_rate)) + "/s"});
            const auto peers = l.add(peer_forms(s));
            l.steps = {{bytes, 1},  {up, 1},        {down, 1},     {peers, 1},
                       {up, kDrop}, {peers, kDrop}, {bytes, kDrop}};
            const auto left = s.wanted_left;
            if (s.download_rate > 0 && left > 0) {
                const auto eta = l.add({"eta " + eta_text(left, s.download_rate)});
                l.steps.push_back({eta, kDrop});
            }
            l.steps.push_back({down, kDrop});
            break;
        }
        case TorrentState::seeding: {
            l.add({"seeding"});
            const auto size = l.add({human_size(s.wanted_size), short_size(s.wanted_size)});
            const auto up = l.add({"up " + rate_text(s.upload_rate),
                                   "up " + short_size(static_cast<std::int64_t>(s.upload_rate)) + "/s"});
            const auto uploaded = static_cast<std::int64_t>(s.stats.payload_uploaded);
            const double ratio =
                s.total_size > 0 ? static_cast<double>(uploaded) / static_cast<double>(s.total_size) : 0.0;
            const auto ratio_field = l.add({fmt::format("ratio {:.2f}", ratio)});
            const auto total =
                l.add({"uploaded " + human_size(uploaded), "uploaded " + short_size(uploaded)});
            const auto peers = l.add(peer_forms(s));
            l.steps = {{size, 1},      {total, 1},     {up, 1},     {peers, 1},          {size, kDrop},
                       {peers, kDrop}, {total, kDrop}, {up, kDrop}, {ratio_field, kDrop}};
            break;
        }
        case TorrentState::stopped: {
            const auto have = s.wanted_size - s.wanted_left;
            l.add({"stopped " + percent_text(have, s.wanted_size)});
            const auto bytes = l.add({size_pair(have, s.wanted_size), short_pair(have, s.wanted_size)});
            l.steps = {{bytes, 1}, {bytes, kDrop}};
            break;
        }
        case TorrentState::queued:
            l.add({"queued"});
            break;
        case TorrentState::error:
            l.add({"error: " + printable(s.error)});
            break;
    }
    return l.fit(width);
}

std::vector<std::string> frame_lines(const std::vector<TorrentView>& torrents, std::size_t width,
                                     std::size_t rows) {
    std::vector<std::string> lines;
    const bool all = rows == 0 || torrents.size() < rows;
    const std::size_t shown = all ? torrents.size() : rows > 2 ? rows - 2 : 0;
    for (std::size_t i = 0; i < shown; ++i)
        lines.push_back(status_line(torrents[i].name, torrents[i].status, width));
    if (!all) lines.push_back(shorten(fmt::format("({} more torrents)", torrents.size() - shown), width));
    return lines;
}

std::string summary_line(std::string_view name, const session::TorrentStatus& s, double seconds,
                         std::size_t width) {
    Layout l;
    l.prefix = "bitveil: ";
    l.name = printable(name);
    l.min_name = kMinSummaryName;
    l.after_name = ": ";
    l.separator = ", ";
    const bool complete = s.num_pieces > 0 && s.pieces_wanted_left == 0;
    const auto have = s.pieces_wanted - s.pieces_wanted_left;
    l.add({complete && s.files_skipped ? std::string("complete (the selected files)")
           : complete                  ? std::string("complete")
                                       : fmt::format("incomplete ({} of {} pieces)", have, s.pieces_wanted)});
    const auto time = l.add({seconds < 60 ? fmt::format("{:.1f} s", seconds)
                                          : duration_text(static_cast<std::int64_t>(seconds))});
    // Bytes and the average rate over the run, each way.
    auto transfer = [&](const char* label, std::uint64_t bytes) {
        const auto n = static_cast<std::int64_t>(bytes);
        if (n == 0) {
            return l.add(
                {fmt::format("{} 0 B", label), fmt::format("{} 0B", label), fmt::format("{} 0B", label)});
        }
        const auto rate = static_cast<std::int64_t>(static_cast<double>(n) / std::max(seconds, 0.001));
        return l.add({fmt::format("{} {} ({}/s)", label, human_size(n), human_size(rate)),
                      fmt::format("{} {} ({}/s)", label, short_size(n), short_size(rate)),
                      fmt::format("{} {}", label, short_size(n))});
    };
    const auto down = transfer("down", s.stats.payload_downloaded);
    const auto up = transfer("up", s.stats.payload_uploaded);
    const auto& kinds = s.stats.connections_by_kind;
    auto count = [&](const char* kind) {
        const auto it = kinds.find(kind);
        return it == kinds.end() ? 0u : it->second;
    };
    const auto rc4 = count("mse_rc4");
    const auto header = count("mse_header");
    const auto plain = count("plaintext");
    const auto peers =
        l.add({peers_text(rc4, header, plain),
               fmt::format("{} peer{}", rc4 + header + plain, rc4 + header + plain == 1 ? "" : "s")});
    // The direction that moved fewer bytes goes first (a download's upload, a seed's download).
    const bool up_less = s.stats.payload_uploaded <= s.stats.payload_downloaded;
    const auto lesser = up_less ? up : down;
    const auto greater = up_less ? down : up;
    l.steps = {{down, 1},  {up, 1},       {lesser, kDrop},  {greater, 2},
               {peers, 1}, {time, kDrop}, {greater, kDrop}, {peers, kDrop}};
    return l.fit(width);
}

std::string redraw_text(const std::vector<std::string>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out += '\r';
        out += lines[i];
        out += "\033[K";
        if (i + 1 < lines.size()) out += '\n';
    }
    out += "\033[J\r";
    if (lines.size() > 1) out += fmt::format("\033[{}A", lines.size() - 1);
    return out;
}

}  // namespace bt::cli
