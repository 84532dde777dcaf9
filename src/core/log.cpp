#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace bt::log {

namespace {
std::atomic<Level> current{Level::warning};
std::mutex output;
// Log lines carry the seconds since start-up: enough to see what took how long, and stable across runs.
const auto start = std::chrono::steady_clock::now();

const char* name(Level l) {
    switch (l) {
        case Level::trace:
            return "trace";
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warning:
            return "warning";
        case Level::error:
            return "error";
        case Level::off:
            return "off";
    }
    return "?";
}
}  // namespace

void set_level(Level l) noexcept {
    current = l;
}
Level level() noexcept {
    return current;
}

void write(Level l, std::string_view module, const std::string& text) {
    static const bool terminal = isatty(STDERR_FILENO) == 1;
    std::lock_guard lock(output);
    // On a terminal, first clear the line so log lines do not mix with the live progress line.
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    std::fprintf(stderr, "%s%8.3f [%s] %.*s: %s\n", terminal ? "\r\033[K" : "", elapsed.count(), name(l),
                 static_cast<int>(module.size()), module.data(), text.c_str());
}

}  // namespace bt::log
