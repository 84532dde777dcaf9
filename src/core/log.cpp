#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace bt::log {

namespace {
std::atomic<Level> current{Level::warning};
std::mutex output;

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
    std::fprintf(stderr, "%s[%s] %.*s: %s\n", terminal ? "\r\033[K" : "", name(l),
                 static_cast<int>(module.size()), module.data(), text.c_str());
}

}  // namespace bt::log
