#pragma once
// Magnet URIs (BEP 9): magnet:?xt=urn:btih:<40 hex | 32 base32>&dn=...&tr=...&x.pe=host:port
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "metainfo/metainfo.hpp"

namespace bt::metainfo {

struct Magnet {
    InfoHash info_hash;
    std::string display_name;           // dn, percent-decoded; may be empty
    std::vector<std::string> trackers;  // every tr, percent-decoded, in order, duplicates removed
    std::vector<std::string> peers;     // every x.pe (host:port), percent-decoded
};

Result<Magnet, Error> parse_magnet(std::string_view uri);
bool looks_like_magnet(std::string_view text);
// A magnet link for the torrent: xt, dn (when `name` is not empty) and a tr for each tracker, with every
// byte outside RFC 3986's unreserved set percent-encoded, so parse_magnet() reads it back unchanged.
std::string make_magnet(const InfoHash& info_hash, std::string_view name,
                        const std::vector<std::vector<std::string>>& trackers);  // starts with "magnet:" (case-insensitive)

}  // namespace bt::metainfo
