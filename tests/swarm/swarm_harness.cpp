#include "swarm/swarm_harness.hpp"

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>

namespace bt::swarm::test {

namespace {

// Uploads stop while this much waits to be sent on a link side (as PeerConnection's send buffer bound).
constexpr std::size_t kMaxSendBuffer = 1024 * 1024;

PiecePicker make_picker(const TorrentData& torrent, std::uint64_t seed) {
    PickerConfig config;
    config.num_pieces = torrent.num_pieces();
    config.piece_length = torrent.piece_length;
    config.total_size = torrent.bytes.size();
    config.seed = seed;
    auto picker = PiecePicker::create(config);
    if (!picker) throw std::runtime_error("picker: " + picker.error().message());
    return std::move(*picker);
}

SwarmSettings node_settings(const NodeOptions& options) {
    auto s = options.settings;
    wire::set_extension_protocol(s.reserved);
    wire::set_fast_extension(s.reserved, options.fast_extension);
    s.client_name = "harness";
    return s;
}

}  // namespace

TorrentData TorrentData::generate(std::uint32_t num_pieces, std::uint32_t piece_length,
                                  std::uint32_t last_piece, std::uint64_t seed) {
    TorrentData t;
    t.piece_length = piece_length;
    t.bytes.resize(std::uint64_t{num_pieces - 1} * piece_length + last_piece);
    std::mt19937_64 rng(seed);
    for (auto& b : t.bytes) b = static_cast<std::uint8_t>(rng());
    for (std::uint32_t i = 0; i < num_pieces; ++i) {
        const auto size = t.piece_size(PieceIndex{i});
        t.hashes.push_back(crypto::sha1(std::span(t.bytes).subspan(std::size_t{i} * piece_length, size)));
    }
    return t;
}

std::uint32_t TorrentData::piece_size(PieceIndex piece) const {
    const auto begin = std::uint64_t{piece.value} * piece_length;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(piece_length, bytes.size() - begin));
}

Node::Node(std::string name, std::uint32_t index, const TorrentData& torrent, NodeOptions options)
    : name_(std::move(name)),
      address_(Endpoint::v4({127, 1, static_cast<std::uint8_t>(index >> 8), static_cast<std::uint8_t>(index)},
                            6881)),
      torrent_(torrent),
      options_(std::move(options)),
      swarm_(*this, make_picker(torrent, options_.seed_value), node_settings(options_), options_.seed_value) {
    std::memcpy(peer_id_.data(), "-HN0001-", 8);
    peer_id_[8] = static_cast<std::uint8_t>(index >> 8);
    peer_id_[9] = static_cast<std::uint8_t>(index);
    // A seed serves the torrent's own bytes (1,000 seeds need no 1,000 copies); others start empty.
    if (!options_.seed) storage_.resize(torrent.bytes.size());
    if (options_.seed) {
        for (std::uint32_t i = 0; i < torrent.num_pieces(); ++i)
            swarm_.picker().on_piece_verified(PieceIndex{i});
    }
}

void Node::store_block(const Block& block, std::span<const std::uint8_t> data) {
    auto& piece = partial_[block.piece.value];
    piece.resize(torrent_.piece_size(block.piece));
    std::memcpy(piece.data() + block.begin, data.data(), block.length);
}

void Node::run_disk() {
    for (const auto piece : std::exchange(completed_, {})) {
        auto node = partial_.extract(piece.value);
        if (node.empty()) continue;
        const auto& data = node.mapped();
        if (crypto::sha1(data) == torrent_.hashes[piece.value]) {
            std::memcpy(storage_.data() + std::size_t{piece.value} * torrent_.piece_length, data.data(),
                        data.size());
            swarm_.on_piece_verified(piece);
            if (swarm_.is_complete()) swarm_.on_download_complete();
        } else {
            swarm_.on_piece_failed(piece);
        }
    }
}

void Node::read_block(const Block& block, std::vector<std::uint8_t>& out) const {
    const auto& bytes = options_.seed ? torrent_.bytes : storage_;
    const auto begin = std::size_t{block.piece.value} * torrent_.piece_length + block.begin;
    out.assign(bytes.begin() + static_cast<std::ptrdiff_t>(begin),
               bytes.begin() + static_cast<std::ptrdiff_t>(begin + block.length));
    if (options_.corrupt) {
        for (auto& b : out) b = static_cast<std::uint8_t>(~b);
    }
}

