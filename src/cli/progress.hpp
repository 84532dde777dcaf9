#pragma once
// A live progress line on a terminal: "hashing  42%  1.2 GiB / 2.9 GiB  310.5 MiB/s", redrawn in place
// with '\r' and cleared when done. When disabled (not a terminal, or --quiet) it prints nothing.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace bt::cli {

class ProgressLine {
  public:
    ProgressLine(std::FILE* out, bool enabled, std::string label, std::int64_t total);
    ~ProgressLine();
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    void update(std::int64_t done);
    void finish();  // erases the line

    // True when `file` is a terminal (and TERM is not "dumb").
    static bool is_terminal(std::FILE* file);

  private:
    std::FILE* out_;
    bool enabled_;
    bool drawn_ = false;
    std::string label_;
    std::int64_t total_;
    std::chrono::steady_clock::time_point start_;
};

// The text of one progress line (without '\r'); exposed for tests.
std::string progress_text(std::string_view label, std::int64_t done, std::int64_t total, double seconds);

}  // namespace bt::cli
