#pragma once
// What PeerSession and Swarm tests run against instead of a torrent and a connection: a host that records
// what it is told, an I/O layer that counts its wake-ups, a small piece picker and a remote handshake.
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "swarm/peer_session.hpp"
#include "swarm/swarm.hpp"

namespace bt::swarm::test {

struct FakeHost final : SwarmHost {
    std::vector<Block> stored;
    std::vector<PieceIndex> completed;
    std::vector<CloseReason> closed;
    std::vector<Endpoint> banned;
    void store_block(const Block& block, std::span<const std::uint8_t>) override { stored.push_back(block); }
    void on_piece_complete(PieceIndex piece) override { completed.push_back(piece); }
    bool disk_backlogged() const override { return false; }
    void on_peer_closed(PeerSession&, const CloseReason& reason) override { closed.push_back(reason); }
    void on_corrupt_peer_banned(const Endpoint& address) override { banned.push_back(address); }
};

struct FakeIo final : PeerIo {
    std::optional<CloseReason> closed;
    std::uint32_t outputs = 0;
    std::uint32_t upload_wakes = 0;
    std::uint32_t extension_handshakes = 0;
    std::vector<std::uint16_t> dht_ports;
    void on_output() override { ++outputs; }
    void on_upload_ready() override { ++upload_wakes; }
    void on_closed(const CloseReason& reason) override { closed = reason; }
    void on_extension_handshake(bool) override { ++extension_handshakes; }
    void on_dht_port(std::uint16_t port) override { dht_ports.push_back(port); }
};

inline PiecePicker small_picker(std::uint32_t num_pieces, std::uint32_t piece_length) {
    PickerConfig c;
    c.num_pieces = num_pieces;
    c.piece_length = piece_length;
    c.total_size = std::uint64_t{num_pieces} * piece_length;
    c.seed = 3;
    return std::move(*PiecePicker::create(c));
}

// The handshake of a peer whose id is `id` repeated.
inline wire::Handshake remote_handshake(bool extensions, bool fast, char id = 'r') {
    wire::Handshake h{};
    wire::set_extension_protocol(h.reserved, extensions);
    wire::set_fast_extension(h.reserved, fast);
    h.peer_id.fill(static_cast<std::uint8_t>(id));
    return h;
}

}  // namespace bt::swarm::test
