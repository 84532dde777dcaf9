#pragma once
// What `bitveil download` and `seed` show of each torrent: one status line that fits a given width, the
// line at exit, and the escape sequences that redraw the live lines in place. Pure: text in, text out
// (status_display.hpp writes it to the terminal).
//
// A live line, in its widest form:
//   album  downloading 42.0%  5.1/12.0 MiB  down 3.0 MiB/s  up 0 B/s  3 peers (2 rc4, 1 plain)  eta 2s
// When it does not fit, the name is shortened first (to 16 columns at least, ending in "…"), then fields
// take their short form ("1.2G/2.9G", "down 3.1M/s", "3 peers") and then the least important go, so the
// name, the state and the percent stay.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "session/torrent.hpp"

namespace bt::cli {

// No width limit: full lines, for logs.
inline constexpr std::size_t kNoLimit = std::string::npos;

// The columns UTF-8 `text` takes on a terminal: one per code point, two for East Asian wide and
// fullwidth characters (CJK, Hangul, kana, fullwidth forms, the emoji and symbol blocks). When unsure
// it counts more, never less: zero-width and combining characters count one, so a line can come out
// narrower than counted, never wider. Ambiguous-width characters (such as "…") count one, as terminals
// outside CJK locales show them. A byte that is not UTF-8 counts one.
std::size_t display_width(std::string_view text);

// `text` cut to at most `columns` columns, ending in "…" when something was cut.
std::string shorten(std::string_view text, std::size_t columns);

// `text` broken at spaces into lines of at most `columns` columns, the lines after the first indented by
// two spaces; a word wider than a line is shortened. A notice keeps every word on a narrow terminal.
std::vector<std::string> wrap(std::string_view text, std::size_t columns);

// "120.0 KiB/s".
std::string rate_text(std::uint64_t bytes_per_second);
// "45s", "9m12s", "2h03m", "3d4h".
std::string duration_text(std::int64_t seconds);
// The time to download `left` bytes at `rate` bytes/s, rounded up; "--" at rate 0.
std::string eta_text(std::int64_t left, std::uint64_t rate);
// Connected peers by kind of connection: "3 peers (2 rc4, 1 plain)", "1 peer (header)", "0 peers".
std::string peers_text(std::uint32_t rc4, std::uint32_t header, std::uint32_t plain);

// The live line of a torrent called `name` (shown escaped, as printable() shows it) with status `s`, at
// most `width` columns: the name, then by state
//   metadata     "getting metadata", peers
//   checking     "checking 42.3%", bytes checked of the total
//   downloading  "downloading 42.3%", bytes done/total, rates, peers, the ETA (only while bytes arrive)
//   seeding      "seeding", size, upload rate, ratio (uploaded / size), total uploaded, peers
//   stopped      "stopped 42.3%", bytes done/total
//   error        "error: " and the error (cut with "…" when too long)
std::string status_line(std::string_view name, const session::TorrentStatus& s, std::size_t width = kNoLimit);

struct TorrentView {
    std::string name;
    session::TorrentStatus status;
};
// The live lines of a terminal `rows` high (0: unknown), each at most `width` columns: one per torrent, or,
// with more torrents than rows, the first rows - 2 and a line saying how many more there are (a frame taller
// than the screen could not move back to its first line).
std::vector<std::string> frame_lines(const std::vector<TorrentView>& torrents, std::size_t width,
                                     std::size_t rows);

// The line at exit for a torrent that did not fail, at most `width` columns:
//   bitveil: NAME: complete, down 12.6 MiB (3.1 MiB/s), up 0 B, 4.1 s, 3 peers (2 rc4, 1 plain)
// with the average rates over the run's `seconds`; the peers are the connections made during the run by
// kind of encryption (TransferStats::connections_by_kind: a peer that reconnected counts twice).
std::string summary_line(std::string_view name, const session::TorrentStatus& s, double seconds,
                         std::size_t width = kNoLimit);

// The bytes that draw `lines` as a frame of live lines, one per line, with the cursor at the start of the
// previous frame's first line (or where the first frame goes): each line is rewritten and cleared to its
// end, anything below the new frame (a longer earlier frame, the remains of a resize) is cleared, and the
// cursor goes back to the start of the first line, so log lines and the next frame start there. The
// lines must fit the terminal: a line that wraps would move the frame.
std::string redraw_text(const std::vector<std::string>& lines);
// Erases the frame (the cursor at its first line) and leaves the cursor there.
inline constexpr std::string_view kEraseFrame = "\r\033[J";

}  // namespace bt::cli
