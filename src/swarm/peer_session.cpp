#include "swarm/peer_session.hpp"

#include <algorithm>

#include "swarm/allowed_fast.hpp"
#include "swarm/request_queue.hpp"
#include "swarm/swarm.hpp"
#include "wire/ut_metadata.hpp"

namespace bt::swarm {

namespace {

// True when `peer` has a piece `have` lacks (spare bits are zero in both).
bool has_piece_we_want(const Bitfield& peer, const Bitfield& have, const Bitfield& wanted) {
    const auto p = peer.bytes();
    const auto h = have.bytes();
    const auto w = wanted.bytes();
    for (std::size_t i = 0; i < p.size() && i < h.size() && i < w.size(); ++i) {
        if ((p[i] & ~h[i] & w[i]) != 0) return true;
    }
    return false;
}

template <class Container>
bool erase_block(Container& blocks, const Block& block) {
    auto it = std::find(blocks.begin(), blocks.end(), block);
    if (it == blocks.end()) return false;
    blocks.erase(it);
    return true;
}

template <class Container>
bool contains(const Container& pieces, PieceIndex piece) {
    return std::find(pieces.begin(), pieces.end(), piece) != pieces.end();
}

bool is_fast_message(const wire::Message& m) {
    return std::holds_alternative<wire::HaveAll>(m) || std::holds_alternative<wire::HaveNone>(m) ||
           std::holds_alternative<wire::SuggestPiece>(m) || std::holds_alternative<wire::RejectRequest>(m) ||
           std::holds_alternative<wire::AllowedFast>(m);
}

}  // namespace

PeerSession::PeerSession(Swarm& swarm, PeerId id, PeerIo& io, const Endpoint& address,
                         const wire::Handshake& remote, TimePoint now)
    : swarm_(swarm),
      id_(id),
      io_(io),
      address_(address),
      remote_(remote),
      fast_(wire::has_fast_extension(swarm.settings().reserved) && wire::has_fast_extension(remote.reserved)),
      extension_protocol_(wire::has_extension_protocol(swarm.settings().reserved) &&
                          wire::has_extension_protocol(remote.reserved)),
      dht_(wire::has_dht(swarm.settings().reserved) && wire::has_dht(remote.reserved)),
      peer_has_(swarm.picker().num_pieces()),
      request_waste_budget_(kRequestFloodBurst * swarm.settings().peer.max_incoming_requests),
      last_receive_(now),
      last_send_(now),
      last_block_(now),
      now_(now) {
    swarm_.join(*this, address_);
}

PeerSession::~PeerSession() {
    if (closed_) return;
    // Destroyed without a close (its owner went away): what it held in the swarm is given back, silently.
    closed_ = true;
    release_requests();
    count_availability(false);
    swarm_.forget(*this);
}

std::string PeerSession::client_name() const {
    if (!extensions_.client().empty()) return wire::printable_client_name(extensions_.client());
    // Azureus style "-XX1234-": enough to tell clients apart in logs.
    const auto& p = remote_.peer_id;
    if (p[0] == '-' && p[7] == '-')
        return wire::printable_client_name(std::string_view(reinterpret_cast<const char*>(p.data()) + 1, 6));
    return "unknown";
}

void PeerSession::start() {
    const auto& have = swarm_.picker().have();
    if (fast_ && have.all()) {
        queue(wire::HaveAll{});
    } else if (fast_ && have.none()) {
        queue(wire::HaveNone{});
    } else if (!have.none()) {
        queue(wire::Bitfield{have.bytes()});
    }
    if (extension_protocol_) send_extension_handshake();
}

void PeerSession::send_dht_port(std::uint16_t port) {
    if (dht_ && !closed_ && port != 0) queue(wire::Port{port});
}

void PeerSession::close(const CloseReason& reason) {
    if (closed_) return;
    closed_ = true;
    release_requests();
    count_availability(false);
    incoming_requests_.clear();
    reading_.clear();
    metadata_requests_.clear();
    io_.on_closed(reason);
    swarm_.leave(*this, reason, now_);  // last: the host may drop the connection that owns this session
}

void PeerSession::count_availability(bool add) {
    auto& picker = swarm_.picker();
    if (counted_as_seed_) {
        if (add) {
            picker.add_peer_have_all();
        } else {
            picker.remove_peer_have_all();
        }
    } else if (!peer_has_.none()) {
        if (add) {
            (void)picker.add_peer_bitfield(peer_has_);
        } else {
            (void)picker.remove_peer_bitfield(peer_has_);
        }
    }
}

void PeerSession::remember_released(const Block& block) {
    if (released_.size() >= kMaxReleasedRemembered) released_.pop_front();
    released_.push_back(block);
}

void PeerSession::waste_request() {
    if (request_waste_budget_ > 0) {
        --request_waste_budget_;
        return;
    }
    close({"request flood", false});
}

void PeerSession::release_requests() {
    swarm_.picker().on_peer_gone(id_);
    swarm_.on_requests_done(static_cast<std::uint32_t>(outstanding_.size()));
    for (const auto& block : outstanding_) remember_released(block);
    outstanding_.clear();
}

void PeerSession::queue(const wire::Message& message) {
    if (closed_) return;
    wire::encode(message, out_);
    swarm_.stats().protocol_uploaded += wire::encoded_size(message);
    io_.on_output();
}

void PeerSession::take_output(std::vector<std::uint8_t>& into) {
    into.clear();
    std::swap(into, out_);
    answer_metadata_requests();  // the outbox has room again
}

void PeerSession::send_have(PieceIndex piece) {
    queue(wire::Have{piece});
    update_interest();
}

void PeerSession::set_choking(bool choke) {
    if (choke == am_choking_ || closed_) return;
    am_choking_ = choke;
    if (choke) {
        queue(wire::Choke{});
        // BEP 3: a choke discards the peer's pending requests (those being read are dropped when they are).
        // BEP 6: "If a peer has the fast extension enabled, a peer must reject all pending requests when it
        // chokes": the peer learns of each one it lost. Requests for its allowed fast pieces stand: they are
        // served while it is choked.
        const auto dropped = [this](const Block& r) { return !is_granted(r.piece); };
        const auto drop = [&](auto& requests) {
            for (const auto& r : requests) {
                if (fast_ && dropped(r)) queue(wire::RejectRequest{r.piece, r.begin, r.length});
            }
            std::erase_if(requests, dropped);
        };
        drop(incoming_requests_);
        drop(reading_);
    } else {
        queue(wire::Unchoke{});
        io_.on_upload_ready();
    }
}

void PeerSession::send_cancel(const Block& block) {
    if (erase_block(outstanding_, block)) {
        swarm_.on_requests_done(1);
        queue(wire::Cancel{block.piece, block.begin, block.length});
        remember_released(block);
    }
}

void PeerSession::update_interest() {
    if (closed_) return;
    const auto& picker = swarm_.picker();
    const bool want = !swarm_.is_complete() && has_piece_we_want(peer_has_, picker.have(), picker.wanted());
    if (want == am_interested_) return;
    am_interested_ = want;
    queue(want ? wire::Message{wire::Interested{}} : wire::Message{wire::NotInterested{}});
}

void PeerSession::request_more() {
    if (closed_ || !am_interested_ || swarm_.disk_backlogged()) return;
    // Choked: only pieces the peer allowed fast (BEP 6), as libtorrent asks.
    if (peer_choking_ && allowed_fast_.empty()) return;
    // The swarm's budget (max_requests_in_flight) bounds the memory of pieces in progress however many
    // peers there are; a peer that finds it spent asks again when its next block arrives.
    // A snubbed peer gets one request at a time until a block comes back: the requests it held went back to
    // the pool for the other peers, and the picker would otherwise hand them straight back to it.
    const auto target =
        snubbed_ ? 1u
                 : request_queue_target(download_rate_, downloaded_this_tick_, extensions_.request_queue());
    const auto wanted =
        requests_to_send(target, static_cast<std::uint32_t>(outstanding_.size()), swarm_.request_budget());
    if (wanted == 0) return;
    if (outstanding_.empty()) last_block_ = now_;
    std::erase_if(suggested_, [this](PieceIndex p) { return swarm_.picker().has_piece(p); });
    std::vector<Block> blocks;
    if (peer_choking_) {
        Bitfield fast_only(peer_has_.size());
        for (const auto piece : allowed_fast_) {
            if (peer_has_.test(piece)) fast_only.set(piece);
        }
        blocks = swarm_.picker().pick(id_, fast_only, wanted, suggested_);
    } else {
        blocks = swarm_.picker().pick(id_, peer_has_, wanted, suggested_);
    }
    swarm_.on_requests_sent(static_cast<std::uint32_t>(blocks.size()));
    for (const auto& block : blocks) {
        outstanding_.push_back(block);
        queue(wire::Request{block.piece, block.begin, block.length});
    }
    if (outstanding_.empty()) update_interest();
}

void PeerSession::on_settings_changed(bool handshake_changed) {
    if (closed_) return;
    // First: a peer asking again after the choke below does so within the new 'reqq'.
    if (handshake_changed && extension_protocol_) send_extension_handshake();
    const auto limit = swarm_.settings().peer.max_incoming_requests;
    request_waste_budget_ = std::min(request_waste_budget_, kRequestFloodBurst * limit);
    if (incoming_requests_.size() > limit) {
        if (fast_) {
            while (incoming_requests_.size() > limit) {
                const Block r = incoming_requests_.back();
                incoming_requests_.pop_back();
                queue(wire::RejectRequest{r.piece, r.begin, r.length});
            }
        } else {
            set_choking(true);
            set_choking(false);
        }
        // Requests that crossed this on the wire were sent in good faith: a full bucket for them.
        request_waste_budget_ = kRequestFloodBurst * limit;
    }
    request_more();  // max_requests_in_flight may have grown
}

void PeerSession::tick(TimePoint now) {
    if (closed_) return;
    now_ = now;
    // Smoothed rates, bytes per second: new = 3/4 old + 1/4 this second.
    download_rate_ = (download_rate_ * 3 + downloaded_this_tick_) / 4;
    upload_rate_ = (upload_rate_ * 3 + uploaded_this_tick_) / 4;
    downloaded_this_tick_ = uploaded_this_tick_ = 0;
    const auto& s = swarm_.settings().peer;
    request_waste_budget_ =
        std::min(request_waste_budget_ + s.max_incoming_requests / kRequestFloodRefillDivisor,
                 kRequestFloodBurst * s.max_incoming_requests);
    if (now - last_receive_ > s.peer_idle_timeout) {
        close({"idle timeout", false});
        return;
    }
    if (!outstanding_.empty() && now - last_block_ > s.request_timeout) {
        // Snubbed: its requests go back to the pool for other peers.
        snubbed_ = true;
        release_requests();
    }
    if (now - last_send_ > s.keep_alive_interval) queue(wire::KeepAlive{});
    answer_metadata_requests();
    request_more();
}

std::optional<Block> PeerSession::next_upload() {
    // While the peer is choked, only requests for its allowed fast pieces are queued.
    if (closed_ || incoming_requests_.empty()) return std::nullopt;
    const Block block = incoming_requests_.front();
    incoming_requests_.pop_front();
    reading_.push_back(block);
    return block;
}

std::uint32_t PeerSession::requested_run_end(const Block& first, std::uint32_t max_bytes) const {
    // Peers mostly queue a piece's blocks in order: one pass finds the run, a second finds nothing more.
    // A few passes at most: a queue in reverse order would take one pass per block.
    constexpr int kMaxPasses = 4;
    std::uint32_t end = first.begin + first.length;
    bool grew = true;
    for (int pass = 0; grew && pass < kMaxPasses; ++pass) {
        grew = false;
        for (const auto& next : incoming_requests_) {
            if (next.piece != first.piece || next.begin != end) continue;
            if (end - first.begin + next.length > max_bytes) return end;
            end += next.length;
            grew = true;
        }
    }
    return end;
}

void PeerSession::on_block_read(const Block& block, std::span<const std::uint8_t> data) {
    // Gone from reading_ when the peer cancelled it or we choked it meanwhile.
    if (closed_ || !erase_block(reading_, block)) return;
    const auto header = wire::encode_piece_header(block.piece, block.begin, block.length);
    out_.insert(out_.end(), header.begin(), header.end());
    out_.insert(out_.end(), data.begin(), data.end());
    auto& stats = swarm_.stats();
    stats.protocol_uploaded += header.size();
    stats.payload_uploaded += block.length;
    uploaded_this_tick_ += block.length;
    io_.on_output();
}

void PeerSession::on_read_failed(const std::string& what) {
    close({"cannot serve a request: " + what, false});
}

void PeerSession::on_protocol_error(const std::string& what) {
    ban("protocol error: " + what);
}

void PeerSession::on_unknown_message(std::size_t frame_size, TimePoint now) {
    swarm_.stats().protocol_downloaded += frame_size;
    last_receive_ = now_ = now;
}

void PeerSession::on_message(const wire::Message& message, std::size_t frame_size, TimePoint now) {
    if (closed_) return;
    last_receive_ = now_ = now;
    const auto* piece = std::get_if<wire::Piece>(&message);
    swarm_.stats().protocol_downloaded += frame_size - (piece != nullptr ? piece->block.size() : 0);
    handle(message);
    // BEP 6 wants HAVE_ALL / HAVE_NONE first, but libtorrent sends its extended handshake (BEP 10) before
    // them; neither it nor PORT or a keep-alive says anything about pieces.
    if (!std::holds_alternative<wire::Extended>(message) && !std::holds_alternative<wire::Port>(message) &&
        !std::holds_alternative<wire::KeepAlive>(message)) {
        got_first_message_ = true;
    }
}

void PeerSession::handle(const wire::Message& message) {
    if (!fast_ && is_fast_message(message)) {
        // BEP 6: "When the fast extension is disabled, if a peer receives [one of them] the peer MUST close
        // the connection" (libtorrent does).
        close({"fast extension message without the fast extension", false});
        return;
    }
    std::visit(
        [this](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, wire::Bitfield>) {
                on_bitfield(m);
            } else if constexpr (std::is_same_v<T, wire::Have>) {
                on_have(m.index);
            } else if constexpr (std::is_same_v<T, wire::HaveAll>) {
                on_have_all();
            } else if constexpr (std::is_same_v<T, wire::HaveNone>) {
                on_have_none();
            } else if constexpr (std::is_same_v<T, wire::Choke>) {
                on_choked();
            } else if constexpr (std::is_same_v<T, wire::Unchoke>) {
                peer_choking_ = false;
                request_more();
            } else if constexpr (std::is_same_v<T, wire::Interested>) {
                peer_interested_ = true;
                send_allowed_fast();
                swarm_.on_interest_changed(now_);
            } else if constexpr (std::is_same_v<T, wire::NotInterested>) {
                peer_interested_ = false;
                swarm_.on_interest_changed(now_);
            } else if constexpr (std::is_same_v<T, wire::Request>) {
                on_request(m);
            } else if constexpr (std::is_same_v<T, wire::Cancel>) {
                on_cancel(m);
            } else if constexpr (std::is_same_v<T, wire::Piece>) {
                on_piece(m, now_);
            } else if constexpr (std::is_same_v<T, wire::RejectRequest>) {
                on_reject(m);
            } else if constexpr (std::is_same_v<T, wire::AllowedFast>) {
                on_allowed_fast(m.index);
            } else if constexpr (std::is_same_v<T, wire::SuggestPiece>) {
                on_suggest(m.index);
            } else if constexpr (std::is_same_v<T, wire::Extended>) {
                on_extended(m);
            } else if constexpr (std::is_same_v<T, wire::Port>) {
                // The first only: each one makes our node query the address, and a peer repeating
                // PORT must not turn us into a query cannon.
                if (dht_ && m.port != 0 && !heeded_dht_port_) {
                    heeded_dht_port_ = true;
                    io_.on_dht_port(m.port);
                }
            }
            // KeepAlive: nothing to do.
        },
        message);
}

