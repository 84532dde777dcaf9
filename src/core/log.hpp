#pragma once
// Levelled logging for the I/O layers (net, session, cli); pure modules never log. The level check
// happens before any formatting, so disabled trace lines cost one comparison.
#include <fmt/core.h>

#include <string>
#include <string_view>

namespace bt::log {

enum class Level : int { trace = 0, debug, info, warning, error, off };

void set_level(Level level) noexcept;
Level level() noexcept;
inline bool enabled(Level l) noexcept {
    return l >= level();
}
void write(Level l, std::string_view module, const std::string& text);

}  // namespace bt::log

#define BT_LOG(lvl, module, ...)                                                         \
    do {                                                                                 \
        if (::bt::log::enabled(::bt::log::Level::lvl))                                   \
            ::bt::log::write(::bt::log::Level::lvl, module, ::fmt::format(__VA_ARGS__)); \
    } while (false)
