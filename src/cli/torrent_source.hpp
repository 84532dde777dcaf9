#pragma once
// Where `info` and `download` find a .torrent: a local file, or an http:// or https:// URL fetched with the
// HTTP client of tracker announces (net/http_client.hpp: the same transports, redirects and user agent),
// with the size limit of a local file (kMaxTorrentFileBytes).
#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "metainfo/metainfo.hpp"

namespace bt::cli {

enum class TorrentSource {
    file,
    url,              // http:// or https:// (any case)
    unsupported_url,  // another scheme://..., such as ftp://
};

// What `input` names. A "scheme://" prefix makes it a URL, unless a local file of that name exists.
TorrentSource torrent_source(std::string_view input);

// One line for an HTTP status that is not 200: "the server answered HTTP 404 (not found)".
std::string http_status_error(long status);

// How long fetching a URL may take when the command has no option for it (as a tracker announce).
inline constexpr std::chrono::seconds kTorrentFetchTimeout{30};

// The .torrent that `input` names, read and parsed. Blocks while a URL is fetched (`timeout` at most). The
// error is one line that does not repeat `input`: the file's error, or for a URL the HTTP status, the
// network error, the size limit, or "not a .torrent file (...)".
Result<metainfo::Metainfo, std::string> load_torrent(const std::string& input,
                                                     std::chrono::seconds timeout = kTorrentFetchTimeout);

}  // namespace bt::cli