void PeerSession::on_bitfield(const wire::Bitfield& message) {
    auto field = Bitfield::from_bytes(message.bytes, swarm_.picker().num_pieces());
    if (!field) {
        ban("invalid bitfield (spare bits set)");
        return;
    }
    // BEP 3 sends BITFIELD only first, but aria2 sends a fresh one later instead of several HAVEs: accept it
    // and replace what we counted for this peer.
    count_availability(false);
    peer_has_ = std::move(*field);
    counted_as_seed_ = peer_has_.all();
    count_availability(true);
    if (swarm_.is_complete() && peer_has_.all()) {
        close({"both seeds", false});
        return;
    }
    update_interest();
    request_more();
}

void PeerSession::on_have_all() {
    if (got_first_message_) {
        close({"have-all after the first message", false});
        return;
    }
    peer_has_.set_all();
    counted_as_seed_ = true;
    count_availability(true);
    if (swarm_.is_complete()) {
        close({"both seeds", false});
        return;
    }
    update_interest();
    request_more();
}

void PeerSession::on_have_none() {
    if (got_first_message_) close({"have-none after the first message", false});
}

void PeerSession::on_have(PieceIndex piece) {
    if (peer_has_.test(piece)) return;
    peer_has_.set(piece);
    if (!counted_as_seed_) (void)swarm_.picker().on_peer_have(piece);
    if (swarm_.is_complete() && peer_has_.all()) {
        close({"both seeds", false});
        return;
    }
    if (!am_interested_ && !swarm_.picker().has_piece(piece)) update_interest();
    request_more();
}

