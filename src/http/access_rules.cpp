#include "http/access_rules.hpp"

#include <array>
#include <cctype>
#include <cstdint>

#include "core/base64.hpp"
#include "http/header_text.hpp"

namespace bt::http {

using detail::iequals;
using detail::lower;
using detail::trim;

namespace {

// "host:port" in lower case with the scheme's default port left out, so that "http://h" and "h:80" agree.
std::string normalised_authority(std::string_view authority, std::string_view default_port) {
    std::string text = lower(trim(authority));
    const std::size_t colon = text.rfind(':');
    const std::size_t bracket = text.rfind(']');
    const bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
    if (has_port && std::string_view(text).substr(colon + 1) == default_port) text.resize(colon);
    return text;
}

}  // namespace

std::vector<std::string> split_list(std::string_view list) {
    std::vector<std::string> items;
    while (!list.empty()) {
        const std::size_t comma = std::min(list.find(','), list.size());
        if (const auto item = trim(list.substr(0, comma)); !item.empty()) items.emplace_back(item);
        list.remove_prefix(std::min(comma + 1, list.size()));
    }
    return items;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
    // Greedy with backtracking to the last '*': linear in practice, never exponential.
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos;
    std::size_t star_text = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_text = t;
        } else if (p < pattern.size() && std::tolower(static_cast<unsigned char>(pattern[p])) ==
                                             std::tolower(static_cast<unsigned char>(text[t]))) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++star_text;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool address_allowed(const std::vector<std::string>& allow_list, const Endpoint& peer) {
    const std::string text = peer.address_string();
    for (const auto& entry : allow_list) {
        if (entry.find('*') != std::string::npos) {
            if (wildcard_match(entry, text)) return true;
        } else if (const auto address = parse_ip_address(entry, peer.port); address && *address == peer) {
            return true;
        }
    }
    return false;
}

std::string host_of(std::string_view authority) {
    authority = trim(authority);
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        return close == std::string_view::npos ? std::string() : lower(authority.substr(1, close - 1));
    }
    return lower(authority.substr(0, std::min(authority.find(':'), authority.size())));
}

bool host_allowed(std::string_view host_header, const std::vector<std::string>& allowed_names) {
    const std::string host = host_of(host_header);
    if (host.empty()) return false;
    if (parse_ip_address(host) || host == "localhost" || host == "localhost.") return true;
    for (const auto& name : allowed_names) {
        if (wildcard_match(name, host)) return true;
    }
    return false;
}

bool origin_matches_host(std::string_view origin, std::string_view host_header) {
    origin = trim(origin);
    std::string_view default_port;
    if (origin.size() > 7 && iequals(origin.substr(0, 7), "http://")) {
        default_port = "80";
        origin.remove_prefix(7);
    } else if (origin.size() > 8 && iequals(origin.substr(0, 8), "https://")) {
        default_port = "443";
        origin.remove_prefix(8);
    } else {
        return false;  // "null" or something that is not a web origin
    }
    if (origin.ends_with('/')) origin.remove_suffix(1);
    // The Host has no scheme; an http Origin's default port is the one it left out.
    return normalised_authority(origin, default_port) == normalised_authority(host_header, default_port);
}

bool constant_time_equals(std::string_view sent, std::string_view secret) {
    unsigned diff = sent.size() == secret.size() ? 0 : 1;
    for (std::size_t i = 0; i < secret.size(); ++i) {
        const char s = i < sent.size() ? sent[i] : '\0';
        diff |= static_cast<unsigned char>(s) ^ static_cast<unsigned char>(secret[i]);
    }
    return diff == 0;
}

bool parse_basic_credentials(std::string_view authorization, std::string& user, std::string& password) {
    authorization = trim(authorization);
    if (authorization.size() < 6 || !iequals(authorization.substr(0, 6), "basic ")) return false;
    const auto maybe_decoded = decode_base64(trim(authorization.substr(6)));
    if (!maybe_decoded) return false;
    const std::string& decoded = *maybe_decoded;
    const std::size_t colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    user = decoded.substr(0, colon);
    password = decoded.substr(colon + 1);
    return true;
}

}  // namespace bt::http
