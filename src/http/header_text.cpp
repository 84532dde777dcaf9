#include "http/header_text.hpp"

#include <cctype>

namespace bt::http::detail {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string quoted(std::string_view s) {
    std::string out;
    for (const char c : s.substr(0, 40)) {
        const auto byte = static_cast<unsigned char>(c);
        out += byte >= 0x20 && byte < 0x7f ? c : '?';
    }
    return "\"" + out + (s.size() > 40 ? "...\"" : "\"");
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return std::isalnum(byte) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

std::optional<std::uint64_t> parse_decimal(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

std::optional<std::uint64_t> parse_content_length(std::string_view value) {
    std::optional<std::uint64_t> length;
    bool bad = false;
    for_each_item(value, [&](const std::string& item) {
        const auto v = parse_decimal(item);
        if (!v || (length && *length != *v)) bad = true;
        length = v;
    });
    if (bad) return std::nullopt;
    return length;
}

std::optional<std::uint64_t> parse_chunk_size(std::string_view line) {
    const std::string_view digits = trim(line.substr(0, std::min(line.find(';'), line.size())));
    if (digits.empty() || digits.size() > 15) return std::nullopt;
    std::uint64_t size = 0;
    for (const char c : digits) {
        const auto byte = static_cast<unsigned char>(c);
        if (!std::isxdigit(byte)) return std::nullopt;
        size = size * 16 +
               static_cast<std::uint64_t>(std::isdigit(byte) ? c - '0' : std::tolower(byte) - 'a' + 10);
    }
    return size;
}

std::string_view next_line(std::string_view& text) {
    const std::size_t lf = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, lf);
    text.remove_prefix(std::min(lf + 1, text.size()));
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
}

std::size_t end_of_head(std::string_view s, std::size_t from) {
    for (std::size_t lf = s.find('\n', from); lf != std::string_view::npos; lf = s.find('\n', lf + 1)) {
        if (lf + 1 < s.size() && s[lf + 1] == '\n') return lf + 2;
        if (lf + 2 < s.size() && s[lf + 1] == '\r' && s[lf + 2] == '\n') return lf + 3;
    }
    return std::string_view::npos;
}

}  // namespace bt::http::detail