void PeerSession::on_choked() {
    peer_choking_ = true;
    // Without the fast extension a choke discards our pending requests (BEP 3); with it, the peer rejects
    // each one it drops (BEP 6).
    if (!fast_) release_requests();
}

void PeerSession::on_request(const wire::Request& request) {
    const std::uint32_t size = swarm_.picker().piece_size(request.index);
    if (request.begin > size || request.length > size - request.begin) {
        ban("request beyond the end of its piece");
        return;
    }
    if (!swarm_.picker().has_piece(request.index)) {
        close({"request for a piece we do not have", false});
        return;
    }
    // Choked: it may have crossed our choke on the wire, unless it is for an allowed fast piece. Full queue:
    // dropped. Either way it costs a token.
    const Block block{request.index, request.begin, request.length};
    // Those being read count too: the uploader takes them out of the queue ahead of sending them.
    if (incoming_requests_.size() + reading_.size() >= swarm_.settings().peer.max_incoming_requests ||
        (am_choking_ && !serve_while_choked(block))) {
        if (fast_) queue(wire::RejectRequest{request.index, request.begin, request.length});
        waste_request();
        return;
    }
    incoming_requests_.push_back(block);
    io_.on_upload_ready();
}

void PeerSession::on_cancel(const wire::Cancel& cancel) {
    const Block block{cancel.index, cancel.begin, cancel.length};
    // Still queued, or being read from the disk: either way it is not sent.
    if (!erase_block(incoming_requests_, block)) erase_block(reading_, block);
    waste_request();
}

