// A torrent in the DHT (BEP 5): get_peers lookups that announce our listening port, at start and then on
// the schedule of dht_schedule.hpp, with the peers found going to the peer list as source dht (and so to
// the metadata fetch of a magnet link, which dials the same list). The PORT message (BEP 5) both ways.
// Private torrents (BEP 27) take no part: no lookup, no announce, no DHT bit in their handshakes, no PORT
// sent or heeded.
#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <iterator>

#include "core/log.hpp"
#include "core/printable.hpp"
#include "session/dht_schedule.hpp"
#include "session/session.hpp"
#include "session/torrent.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

std::uint16_t Torrent::dht_port(Endpoint::Family family) const {
    const auto* dht = session_.dht();
    // BEP 43: a read-only node answers no query, so it does not ask peers to add it.
    if (!uses_dht() || dht == nullptr || settings().dht_read_only) return 0;
    return dht->port(family).value_or(0);
}

void Torrent::on_dht_port(const Endpoint& peer, std::uint16_t port) {
    auto* dht = session_.dht();
    if (!uses_dht() || dht == nullptr || port == 0) return;
    Endpoint node = peer;
    node.port = port;
    BT_LOG(debug, "dht", "{}: PORT {}: asking its node", peer.to_string(), port);
    dht->add_node(node);
}

void Torrent::on_dht_started() {
    if (loops_run_ != run_ || !is_current(run_) || !uses_dht()) return;
    if (dht_loop_run_ == run_) {
        dht_timer_.cancel();  // a loop still waiting (its DHT went away meanwhile): look up now
    } else {
        dht_loop_run_ = run_;  // before the spawn: a second call meanwhile finds it
        spawn_job(dht_loop(run_));
    }
}

void Torrent::on_dht_stopped() {
    dht_lookup_.reset();  // a handle of the old DHT, meaningless to the next one
    dht_timer_.cancel();  // the loop ends
}

asio::awaitable<void> Torrent::dht_loop(std::uint64_t run) {
    dht_early_rounds_ = 0;
    while (is_current(run) && uses_dht() && session_.dht() != nullptr) {
        const bool started = start_dht_lookup(run);
        const auto known = peer_list_.size();
        const bool seeding = state_ == TorrentState::seeding;
        std::chrono::milliseconds delay =
            started ? dht_lookup_delay(known, dht_early_rounds_, seeding) : kDhtBusyRetry;
        if (started) dht_early_rounds_ = known < kDhtFewPeers && !seeding ? dht_early_rounds_ + 1 : 0;
        // Spread out: torrents started together (a session of hundreds) do not all ask at the same moment,
        // nor all find the DHT busy again.
        delay += std::chrono::milliseconds(session_.shuffle_seed() % (delay.count() / 4 + 1));
        dht_timer_.expires_after(delay);  // ends the wait of an earlier run's loop, if any
        co_await dht_timer_.async_wait(use_nothrow);
    }
    if (dht_loop_run_ == run) dht_loop_run_ = 0;
}

bool Torrent::start_dht_lookup(std::uint64_t run) {
    auto* dht = session_.dht();
    if (dht == nullptr) return true;
    if (dht_lookup_ && dht->is_running(*dht_lookup_)) return true;  // the last one goes on (a slow DHT)
    const std::weak_ptr<Torrent> weak = weak_from_this();
    dht_lookup_ = dht->get_peers(
        info_hash_, session_.listen_port(),
        [weak, run](const std::vector<Endpoint>& peers) {
            const auto self = weak.lock();
            if (!self || !self->is_current(run) || !self->uses_dht()) return;
            std::vector<Endpoint> others;
            std::ranges::copy_if(peers, std::back_inserter(others),
                                 [&](const Endpoint& e) { return !self->session_.is_own_endpoint(e); });
            const auto added = self->peer_list_.add(others, swarm::PeerSource::dht);
            BT_LOG(info, "dht", "{}: {} peer(s), {} new", printable(self->name()), peers.size(), added);
            self->connect_more();
        },
        [weak](const DhtService::LookupSummary& done) {
            const auto self = weak.lock();
            if (!self) return;
            self->dht_lookup_.reset();
            BT_LOG(info, "dht",
                   "{}: lookup done in {} ms: {} queries, {} answers, {} peer(s), announced to {} node(s)",
                   printable(self->name()), done.took.count(), done.queries, done.responses, done.peers,
                   done.announced);
        });
    if (!dht_lookup_) BT_LOG(debug, "dht", "{}: the DHT runs too many lookups; later", printable(name()));
    return dht_lookup_.has_value();
}

void Torrent::cancel_dht_lookup() {
    if (auto* dht = session_.dht(); dht != nullptr && dht_lookup_) dht->cancel(*dht_lookup_);
    dht_lookup_.reset();
}

}  // namespace bt::session
