#include "cli/text.hpp"

#include <fmt/core.h>

#include <array>
#include <ctime>
#include <limits>

namespace bt::cli {

std::string human_size(std::int64_t bytes) {
    if (bytes < 1024) return fmt::format("{} B", bytes);
    static constexpr std::array<const char*, 6> kUnits{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < kUnits.size()) {
        value /= 1024.0;
        ++unit;
    }
    return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::optional<std::int64_t> parse_size(std::string_view text) {
    std::size_t digits = 0;
    std::int64_t value = 0;
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        const int d = text[digits] - '0';
        if (value > (kMax - d) / 10) return std::nullopt;
        value = value * 10 + d;
        ++digits;
    }
    if (digits == 0) return std::nullopt;
    std::string suffix;
    for (char c : text.substr(digits)) suffix += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    int shift = 0;
    if (suffix.empty() || suffix == "B") {
        shift = 0;
    } else if (suffix == "K" || suffix == "KIB") {
        shift = 10;
    } else if (suffix == "M" || suffix == "MIB") {
        shift = 20;
    } else if (suffix == "G" || suffix == "GIB") {
        shift = 30;
    } else {
        return std::nullopt;
    }
    if (value > (kMax >> shift)) return std::nullopt;
    return value << shift;
}

std::optional<std::string> format_utc(std::int64_t seconds_since_epoch) {
    if (seconds_since_epoch < std::numeric_limits<std::time_t>::min() ||
        seconds_since_epoch > std::numeric_limits<std::time_t>::max()) {
        return std::nullopt;
    }
    const auto t = static_cast<std::time_t>(seconds_since_epoch);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) return std::nullopt;
    std::array<char, 64> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
    if (n == 0) return std::nullopt;
    return std::string(buf.data(), n);
}

}  // namespace bt::cli