Link::Link(Node& a, Node& b, std::uint64_t rate, std::uint32_t num_pieces, PeerId id_at_a, PeerId id_at_b,
           TimePoint now)
    : a_(num_pieces), b_(num_pieces), rate_(rate) {
    a_.node = &a;
    b_.node = &b;
    const wire::Handshake from_b{b.swarm().settings().reserved, {}, b.peer_id()};
    const wire::Handshake from_a{a.swarm().settings().reserved, {}, a.peer_id()};
    a_.session = std::make_unique<PeerSession>(a.swarm(), id_at_a, a_, b.address(), from_b, now);
    b_.session = std::make_unique<PeerSession>(b.swarm(), id_at_b, b_, a.address(), from_a, now);
    a_.session->start();
    b_.session->start();
}

Link::~Link() = default;

void Link::serve_uploads(Side& from) {
    if (!from.node->options().serves_uploads) return;
    std::vector<std::uint8_t> data;
    // Like a socket's send buffer: what was sent but not delivered yet counts too.
    while (!from.session->is_closed() &&
           from.session->output_size() + from.in_transit.size() - from.in_transit_offset <= kMaxSendBuffer) {
        const auto block = from.session->next_upload();
        if (!block) break;
        from.node->read_block(*block, data);
        from.session->on_block_read(*block, data);
    }
}

void Link::transfer(Side& from, Side& to, std::uint64_t budget, TimePoint now) {
    if (from.session->output_size() > 0) {
        std::vector<std::uint8_t> out;
        from.session->take_output(out);
        from.in_transit.insert(from.in_transit.end(), out.begin(), out.end());
        from.session->on_sent(now);
    }
    const auto available = from.in_transit.size() - from.in_transit_offset;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(available, budget));
    if (n == 0) return;
    to.reader.feed(std::span(from.in_transit).subspan(from.in_transit_offset, n));
    from.in_transit_offset += n;
    if (from.in_transit_offset == from.in_transit.size()) {
        from.in_transit.clear();
        from.in_transit_offset = 0;
    }
    while (!to.session->is_closed()) {
        auto item = to.reader.next();
        if (!item) {
            to.session->on_protocol_error(item.error().message());
            return;
        }
        if (std::holds_alternative<wire::NeedMore>(*item)) break;
        const auto frame = to.reader.last_frame().size();
        if (const auto* message = std::get_if<wire::Message>(&*item)) {
            ++to.received[std::string(wire::name_of(*message))];
            to.session->on_message(*message, frame, now);
        } else {
            to.session->on_unknown_message(frame, now);
        }
    }
}

void Link::step(std::chrono::milliseconds dt, TimePoint now) {
    // A side that closed hangs up: the other side sees the connection end.
    if (a_.session->is_closed() != b_.session->is_closed()) {
        (a_.session->is_closed() ? b_ : a_).session->close({"closed by peer", false});
    }
    if (!is_open()) return;
    const std::uint64_t budget = rate_ * static_cast<std::uint64_t>(dt.count()) / 1000;
    serve_uploads(a_);
    serve_uploads(b_);
    transfer(a_, b_, budget, now);
    if (is_open()) transfer(b_, a_, budget, now);
}

Node& Harness::add_node(const std::string& name, NodeOptions options) {
    nodes_.push_back(std::make_unique<Node>(name, static_cast<std::uint32_t>(nodes_.size() + 1), torrent_,
                                            std::move(options)));
    return *nodes_.back();
}

Link& Harness::connect(Node& a, Node& b, std::uint64_t rate) {
    const PeerId id_at_a{next_peer_id_++};
    const PeerId id_at_b{next_peer_id_++};
    links_.push_back(std::make_unique<Link>(a, b, rate, torrent_.num_pieces(), id_at_a, id_at_b, now_));
    return *links_.back();
}

void Harness::step() {
    now_ += kStep;
    for (auto& link : links_) link->step(kStep, now_);
    for (auto& node : nodes_) node->run_disk();
    if (now_ >= next_tick_) {
        next_tick_ += std::chrono::seconds(1);
        for (auto& node : nodes_) node->swarm().tick(now_);
    }
}

}  // namespace bt::swarm::test
