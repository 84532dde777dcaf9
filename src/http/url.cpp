#include "http/url.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace bt::http {

namespace {

// Everything a request line may carry as is (RFC 9112: visible ASCII); '%' stays, so existing escapes do too.
std::string encode_target(std::string_view raw) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(raw.size());
    for (const char c : raw) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte > 0x20 && byte < 0x7f) {
            out += c;
        } else {
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        }
    }
    return out;
}

// RFC 3986 section 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":". The scheme's length, 0 if none.
std::size_t scheme_length(std::string_view url) {
    if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return 0;
    for (std::size_t i = 1; i < url.size(); ++i) {
        const auto c = static_cast<unsigned char>(url[i]);
        if (c == ':') return i;
        if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return 0;
    }
    return 0;
}

struct UrlParts {
    std::string_view scheme;     // without ':'
    std::string_view authority;  // without "//"
    bool has_authority = false;
    std::string_view path;
    std::string_view query;     // with '?', empty when absent
    std::string_view fragment;  // with '#', empty when absent
};

UrlParts split(std::string_view url) {
    UrlParts parts;
    const std::size_t hash = std::min(url.find('#'), url.size());
    parts.fragment = url.substr(hash);
    url = url.substr(0, hash);
    if (const std::size_t n = scheme_length(url); n > 0) {
        parts.scheme = url.substr(0, n);
        url.remove_prefix(n + 1);
    }
    if (url.starts_with("//")) {
        url.remove_prefix(2);
        const std::size_t end = std::min(url.find_first_of("/?"), url.size());
        parts.authority = url.substr(0, end);
        parts.has_authority = true;
        url.remove_prefix(end);
    }
    const std::size_t query = std::min(url.find('?'), url.size());
    parts.path = url.substr(0, query);
    parts.query = url.substr(query);
    return parts;
}

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string_view path) {
    std::vector<std::string_view> segments;
    const bool absolute = path.starts_with('/');
    if (absolute) path.remove_prefix(1);
    bool trailing_slash = false;
    while (true) {
        const std::size_t slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        const bool last = slash == std::string_view::npos;
        if (segment == "..") {
            if (!segments.empty()) segments.pop_back();
            trailing_slash = last;
        } else if (segment == ".") {
            trailing_slash = last;
        } else {
            segments.push_back(segment);
            trailing_slash = false;
        }
        if (last) break;
        path.remove_prefix(slash + 1);
    }
    std::string out = absolute ? "/" : "";
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i > 0) out += '/';
        out += segments[i];
    }
    if (trailing_slash && !out.empty() && out.back() != '/') out += '/';
    return out;
}

std::string merge_paths(const UrlParts& base, std::string_view reference_path) {
    if (base.has_authority && base.path.empty()) return "/" + std::string(reference_path);
    const std::size_t slash = base.path.rfind('/');
    if (slash == std::string_view::npos) return std::string(reference_path);
    return std::string(base.path.substr(0, slash + 1)) + std::string(reference_path);
}

}  // namespace

bool has_scheme(std::string_view url, std::string_view scheme) {
    return url.size() > scheme.size() && url[scheme.size()] == ':' &&
           std::equal(scheme.begin(), scheme.end(), url.begin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

bool has_user_info(std::string_view url) {
    const UrlParts parts = split(url);
    return parts.has_authority && parts.authority.find('@') != std::string_view::npos;
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
    if (!has_scheme(url, "http") || !url.substr(5).starts_with("//")) return std::nullopt;
    const UrlParts parts = split(url);
    const std::string_view authority = parts.authority;
    if (has_user_info(url)) return std::nullopt;
    HttpUrl out;
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        out.host = std::string(authority.substr(1, close - 1));
        const std::string_view rest = authority.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
        if (!rest.empty()) port_text = rest.substr(1);
        const bool ipv6_chars = std::all_of(out.host.begin(), out.host.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        });
        if (!ipv6_chars || out.host.find(':') == std::string::npos) return std::nullopt;  // IPv6 only
    } else {
        const std::size_t colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (out.host.empty()) return std::nullopt;
    for (const char c : out.host) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || c == '/' || c == '?' || c == '#' || c == '%') return std::nullopt;
    }
    if (!port_text.empty()) {
        if (port_text.size() > 5) return std::nullopt;
        std::uint32_t port = 0;
        for (const char c : port_text) {
            if (c < '0' || c > '9') return std::nullopt;
            port = port * 10 + static_cast<std::uint32_t>(c - '0');
        }
        if (port == 0 || port > 65535) return std::nullopt;
        out.port = static_cast<std::uint16_t>(port);
    }
    out.target = encode_target(parts.path.empty() ? std::string_view("/") : parts.path);
    out.target += encode_target(parts.query);
    return out;
}

std::optional<std::string> resolve_reference(std::string_view base_url, std::string_view reference) {
    if (reference.empty()) return std::nullopt;
    const UrlParts base = split(base_url);
    if (base.scheme.empty()) return std::nullopt;
    const UrlParts ref = split(reference);
    // Section 5.2.2, "strict": a reference with a scheme stands on its own.
    UrlParts target = ref;
    std::string path;
    if (!ref.scheme.empty() || ref.has_authority) {
        path = remove_dot_segments(ref.path);
    } else {
        target.authority = base.authority;
        target.has_authority = base.has_authority;
        if (ref.path.empty()) {
            path = std::string(base.path);
            if (ref.query.empty()) target.query = base.query;
        } else {
            path = remove_dot_segments(ref.path.starts_with('/') ? std::string(ref.path)
                                                                 : merge_paths(base, ref.path));
        }
    }
    if (ref.scheme.empty()) target.scheme = base.scheme;
    std::string out = std::string(target.scheme) + ":";
    if (target.has_authority) out += "//" + std::string(target.authority);
    out += path;
    out += target.query;
    out += ref.fragment;
    return out;
}

std::string format_get_request(const HttpUrl& url, std::string_view user_agent) {
    const bool v6 = url.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + url.host + "]" : url.host;
    if (url.port != 80) host += ":" + std::to_string(url.port);
    std::string out = "GET " + url.target + " HTTP/1.1\r\nHost: " + host + "\r\n";
    const bool printable = std::all_of(user_agent.begin(), user_agent.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte >= 0x20 && byte < 0x7f;
    });
    if (!user_agent.empty() && printable) {
        out += "User-Agent: ";
        out += user_agent;
        out += "\r\n";
    }
    out += "Accept: */*\r\nConnection: close\r\n\r\n";
    return out;
}

}  // namespace bt::http
