#pragma once
// Peer exchange (BEP 11) for one connection, as pure code: what we told the peer (so each message carries
// only the changes) and when, and whether a message it sent is taken. The torrent around it says which
// peers it is connected to; the time comes in with every call.
//
// Sending: the first message goes out as soon as there is a peer to tell of (the whole list, up to 50 per
// family, as libtorrent does), then at most one a minute, and only when something changed. Peers that do
// not fit are told next time. Receiving: a peer may send one message a minute (BEP 11: "should not send
// more than once per minute"); one that sends more often has the extra messages ignored, so a flood costs
// a decode at most, never peers in our list.
#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "core/endpoint.hpp"
#include "wire/ut_pex.hpp"

namespace bt::swarm {

class PexState {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::seconds kInterval{60};
    // Messages closer together than this are ignored (a little under a minute, for timer jitter).
    static constexpr std::chrono::seconds kMinReceiveGap{50};

    // What to send now, if anything: `connected` is every peer we would advertise (the recipient itself
    // excluded by the caller), with its flags.
    std::optional<wire::PexMessage> next(const std::vector<wire::PexPeer>& connected, Clock::time_point now);

    // A message from the peer arrived: whether to take it.
    bool accept(Clock::time_point now);

  private:
    std::map<Endpoint, std::uint8_t> told_;  // what the peer knows from us: at most our connected peers
    std::optional<Clock::time_point> last_sent_;
    std::optional<Clock::time_point> last_received_;
};

}  // namespace bt::swarm
