#include "metainfo/magnet.hpp"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "core/hex.hpp"

namespace bt::metainfo {

namespace {

constexpr std::string_view kScheme = "magnet:";
constexpr std::string_view kBtih = "urn:btih:";
constexpr std::string_view kBtmh = "urn:btmh:";

Unexpected<Error> error(std::string detail) {
    return fail(Error{Errc::invalid_magnet, std::move(detail)});
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        return lower(a) == lower(b);
    });
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// RFC 3986 percent-decoding; with `plus_is_space`, '+' means ' ' (HTML form encoding, seen in dn).
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return std::nullopt;
            const int hi = hex_digit(in[i + 1]);
            const int lo = hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi << 4 | lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Result<InfoHash, Error> parse_btih(std::string_view hash) {
    std::optional<std::vector<std::uint8_t>> bytes;
    if (hash.size() == 40) {
        bytes = from_hex(hash);
        if (!bytes) return error("xt: the info-hash is not valid hex");
    } else if (hash.size() == 32) {
        bytes = from_base32(hash);
        if (!bytes) return error("xt: the info-hash is not valid base32");
    } else {
        return error("xt: the info-hash must be 40 hex or 32 base32 characters, not " +
                     std::to_string(hash.size()));
    }
    InfoHash ih;
    if (bytes->size() != ih.bytes.size()) return error("xt: the info-hash does not decode to 20 bytes");
    std::copy(bytes->begin(), bytes->end(), ih.bytes.begin());
    return ih;
}

void add_unique(std::vector<std::string>& out, std::unordered_set<std::string>& seen, std::string value) {
    if (!value.empty() && seen.insert(value).second) out.push_back(std::move(value));
}

}  // namespace

bool looks_like_magnet(std::string_view text) {
    return starts_with_nocase(text, kScheme);
}

Result<Magnet, Error> parse_magnet(std::string_view uri) {
    if (!looks_like_magnet(uri)) return error("not a magnet link (must start with 'magnet:')");
    std::string_view rest = uri.substr(kScheme.size());
    if (rest.empty() || rest.front() != '?') return error("expected '?' after 'magnet:'");
    rest.remove_prefix(1);
    if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);

    Magnet m;
    bool have_hash = false;
    bool saw_btmh = false;
    bool saw_xt = false;
    bool have_dn = false;
    std::unordered_set<std::string> seen_trackers;
    std::unordered_set<std::string> seen_peers;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view param = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (param.empty()) continue;
        const auto eq = param.find('=');
        const std::string_view key = param.substr(0, eq);
        const std::string_view raw = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);

        const bool is_xt = key == "xt" || key.starts_with("xt.");
        const bool is_dn = key == "dn";
        const bool is_tr = key == "tr" || key.starts_with("tr.");
        const bool is_pe = key == "x.pe";
        if (!is_xt && !is_dn && !is_tr && !is_pe) continue;  // unknown parameters are ignored

        auto value = percent_decode(raw, is_dn);
        if (!value) return error(std::string(key) + ": bad percent-escape");
        if (is_xt) {
            saw_xt = true;
            if (starts_with_nocase(*value, kBtih)) {
                auto ih = parse_btih(std::string_view(*value).substr(kBtih.size()));
                if (!ih) return fail(std::move(ih).error());
                if (have_hash && *ih != m.info_hash) return error("xt: two different urn:btih info-hashes");
                m.info_hash = *ih;
                have_hash = true;
            } else if (starts_with_nocase(*value, kBtmh)) {
                saw_btmh = true;
            }
        } else if (is_dn) {
            if (!have_dn) m.display_name = std::move(*value);
            have_dn = true;
        } else if (is_tr) {
            add_unique(m.trackers, seen_trackers, std::move(*value));
        } else {
            add_unique(m.peers, seen_peers, std::move(*value));
        }
    }
    if (!have_hash) {
        if (saw_btmh) {
            return error(
                "xt: v2-only magnet links (urn:btmh, BEP 52) are not supported; "
                "a urn:btih info-hash is needed");
        }
        if (saw_xt) return error("xt: not a BitTorrent info-hash (expected urn:btih:)");
        return error("xt: missing");
    }
    return m;
}

namespace {

void append_percent_encoded(std::string& out, std::string_view text) {
    constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                                (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        }
    }
}

}  // namespace

std::string make_magnet(const InfoHash& info_hash, std::string_view name,
                        const std::vector<std::vector<std::string>>& trackers) {
    std::string out = "magnet:?xt=urn:btih:" + info_hash.hex();
    if (!name.empty()) {
        out += "&dn=";
        append_percent_encoded(out, name);
    }
    for (const auto& tier : trackers) {
        for (const auto& url : tier) {
            out += "&tr=";
            append_percent_encoded(out, url);
        }
    }
    return out;
}

}  // namespace bt::metainfo
