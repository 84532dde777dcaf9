#include "cli/progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "cli/text.hpp"

namespace bt::cli {

std::string progress_text(std::string_view label, std::int64_t done, std::int64_t total, double seconds) {
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    std::string text = fmt::format("{} {:3d}%  {} / {}", label, static_cast<int>(fraction * 100.0),
                                   human_size(done), human_size(total));
    if (seconds >= 0.5 && done > 0) {
        const double rate = static_cast<double>(done) / seconds;
        text += fmt::format("  {}/s", human_size(static_cast<std::int64_t>(rate)));
        if (done < total) {
            const auto eta = static_cast<std::int64_t>(static_cast<double>(total - done) / rate);
            text += fmt::format("  ETA {}:{:02d}", eta / 60, eta % 60);
        }
    }
    return text;
}

ProgressLine::ProgressLine(std::FILE* out, bool enabled, std::string label, std::int64_t total)
    : out_(out),
      enabled_(enabled),
      label_(std::move(label)),
      total_(total),
      start_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() {
    finish();
}

bool ProgressLine::is_terminal(std::FILE* file) {
    const char* term = std::getenv("TERM");
    return ::isatty(::fileno(file)) == 1 && (term == nullptr || std::strcmp(term, "dumb") != 0);
}

void ProgressLine::update(std::int64_t done) {
    if (!enabled_) return;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    // "\x1b[K" clears what a longer previous line left behind.
    fmt::print(out_, "\r{}\x1b[K", progress_text(label_, done, total_, elapsed.count()));
    std::fflush(out_);
    drawn_ = true;
}

void ProgressLine::finish() {
    if (!drawn_) return;
    fmt::print(out_, "\r\x1b[K");
    std::fflush(out_);
    drawn_ = false;
}

}  // namespace bt::cli
