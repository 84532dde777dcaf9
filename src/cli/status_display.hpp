#pragma once
// The live status of `bitveil download` and `seed` on stderr (the lines come from status_view.hpp).
//
// On a terminal: one line per torrent, redrawn in place every second, each at most one column narrower
// than the terminal is at that moment (TIOCGWINSZ is read at every redraw, so a resize takes effect at the
// next one; the last column stays empty, so no terminal wraps). The cursor is left at the start of the
// first line, where a log line (core/log.cpp clears its line first) or our own print() goes; the next
// redraw starts below it. Not a terminal (a log file, a pipe): every torrent's full line every 5 seconds.
// With --quiet: nothing.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/status_view.hpp"
#include "session/torrent.hpp"

namespace bt::cli {

class StatusDisplay {
  public:
    // Called at every refresh: the torrents to show, in order.
    using Sample = std::function<std::vector<TorrentView>()>;

    StatusDisplay(asio::io_context& io, bool quiet, Sample sample);
    StatusDisplay(const StatusDisplay&) = delete;
    StatusDisplay& operator=(const StatusDisplay&) = delete;

    // The first refresh 200 ms from now, then one a second.
    void start();
    // One line of ours while the display runs ("bitveil: stopping") or after it: on a terminal the live
    // lines are erased first and drawn again below it at once, and a line wider than the terminal is
    // wrapped at spaces.
    void print(std::string_view line);
    // Before a line printed by others (report_error): the live lines are erased and come back below it.
    void erase();
    // No more refreshes; the live lines are erased.
    void finish();
    // At exit, for a torrent that did not fail: its summary_line(), at most 80 columns on a terminal.
    void print_summary(std::string_view name, const session::TorrentStatus& status, double seconds) const;

  private:
    void refresh();
    // The live lines for the terminal's size now, as redraw_text() writes them.
    std::string frame_text() const;

    bool quiet_;
    bool terminal_;
    Sample sample_;
    asio::steady_timer timer_;
    bool running_ = false;
    bool drawn_ = false;  // live lines are on the terminal
    std::chrono::steady_clock::time_point last_plain_;
};

// The size of the terminal on `fd` (TIOCGWINSZ): {columns, rows}, 0 for what it does not tell.
struct TerminalSize {
    std::size_t columns = 0;
    std::size_t rows = 0;
};
TerminalSize terminal_size(int fd);

}  // namespace bt::cli