void PeerSession::on_reject(const wire::RejectRequest& reject) {
    const Block block{reject.index, reject.begin, reject.length};
    // A request we never sent, cancelled or gave up on: nothing to release (and a flood of them costs
    // nothing but the search).
    if (!erase_block(outstanding_, block)) return;
    swarm_.on_requests_done(1);
    swarm_.picker().on_request_rejected(id_, block);
    remember_released(block);
    // Rejected while it chokes us: it no longer lets us fetch that piece (libtorrent strikes it off too), or
    // the next pick would ask again at once.
    if (peer_choking_) std::erase(allowed_fast_, block.piece);
    request_more();
}

void PeerSession::on_allowed_fast(PieceIndex piece) {
    // The sender need not have the piece (BEP 6): it is requested once the peer has it.
    if (swarm_.picker().has_piece(piece) || contains(allowed_fast_, piece) ||
        allowed_fast_.size() >= kMaxAllowedFastSet) {
        return;
    }
    allowed_fast_.push_back(piece);
    request_more();
}

void PeerSession::on_suggest(PieceIndex piece) {
    if (swarm_.picker().has_piece(piece)) return;
    std::erase(suggested_, piece);
    if (suggested_.size() >= kMaxSuggestedPieces) suggested_.pop_back();
    suggested_.insert(suggested_.begin(), piece);
}

