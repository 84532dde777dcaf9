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
bool looks_like_magnet(std::string_view text);  // starts with "magnet:" (case-insensitive)

}  // namespace bt::metainfo
