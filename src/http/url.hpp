#pragma once
// http:// URLs as the built-in HTTP client (net/http_client.hpp) needs them: where to connect and what to
// ask for. Pure: no sockets, no name resolution.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bt::http {

struct HttpUrl {
    std::string host;  // a name or an address literal, without brackets
    std::uint16_t port = 80;
    // The request target: the path (at least "/") and the query, never the fragment. Bytes that may not
    // appear in a request line (controls, space, non-ASCII) are percent-encoded, so a URL from a .torrent
    // cannot inject a header.
    std::string target;
    friend bool operator==(const HttpUrl&, const HttpUrl&) = default;
};

// True when `url` starts with "<scheme>:", compared case-insensitively (`scheme` in lower case).
bool has_scheme(std::string_view url, std::string_view scheme);

// "http://host[:port][/path][?query][#fragment]", scheme case-insensitive. nullopt for another scheme, a
// URL with user information ("user:pass@"), an empty or malformed host, or a port outside 1-65535.
std::optional<HttpUrl> parse_http_url(std::string_view url);

// True when the URL's authority holds user information ("user:pass@host"), which parse_http_url refuses.
bool has_user_info(std::string_view url);

// RFC 3986 section 5: the absolute URL that `reference` (a redirect's Location) names, relative to the
// absolute URL `base`. Handles absolute URLs, "//authority...", "/path", "?query" and relative paths
// ("a/b", "../c", with dot segments removed); the reference's fragment is kept, the base's never.
// nullopt when `base` has no scheme or `reference` is empty.
std::optional<std::string> resolve_reference(std::string_view base, std::string_view reference);

// The request head of a GET for `url`: HTTP/1.1, one connection per request ("Connection: close"), no
// content coding asked for.
std::string format_get_request(const HttpUrl& url, std::string_view user_agent);

}  // namespace bt::http