void PeerSession::send_allowed_fast() {
    if (!fast_ || allowed_fast_decided_) return;
    allowed_fast_decided_ = true;
    const auto k = std::min(swarm_.settings().peer.allowed_fast_set_size, kMaxAllowedFastSet);
    // A starting peer (BEP 6): one that has fewer pieces than the set. Others have enough to trade.
    if (k == 0 || peer_has_.count() >= k) return;
    for (const auto piece : allowed_fast_set(address_, remote_.info_hash, swarm_.picker().num_pieces(), k)) {
        if (peer_has_.test(piece)) continue;  // libtorrent leaves those out too
        granted_fast_.push_back(FastGrant{piece, 0});
        queue(wire::AllowedFast{piece});
    }
}

bool PeerSession::is_granted(PieceIndex piece) const noexcept {
    return std::any_of(granted_fast_.begin(), granted_fast_.end(),
                       [piece](const FastGrant& g) { return g.piece == piece; });
}

bool PeerSession::serve_while_choked(const Block& request) {
    auto it = std::find_if(granted_fast_.begin(), granted_fast_.end(),
                           [&](const FastGrant& g) { return g.piece == request.piece; });
    if (it == granted_fast_.end()) return false;
    if (it->served_choked >= kAllowedFastServesPerBlock * swarm_.picker().blocks_in_piece(request.piece)) {
        return false;
    }
    ++it->served_choked;
    return true;
}

