#pragma once
// A deterministic swarm for tests: several swarm::Swarm cores (one per node, each a torrent in a session)
// wired together by in-memory links, with a fake clock and in-memory storage. A link carries bytes at a
// set rate each way; every step moves the bytes, feeds the frames through a real wire::MessageReader into
// the receiving PeerSession, serves uploads and runs the nodes' hash checks; every simulated second the
// swarms tick. Nothing is random but the seeds given, so a scenario runs the same way every time, and a
// minute of simulated time costs milliseconds. (libtorrent's simulator is the model.)
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/sha1.hpp"
#include "swarm/peer_session.hpp"
#include "swarm/swarm.hpp"
#include "wire/message_reader.hpp"

namespace bt::swarm::test {

using TimePoint = PeerSession::TimePoint;
using namespace std::chrono_literals;

// The content of a torrent and its piece hashes.
struct TorrentData {
    std::uint32_t piece_length = 0;
    std::vector<std::uint8_t> bytes;
    std::vector<crypto::Sha1Digest> hashes;

    static TorrentData generate(std::uint32_t num_pieces, std::uint32_t piece_length,
                                std::uint32_t last_piece, std::uint64_t seed);
    std::uint32_t num_pieces() const { return static_cast<std::uint32_t>(hashes.size()); }
    std::uint32_t piece_size(PieceIndex piece) const;
};

struct NodeOptions {
    bool seed = false;            // starts with every piece
    bool serves_uploads = true;   // false: takes requests and never answers them (a stalled peer)
    bool corrupt = false;         // serves every block with its bytes flipped
    bool fast_extension = false;  // sets the BEP 6 bit (HAVE_ALL / HAVE_NONE, REJECT)
    SwarmSettings settings = {};
    std::uint64_t seed_value = 1;  // for the picker and the choker
};

class Harness;

class Node final : public SwarmHost {
  public:
    // `index` makes the node's address (127.1.x.y, never dialled: links are in memory) and peer id.
    Node(std::string name, std::uint32_t index, const TorrentData& torrent, NodeOptions options);

    const std::string& name() const noexcept { return name_; }
    const Endpoint& address() const noexcept { return address_; }
    const wire::PeerId& peer_id() const noexcept { return peer_id_; }
    const NodeOptions& options() const noexcept { return options_; }
    Swarm& swarm() noexcept { return swarm_; }
    bool is_complete() const noexcept { return swarm_.is_complete(); }
    // Every byte on "disk" equals the torrent's (only meaningful once complete).
    bool data_matches(const TorrentData& torrent) const { return options_.seed || storage_ == torrent.bytes; }
    std::size_t partial_pieces() const noexcept { return partial_.size(); }
    // Why this node's sessions closed, in order.
    const std::vector<CloseReason>& closed() const noexcept { return closed_; }
    const std::vector<Endpoint>& banned() const noexcept { return banned_; }

    // Hashes the pieces completed since the last call, then reports them to the swarm.
    void run_disk();
    void read_block(const Block& block, std::vector<std::uint8_t>& out) const;

  private:
    void store_block(const Block& block, std::span<const std::uint8_t> data) override;
    void on_piece_complete(PieceIndex piece) override { completed_.push_back(piece); }
    bool disk_backlogged() const override { return false; }
    void on_peer_closed(PeerSession&, const CloseReason& reason) override { closed_.push_back(reason); }
    void on_corrupt_peer_banned(const Endpoint& address) override { banned_.push_back(address); }

    std::string name_;
    Endpoint address_;
    wire::PeerId peer_id_{};
    const TorrentData& torrent_;
    NodeOptions options_;
    Swarm swarm_;
    std::vector<std::uint8_t> storage_;
    std::map<std::uint32_t, std::vector<std::uint8_t>> partial_;
    std::vector<PieceIndex> completed_;
    std::vector<CloseReason> closed_;
    std::vector<Endpoint> banned_;
};

// One connection between two nodes. Each side is a PeerSession of its node's swarm.
class Link {
  public:
    struct Side final : PeerIo {
        Node* node = nullptr;
        std::unique_ptr<PeerSession> session;
        wire::MessageReader reader;
        std::vector<std::uint8_t> in_transit;  // sent, not yet delivered to the other side
        std::size_t in_transit_offset = 0;
        std::optional<CloseReason> closed;
        std::map<std::string, std::uint32_t> received;  // messages received, by name

        explicit Side(std::uint32_t num_pieces) : reader(num_pieces) {}
        void on_output() override {}
        void on_upload_ready() override {}
        void on_closed(const CloseReason& reason) override { closed = reason; }
        void on_extension_handshake(bool) override {}
    };

    // `rate`: bytes per second each way.
    Link(Node& a, Node& b, std::uint64_t rate, std::uint32_t num_pieces, PeerId id_at_a, PeerId id_at_b,
         TimePoint now);
    ~Link();

    Side& side_of(const Node& node) { return &node == a_.node ? a_ : b_; }
    PeerSession& session_at(const Node& node) { return *side_of(node).session; }
    bool is_open() const { return !a_.session->is_closed() && !b_.session->is_closed(); }
    void step(std::chrono::milliseconds dt, TimePoint now);

  private:
    void serve_uploads(Side& from);
    void transfer(Side& from, Side& to, std::uint64_t budget, TimePoint now);

    Side a_;
    Side b_;
    std::uint64_t rate_;
};

class Harness {
  public:
    explicit Harness(TorrentData torrent) : torrent_(std::move(torrent)) {}

    const TorrentData& torrent() const noexcept { return torrent_; }
    TimePoint now() const noexcept { return now_; }
    Node& add_node(const std::string& name, NodeOptions options);
    Link& connect(Node& a, Node& b, std::uint64_t rate);
    const std::vector<std::unique_ptr<Link>>& links() const noexcept { return links_; }

    // Advances the clock in steps of `step` until `done` holds or `limit` of simulated time has passed;
    // returns whether `done` held. `on_step` runs after every step (for checks along the way).
    template <class Done, class OnStep>
    bool run_until(Done done, std::chrono::seconds limit, OnStep on_step);
    template <class Done>
    bool run_until(Done done, std::chrono::seconds limit) {
        return run_until(done, limit, [] {});
    }
    void run_for(std::chrono::seconds duration) {
        run_until([] { return false; }, duration);
    }
    void step();

  private:
    static constexpr std::chrono::milliseconds kStep{10};

    TorrentData torrent_;
    TimePoint now_{std::chrono::hours(1)};
    TimePoint next_tick_ = now_ + std::chrono::seconds(1);
    std::uint32_t next_peer_id_ = 1;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::vector<std::unique_ptr<Link>> links_;  // after nodes_: destroyed first
};

template <class Done, class OnStep>
bool Harness::run_until(Done done, std::chrono::seconds limit, OnStep on_step) {
    const auto end = now_ + limit;
    while (now_ < end) {
        if (done()) return true;
        step();
        on_step();
    }
    return done();
}

}  // namespace bt::swarm::test
