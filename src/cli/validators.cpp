#include "cli/validators.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <optional>

#include "cli/alt_speed_options.hpp"
#include "cli/commands.hpp"
#include "cli/suggest.hpp"
#include "cli/text.hpp"
#include "metainfo/file_priority.hpp"

namespace bt::cli {

namespace {

template <typename T>
std::optional<T> parse_number(const std::string& text) {
    T value{};
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

// The value as quoted in an error line: escaped and cut, so that a pasted paragraph stays one line.
std::string shown(const std::string& text) {
    constexpr std::size_t kMax = 40;
    return "'" + (text.size() <= kMax ? text : text.substr(0, kMax) + "...") + "'";
}

}  // namespace

CLI::Validator whole_number(std::int64_t min, std::int64_t max) {
    return CLI::Validator(
        [min, max](std::string& text) -> std::string {
            const auto value = parse_number<std::int64_t>(text);
            if (value && *value >= min && *value <= max) return {};
            return fmt::format("expected a whole number from {} to {}, not {}", min, max, shown(text));
        },
        fmt::format("INT in [{} - {}]", min, max));
}

CLI::Validator non_negative_whole_number() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto value = parse_number<std::int64_t>(text);
            if (value && *value >= 0) return {};
            return fmt::format("expected a whole number, 0 or more, not {}", shown(text));
        },
        "NONNEGATIVE");
}

CLI::Validator positive_number() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto value = parse_number<double>(text);
            if (value && std::isfinite(*value) && *value > 0) return {};
            return fmt::format("expected a number above 0, not {}", shown(text));
        },
        "POSITIVE");
}

CLI::Validator one_of(std::vector<std::string> names) {
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) list += i + 1 == names.size() ? " or " : ", ";
        list += names[i];
    }
    std::string description = "{";
    for (std::size_t i = 0; i < names.size(); ++i) description += (i > 0 ? "," : "") + names[i];
    description += "}";
    return CLI::Validator(
        [names, list](std::string& text) -> std::string {
            for (const auto& name : names) {
                if (text == name) return {};
            }
            return fmt::format("expected {}, not {}{}", list, shown(text),
                               did_you_mean(closest_names(text, names)));
        },
        description);
}

CLI::Validator piece_size() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto size = parse_size(text);
            if (size && is_valid_piece_length(*size)) return {};
            return fmt::format("expected a power of two from {} KiB to {} MiB (e.g. 256K, 4M), not {}",
                               kMinPieceLength >> 10, kMaxPieceLength >> 20, shown(text));
        },
        "");
}

CLI::Validator byte_rate() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto rate = parse_size(text);
            if (rate && (*rate == 0 || *rate >= 1024)) return {};
            return fmt::format(
                "expected a rate in bytes per second of at least 1K (e.g. 500K, 2M; 0 for none), "
                "not {}",
                shown(text));
        },
        "RATE");
}

CLI::Validator byte_size() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (parse_size(text)) return {};
            return fmt::format("expected a size in bytes (e.g. 512K, 8M; 0 for none), not {}", shown(text));
        },
        "SIZE");
}

CLI::Validator file_numbers() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::vector<std::uint32_t> numbers;
            const auto problem = metainfo::parse_file_numbers(text, numbers);
            return problem ? fmt::format("{} (file numbers from 1 as bitveil info lists them, e.g. 1,3-5)",
                                         shown(*problem))
                           : std::string();
        },
        "LIST");
}

CLI::Validator alt_speed_schedule() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            auto schedule = parse_alt_speed_schedule(text);
            return schedule ? std::string() : schedule.error();
        },
        "SPEC");
}

CLI::Validator not_empty(std::string what) {
    return CLI::Validator(
        [what](std::string& text) -> std::string {
            return text.empty() ? fmt::format("expected {}, not ''", what) : std::string();
        },
        "");
}

}  // namespace bt::cli