std::vector<PieceIndex> PeerSession::granted_fast() const {
    std::vector<PieceIndex> pieces;
    pieces.reserve(granted_fast_.size());
    for (const auto& g : granted_fast_) pieces.push_back(g.piece);
    return pieces;
}

void PeerSession::on_piece(const wire::Piece& piece, TimePoint now) {
    const Block block{piece.index, piece.begin, static_cast<std::uint32_t>(piece.block.size())};
    swarm_.stats().payload_downloaded += block.length;
    downloaded_this_tick_ += block.length;
    const bool was_requested = erase_block(outstanding_, block);
    if (!was_requested && !erase_block(released_, block)) {
        ban("sent a block we did not request");
        return;
    }
    if (was_requested) {
        swarm_.on_requests_done(1);
        last_block_ = now;
        snubbed_ = false;
    }
    swarm_.on_block(*this, block, piece.block);
    request_more();
}

bool PeerSession::send_extension(std::string_view name, std::span<const std::uint8_t> payload) {
    if (!extension_protocol_ || closed_) return false;
    const auto id = extensions_.message_id(name);
    if (!id) return false;
    queue(wire::Extended{*id, payload});
    return true;
}

void PeerSession::send_extension_handshake() {
    const auto& s = swarm_.settings();
    wire::ExtensionHandshake ours;
    ours.messages = swarm_.extensions().message_ids();
    if (!s.client_name.empty()) ours.client = s.client_name;
    if (s.listen_port != 0) ours.listen_port = s.listen_port;
    if (const auto reqq = s.peer.max_incoming_requests; reqq > 0) ours.request_queue = reqq;
    if (const auto metadata = swarm_.metadata(); !metadata.empty()) ours.metadata_size = metadata.size();
    ours.your_ip = address_;
    ours.your_ip->port = 0;
    send_extended(wire::kExtendedHandshakeId, wire::encode_extension_handshake(ours));
}

