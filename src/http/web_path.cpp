#include "http/web_path.hpp"

#include <array>
#include <utility>

#include "core/hex.hpp"
#include "http/header_text.hpp"

namespace bt::http {

std::optional<std::string> decode_web_path(std::string_view encoded) {
    encoded = encoded.substr(0, std::min(encoded.find_first_of("?#"), encoded.size()));
    std::string decoded;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        char c = encoded[i];
        if (c == '%') {
            if (i + 2 >= encoded.size()) return std::nullopt;
            const auto byte = from_hex(encoded.substr(i + 1, 2));
            if (!byte) return std::nullopt;
            c = static_cast<char>(byte->front());
            if (c == '/') return std::nullopt;
            i += 2;
        }
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\' || byte < 0x20 || byte == 0x7f) return std::nullopt;
        decoded += c;
    }
    std::string path;
    std::string_view rest = decoded;
    while (!rest.empty()) {
        const std::size_t slash = std::min(rest.find('/'), rest.size());
        const std::string_view segment = rest.substr(0, slash);
        rest.remove_prefix(std::min(slash + 1, rest.size()));
        if (segment.empty() || segment == ".") continue;
        if (segment == "..") return std::nullopt;
        if (!path.empty()) path += '/';
        path += segment;
    }
    return path;
}

std::string_view mime_type(std::string_view path) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kTypes{{
        {"html", "text/html; charset=UTF-8"},
        {"htm", "text/html; charset=UTF-8"},
        {"js", "text/javascript; charset=UTF-8"},
        {"css", "text/css; charset=UTF-8"},
        {"png", "image/png"},
        {"gif", "image/gif"},
        {"ico", "image/x-icon"},
        {"svg", "image/svg+xml"},
        {"json", "application/json"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"txt", "text/plain; charset=UTF-8"},
        {"jpg", "image/jpeg"},
    }};
    const std::size_t dot = path.rfind('.');
    const std::size_t slash = path.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return "application/octet-stream";
    const std::string extension = detail::lower(path.substr(dot + 1));
    for (const auto& [ext, type] : kTypes) {
        if (ext == extension) return type;
    }
    return "application/octet-stream";
}

}  // namespace bt::http
