#include "swarm/metadata_fetch.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include "wire/ut_metadata.hpp"

namespace bt::swarm {

MetadataFetch::MetadataFetch(const crypto::Sha1Digest& info_hash, std::uint64_t max_size)
    : info_hash_(info_hash), max_size_(max_size) {}

std::optional<std::string> MetadataFetch::add_peer(PeerKey peer, std::optional<std::uint64_t> size) {
    if (!size) {
        peers_.try_emplace(peer);  // kept (a later handshake may give one); an earlier size stays (BEP 10)
        return std::nullopt;
    }
    if (*size == 0 || *size > max_size_) {
        peers_.erase(peer);
        return "metadata_size " + std::to_string(*size) + " is outside 1.." + std::to_string(max_size_);
    }
    auto& state = peers_[peer];
    state.size = *size;
    return std::nullopt;
}

void MetadataFetch::remove_peer(PeerKey peer) {
    peers_.erase(peer);
    for (auto& p : pieces_) {
        if (p.asked == peer) p.asked.reset();
    }
    if (source_ == peer) source_.reset();
}

void MetadataFetch::refuse(PeerKey peer) {
    const auto it = peers_.find(peer);
    if (it == peers_.end()) return;
    it->second.refused = true;
    it->second.in_flight = 0;
    for (auto& p : pieces_) {
        if (p.asked == peer) p.asked.reset();
    }
    if (source_ == peer) source_.reset();
}

bool MetadataFetch::offers(PeerKey peer) const {
    const auto it = peers_.find(peer);
    return it != peers_.end() && it->second.size != 0 && !it->second.refused;
}

bool MetadataFetch::can_ask(const PeerState& state) const {
    return state.size != 0 && !state.refused && (size_ == 0 || state.size == size_);
}

void MetadataFetch::begin_attempt(std::uint64_t size) {
    size_ = size;
    pieces_.assign(wire::metadata_piece_count(size), Piece{});
    received_ = 0;
}

void MetadataFetch::reset_attempt() {
    size_ = 0;
    pieces_.clear();
    received_ = 0;
    source_.reset();
    for (auto& [key, state] : peers_) state.in_flight = 0;
}

std::vector<std::uint32_t> MetadataFetch::requests_for(PeerKey peer, Clock::time_point now) {
    std::vector<std::uint32_t> out;
    // A peer that leaves a request unanswered for kRequestTimeout counts as one that rejected: it is not
    // asked again, so a silent peer (the single source included) never holds the fetch.
    for (const auto& p : std::vector(pieces_.begin(), pieces_.end())) {
        if (p.asked && now - p.asked_at >= kRequestTimeout) refuse(*p.asked);
    }
    // The size was taken from a peer that can no longer be asked (it left, refused, lied or went silent), and
    // no other offers it: the next attempt takes the size of the peer asking now.
    if (size_ != 0 &&
        std::none_of(peers_.begin(), peers_.end(), [&](const auto& each) { return can_ask(each.second); })) {
        reset_attempt();
    }
    const auto it = peers_.find(peer);
    if (it == peers_.end() || !can_ask(it->second)) return out;
    auto& state = it->second;
    if (size_ == 0) begin_attempt(state.size);
    if (single_source_) {
        if (!source_) source_ = peer;
        if (*source_ != peer) return out;
    }
    for (std::uint32_t i = 0; i < pieces_.size() && state.in_flight < kRequestsPerPeer; ++i) {
        auto& p = pieces_[i];
        if (p.have || p.asked) continue;
        p.asked = peer;
        p.asked_at = now;
        ++state.in_flight;
        out.push_back(i);
    }
    return out;
}

void MetadataFetch::on_reject(PeerKey peer, std::uint32_t /*piece*/) {
    refuse(peer);  // every request of a peer that rejects one is taken back
}

MetadataFetch::Outcome MetadataFetch::on_data(PeerKey peer, std::uint32_t piece, std::uint64_t total_size,
                                              std::span<const std::uint8_t> data) {
    const auto bad = [&](std::string why) {
        remove_peer(peer);
        return Outcome{Outcome::Kind::bad_peer, std::move(why), {peer}, {}};
    };
    const auto it = peers_.find(peer);
    if (it == peers_.end()) return bad("ut_metadata data from a peer that was not asked");
    // A piece not asked of this peer now: a late answer to a request that timed out, or to one of an attempt
    // that was started again; not necessarily the peer's fault, and it costs nothing to ignore.
    if (piece >= pieces_.size() || pieces_[piece].asked != peer) return Outcome{};
    if (total_size != size_)
        return bad("ut_metadata total_size " + std::to_string(total_size) + " differs from " +
                   std::to_string(size_));
    const std::uint32_t expected = wire::metadata_piece_size(size_, piece);
    if (data.size() != expected)
        return bad("ut_metadata piece " + std::to_string(piece) + " has " + std::to_string(data.size()) +
                   " bytes, expected " + std::to_string(expected));
    auto& p = pieces_[piece];
    p.asked.reset();
    if (it->second.in_flight > 0) --it->second.in_flight;
    p.data.assign(data.begin(), data.end());
    p.have = true;
    p.from = peer;
    if (++received_ < pieces_.size()) return Outcome{};

    std::string metadata;
    metadata.reserve(size_);
    std::set<PeerKey> contributors;
    for (const auto& each : pieces_) {
        metadata.append(reinterpret_cast<const char*>(each.data.data()), each.data.size());
        contributors.insert(each.from);
    }
    if (crypto::sha1(std::string_view(metadata)) == info_hash_) {
        return Outcome{Outcome::Kind::complete, {}, {}, std::move(metadata)};
    }
    Outcome failed{Outcome::Kind::hash_failed, "the metadata received does not match the info hash", {}, {}};
    if (contributors.size() == 1) {
        failed.drop.push_back(*contributors.begin());
        peers_.erase(*contributors.begin());
    } else {
        single_source_ = true;  // the next attempt names the culprit
    }
    reset_attempt();
    return failed;
}

std::size_t MetadataFetch::usable_peers() const {
    return static_cast<std::size_t>(std::count_if(peers_.begin(), peers_.end(), [](const auto& each) {
        return each.second.size != 0 && !each.second.refused;
    }));
}

}  // namespace bt::swarm