void PeerSession::send_extended(std::uint8_t id, std::string_view payload) {
    queue(wire::Extended{id, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
}

void PeerSession::on_metadata_message(std::span<const std::uint8_t> payload) {
    if (closed_) return;
    auto message = wire::decode_metadata_message(payload);
    if (!message) {
        // libtorrent disconnects a peer whose ut_metadata message is not a dictionary with an integer
        // msg_type and piece (ut_metadata.cpp, on_extended); so do we, for those and the other messages
        // the decoder refuses (a negative piece, bytes after a request), which no working client sends
        // either. Closed, not banned: a bug, not an attack, and it cost us nothing.
        close({"invalid ut_metadata message: " + message.error(), false});
        return;
    }
    // A data or reject message answers a request of ours, and a swarm has the metadata, so it asks for
    // none (fetching is the metadata phase's, before the swarm): ignored, as libtorrent ignores an
    // unrequested piece. An unknown msg_type is ignored too ("an unrecognized message ID MUST be
    // ignored", BEP 10).
    if (message->type == wire::MetadataMessageType::request) on_metadata_request(message->piece);
}

void PeerSession::on_metadata_request(std::uint32_t piece) {
    // A peer that enabled no ut_metadata in its extended handshake gave us no id to answer with: nothing
    // to do (libtorrent likewise).
    const auto id = extensions_.message_id(wire::kMetadataExtensionName);
    if (!id) return;
    const auto metadata = swarm_.metadata();
    if (piece >= wire::metadata_piece_count(metadata.size()) ||
        metadata_requests_.size() >= kMaxQueuedMetadataRequests) {
        send_extended(*id, wire::encode_metadata_reject(piece));
        waste_request();
        return;
    }
    metadata_requests_.push_back(piece);
    answer_metadata_requests();
}

void PeerSession::answer_metadata_requests() {
    while (!closed_ && !metadata_requests_.empty() && out_.size() < kMetadataSendBuffer) {
        // The peer may have disabled ut_metadata since it asked (BEP 10 handshakes are additive).
        const auto id = extensions_.message_id(wire::kMetadataExtensionName);
        if (!id) {
            metadata_requests_.clear();
            return;
        }
        const std::uint32_t piece = metadata_requests_.front();
        metadata_requests_.pop_front();
        const auto metadata = swarm_.metadata();
        const auto data = metadata.subspan(std::size_t{piece} * wire::kMetadataPieceSize,
                                           wire::metadata_piece_size(metadata.size(), piece));
        send_extended(*id, wire::encode_metadata_data(piece, metadata.size(), data));
    }
}

void PeerSession::on_extended(const wire::Extended& message) {
    if (message.id != wire::kExtendedHandshakeId) {
        // An id we assigned goes to its handler; others the peer had no business sending: skipped.
        if (const auto* handler = swarm_.extensions().find(message.id)) (*handler)(*this, message.payload);
        return;
    }
    auto handshake = wire::decode_extension_handshake(message.payload);
    if (!handshake) {
        close({"invalid extended handshake", false});
        return;
    }
    const bool first = !extensions_.has_handshake();
    extensions_.apply(*handshake);
    io_.on_extension_handshake(first);
    request_more();  // a larger reqq may let more requests out
}

}  // namespace bt::swarm
