#pragma once
// `bitveil status`'s line from a daemon's torrent-get reply (fields status, rateDownload, rateUpload and
// bitveil-peers-by-kind): the torrents by state, the rates, the peers by kind of connection.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace bt::cli {

// nullopt when the reply is not a successful torrent-get.
std::optional<std::string> daemon_status_line(const nlohmann::json& reply);

}  // namespace bt::cli
