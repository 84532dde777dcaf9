#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace bt::swarm {

// Counters a torrent keeps for the progress line, the tracker and --stats-json.
struct TransferStats {
    std::uint64_t payload_downloaded = 0;  // piece data received (including data later discarded)
    std::uint64_t payload_uploaded = 0;
    std::uint64_t protocol_downloaded = 0;  // every other byte on the wire (handshakes, headers, ...)
    std::uint64_t protocol_uploaded = 0;
    std::uint64_t wasted = 0;  // duplicate or unexpected blocks, and pieces that failed the hash check
    std::uint32_t pieces_verified = 0;     // this session, from the network
    std::uint32_t pieces_from_disk = 0;    // found complete on disk at start
    std::uint32_t pieces_from_resume = 0;  // of pieces_from_disk: trusted from resume data, not hashed
    std::uint32_t pieces_rechecked = 0;    // hashed at start (files changed since the resume data, or none)
    std::uint32_t files_rechecked = 0;     // files on disk that did not match the resume data
    std::uint32_t hash_failures = 0;
    std::uint32_t peers_connected_in = 0;
    std::uint32_t peers_connected_out = 0;
    std::uint32_t peers_banned = 0;
    // Why connections were closed or refused: "connect failed", "handshake timeout", "banned", ...
    std::map<std::string, std::uint32_t> closed_by_reason;
    // Established connections by kind: "plaintext", "mse_rc4", "mse_header".
    std::map<std::string, std::uint32_t> connections_by_kind;

    // Totals over several torrents (the CLI's report for a multi-torrent session).
    TransferStats& operator+=(const TransferStats& other) {
        payload_downloaded += other.payload_downloaded;
        payload_uploaded += other.payload_uploaded;
        protocol_downloaded += other.protocol_downloaded;
        protocol_uploaded += other.protocol_uploaded;
        wasted += other.wasted;
        pieces_verified += other.pieces_verified;
        pieces_from_disk += other.pieces_from_disk;
        pieces_from_resume += other.pieces_from_resume;
        pieces_rechecked += other.pieces_rechecked;
        files_rechecked += other.files_rechecked;
        hash_failures += other.hash_failures;
        peers_connected_in += other.peers_connected_in;
        peers_connected_out += other.peers_connected_out;
        peers_banned += other.peers_banned;
        for (const auto& [reason, count] : other.closed_by_reason) closed_by_reason[reason] += count;
        for (const auto& [kind, count] : other.connections_by_kind) connections_by_kind[kind] += count;
        return *this;
    }
};

}  // namespace bt::swarm
