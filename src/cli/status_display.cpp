#include "cli/status_display.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "cli/progress.hpp"
#include "cli/status_view.hpp"

namespace bt::cli {

namespace {

constexpr std::size_t kDefaultColumns = 80;  // when the terminal does not tell its size
constexpr std::size_t kSummaryColumns = 80;
constexpr auto kPlainInterval = std::chrono::seconds(5);

void write_stderr(std::string_view text) {
    // One fwrite on the unbuffered stderr: one write(2), so a frame reaches the terminal whole.
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

}  // namespace

TerminalSize terminal_size(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return {};
    return {ws.ws_col, ws.ws_row};
}

StatusDisplay::StatusDisplay(asio::io_context& io, bool quiet, Sample sample)
    : quiet_(quiet),
      terminal_(!quiet && ProgressLine::is_terminal(stderr)),
      sample_(std::move(sample)),
      timer_(io),
      last_plain_(std::chrono::steady_clock::now()) {}

void StatusDisplay::start() {
    if (quiet_) return;
    running_ = true;
    timer_.expires_after(std::chrono::milliseconds(200));
    timer_.async_wait([this](std::error_code ec) {
        if (!ec) refresh();
    });
}

std::string StatusDisplay::frame_text() const {
    const auto size = terminal_size(::fileno(stderr));
    const std::size_t columns = size.columns > 0 ? size.columns : kDefaultColumns;
    const std::size_t width = columns > 1 ? columns - 1 : 1;
    return redraw_text(frame_lines(sample_(), width, size.rows));
}

void StatusDisplay::refresh() {
    if (!running_) return;
    if (terminal_) {
        write_stderr(frame_text());
        drawn_ = true;
    } else if (std::chrono::steady_clock::now() - last_plain_ >= kPlainInterval) {
        last_plain_ = std::chrono::steady_clock::now();
        std::string text;
        for (const auto& t : sample_()) text += status_line(t.name, t.status) + "\n";
        write_stderr(text);
    }
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](std::error_code ec) {
        if (!ec) refresh();
    });
}

void StatusDisplay::print(std::string_view line) {
    if (quiet_) return;
    std::string text = drawn_ ? std::string(kEraseFrame) : std::string();
    if (terminal_) {
        // Never wider than the terminal (a wrapped line would break the redraw): wrapped at spaces.
        const auto columns = terminal_size(::fileno(stderr)).columns;
        const std::size_t width = columns > 1 ? columns - 1 : kDefaultColumns - 1;
        for (const auto& part : wrap(line, width)) text += part + '\n';
    } else {
        text.append(line);
        text += '\n';
    }
    // The live lines come back below it in the same write: erased until the next refresh, they would be
    // missing for up to a second.
    drawn_ = terminal_ && running_;
    if (drawn_) text += frame_text();
    write_stderr(text);
}

void StatusDisplay::erase() {
    if (drawn_) write_stderr(kEraseFrame);
    drawn_ = false;
}

void StatusDisplay::finish() {
    running_ = false;
    timer_.cancel();
    erase();
}

void StatusDisplay::print_summary(std::string_view name, const session::TorrentStatus& status,
                                  double seconds) const {
    if (quiet_) return;
    std::size_t width = kNoLimit;
    if (terminal_) {
        const auto columns = terminal_size(::fileno(stderr)).columns;
        width = columns > 1 ? std::min(kSummaryColumns, columns - 1) : kSummaryColumns;
    }
    write_stderr(summary_line(name, status, seconds, width) + "\n");
}

}  // namespace bt::cli
