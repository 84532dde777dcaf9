#include "swarm/swarm.hpp"

#include <algorithm>
#include <utility>

#include "wire/ut_metadata.hpp"

namespace bt::swarm {

Swarm::Swarm(SwarmHost& host, PiecePicker picker, SwarmSettings settings, std::uint64_t seed)
    : host_(host),
      picker_(std::move(picker)),
      settings_(std::move(settings)),
      choker_(settings_.choker, seed),
      strikes_(settings_.max_ban_records),
      banned_ids_(settings_.max_ban_records) {}

void Swarm::apply_settings(const SwarmSettings& settings, TimePoint now) {
    const SwarmSettings old = std::exchange(settings_, settings);
    strikes_.set_capacity(settings_.max_ban_records);
    banned_ids_.set_capacity(settings_.max_ban_records);
    const bool handshake_changed = old.client_name != settings_.client_name ||
                                   old.listen_port != settings_.listen_port ||
                                   old.peer.max_incoming_requests != settings_.peer.max_incoming_requests;
    for (auto* p : std::vector(peers_)) p->on_settings_changed(handshake_changed);
    if (old.choker != settings_.choker) {
        choker_.apply_settings(settings_.choker);
        run_choker(now);
    }
}

void Swarm::serve_metadata(std::span<const std::uint8_t> info) {
    const bool registered = !metadata_.empty();
    metadata_ = info;
    if (registered || info.empty()) return;
    extensions_.add(
        wire::kMetadataExtensionName,
        [](PeerSession& peer, std::span<const std::uint8_t> payload) { peer.on_metadata_message(payload); });
}

std::uint32_t Swarm::request_budget() const noexcept {
    const auto limit = settings_.max_requests_in_flight;
    return in_flight_ >= limit ? 0 : limit - in_flight_;
}

PeerSession* Swarm::find(PeerId id) noexcept {
    for (auto* p : peers_) {
        if (p->id() == id) return p;
    }
    return nullptr;
}

void Swarm::join(PeerSession& peer, const Endpoint& address) {
    peers_.push_back(&peer);
    records_[peer.id().value] = PeerRecord{address, peer.peer_id()};
}

void Swarm::forget(PeerSession& peer) noexcept {
    std::erase(peers_, &peer);
    records_.erase(peer.id().value);
}

void Swarm::leave(PeerSession& peer, const CloseReason& reason, TimePoint now) {
    ++stats_.closed_by_reason[reason.text];
    const bool was_unchoked = !peer.am_choking();
    std::erase(peers_, &peer);
    if (picker_.holds_blocks_from(peer.id())) {
        departed_contributors_.push_back(peer.id());
    } else {
        records_.erase(peer.id().value);
    }
    if (was_unchoked && !closing_all_) run_choker(now);  // its slot goes to another peer now
    host_.on_peer_closed(peer, reason);
}

void Swarm::tick(TimePoint now) {
    for (auto* p : std::vector(peers_)) p->tick(now);
    if (!last_choke_ || now - *last_choke_ >= settings_.choke_interval) run_choker(now);
}

void Swarm::run_choker(TimePoint now) {
    std::vector<PeerStats> stats;
    stats.reserve(peers_.size());
    for (const auto* p : peers_) {
        stats.push_back(PeerStats{p->id(), p->is_interested(), !p->am_choking(), p->is_snubbed(),
                                  p->is_seed(), p->download_rate(), p->upload_rate()});
    }
    last_choke_ = now;
    const auto decision = choker_.decide(stats, is_complete(), now);
    for (auto* p : std::vector(peers_)) {
        const bool unchoke =
            std::find(decision.unchoke.begin(), decision.unchoke.end(), p->id()) != decision.unchoke.end();
        p->set_choking(!unchoke);
    }
}

void Swarm::on_interest_changed(TimePoint now) {
    run_choker(now);
}

void Swarm::on_block(PeerSession& peer, const Block& block, std::span<const std::uint8_t> data) {
    const auto result = picker_.on_block_received(peer.id(), block);
    switch (result.status) {
        case BlockStatus::accepted:
            host_.store_block(block, data);
            break;
        case BlockStatus::invalid:
            peer.close({"block outside its piece", false});
            return;
        case BlockStatus::duplicate:
        case BlockStatus::already_have:
        case BlockStatus::unexpected:
            stats_.wasted += block.length;
            break;
    }
    for (const auto other : result.cancel) {
        if (auto* p = find(other)) p->send_cancel(block);
    }
    if (result.piece_complete) host_.on_piece_complete(block.piece);
}

void Swarm::on_piece_verified(PieceIndex piece) {
    picker_.on_piece_verified(piece);
    forget_departed_contributors();
    ++stats_.pieces_verified;
    for (auto* p : std::vector(peers_)) {
        if (!p->pieces().test(piece)) p->send_have(piece);
    }
}

void Swarm::on_piece_failed(PieceIndex piece) {
    ++stats_.hash_failures;
    stats_.wasted += picker_.piece_size(piece);
    const auto contributors = picker_.on_piece_failed(piece);
    for (const auto id : contributors) strike(id, contributors.size() == 1);
    forget_departed_contributors();
    request_more_everywhere();
}

void Swarm::on_write_failed(PieceIndex piece) {
    (void)picker_.on_piece_failed(piece);
}

void Swarm::on_disk_caught_up() {
    request_more_everywhere();
}

void Swarm::request_more_everywhere() {
    for (auto* p : std::vector(peers_)) p->request_more();
}

void Swarm::on_download_complete() {
    for (auto* p : std::vector(peers_)) {
        if (p->is_seed()) {
            p->close({"both seeds", false});
        } else {
            p->update_interest();
        }
    }
}

void Swarm::on_wanted_changed() {
    for (auto* p : std::vector(peers_)) {
        p->update_interest();
        p->request_more();
    }
}

void Swarm::close_all(const std::string& reason) {
    closing_all_ = true;
    for (auto* p : std::vector(peers_)) p->close({reason, false});
    closing_all_ = false;
}

void Swarm::strike(PeerId id, bool sole_contributor) {
    auto it = records_.find(id.value);
    if (it == records_.end()) return;
    const auto [address, peer_id] = it->second;
    auto& strikes = strikes_.try_emplace(peer_id).first;
    strikes += sole_contributor ? settings_.hash_failures_before_ban : 1;
    if (strikes < settings_.hash_failures_before_ban) return;
    if (!banned_ids_.try_emplace(peer_id).second) return;
    ++stats_.peers_banned;
    host_.on_corrupt_peer_banned(address);
    for (auto* p : std::vector(peers_)) {
        if (p->peer_id() == peer_id) p->close({"banned: sent corrupt data", false});
    }
}

void Swarm::forget_departed_contributors() {
    std::erase_if(departed_contributors_, [this](PeerId id) {
        if (picker_.holds_blocks_from(id)) return false;
        records_.erase(id.value);
        return true;
    });
}

}  // namespace bt::swarm
