#include "cli/text.hpp"

#include <fmt/core.h>

#include <array>
#include <ctime>
#include <limits>

namespace bt::cli {

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char b0 = byte(pos);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07u;
    } else {
        return 0;  // continuation byte, 0xC0/0xC1 (always overlong) or 0xF5..0xFF
    }
    if (text.size() - pos < len) return 0;
    for (std::size_t i = 1; i < len; ++i) {
        const unsigned char b = byte(pos + i);
        if ((b & 0xC0u) != 0x80u) return 0;
        cp = (cp << 6) | (b & 0x3Fu);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
    return len;
}

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        const std::size_t len = utf8_sequence_length(text, i);
        if (len == 0 || b < 0x20 || b == 0x7F) {
            out += fmt::format("\\x{:02x}", b);
            ++i;
            continue;
        }
        out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

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
