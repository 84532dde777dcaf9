#include "cli/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace bt::cli {

namespace {

constexpr std::size_t kMaxSuggestions = 3;

std::string_view without_dashes(std::string_view name) {
    while (!name.empty() && name.front() == '-') name.remove_prefix(1);
    return name;
}

bool is_short_option(std::string_view word) {
    return word.size() == 2 && word[0] == '-' && word[1] != '-';
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Three rows of the dynamic programme: i-2, i-1 and i (the swap looks two rows back).
    std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                current[j] = std::min(current[j], before[j - 2] + 1);
            }
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

std::vector<std::string> closest_names(std::string_view word, const std::vector<std::string>& names) {
    word = word.substr(0, word.find('='));
    std::vector<std::string> found;
    if (is_short_option(word)) {
        const auto letter = static_cast<unsigned char>(word[1]);
        for (const auto& name : names) {
            if (name.size() > 2 && name.starts_with("--") &&
                std::tolower(static_cast<unsigned char>(name[2])) == std::tolower(letter) &&
                found.size() < kMaxSuggestions) {
                found.push_back(name);
            }
        }
        return found;
    }
    const std::string_view stem = without_dashes(word);
    if (stem.empty()) return found;
    if (stem.size() >= 3) {
        std::vector<std::string> prefixed;
        for (const auto& name : names) {
            if (name.size() > word.size() && name.starts_with(word)) prefixed.push_back(name);
        }
        if (prefixed.size() == 1) return prefixed;
    }
    const std::size_t limit = std::max<std::size_t>(1, stem.size() / 3);
    std::size_t best = limit + 1;
    for (const auto& name : names) {
        if (is_short_option(name)) continue;  // "-d" is not a likely typo of "-q" or "--x"
        const std::size_t d = edit_distance(word, name);
        if (d == 0 || d > limit) continue;
        if (d < best) {
            best = d;
            found.clear();
        }
        if (d == best && found.size() < kMaxSuggestions) found.push_back(name);
    }
    return found;
}

std::string did_you_mean(const std::vector<std::string>& suggestions) {
    if (suggestions.empty()) return {};
    std::string text = " (did you mean ";
    for (std::size_t i = 0; i < suggestions.size(); ++i) {
        if (i > 0) text += i + 1 == suggestions.size() ? " or " : ", ";
        text += "'" + suggestions[i] + "'";
    }
    return text + "?)";
}

}  // namespace bt::cli
