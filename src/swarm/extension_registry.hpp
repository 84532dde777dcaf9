#pragma once
// Extension messages (BEP 10) by name: the id each gets in our extended handshake's 'm' dictionary, and
// the handler that receives the peers' messages sent with that id. BEP 10: "The extension message IDs are
// the IDs used to send the extension messages to the peer sending this handshake", so ids are ours to
// choose; they are given out from 1 in order of registration.
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace bt::swarm {

class PeerSession;

class ExtensionRegistry {
  public:
    using Handler = std::function<void(PeerSession& peer, std::span<const std::uint8_t> payload)>;

    // Registers `name` (e.g. "ut_metadata") and returns the id peers send it with.
    std::uint8_t add(std::string name, Handler handler);
    // The handler for a message the peer sent with our id `id`; nullptr when we assigned no such id.
    const Handler* find(std::uint8_t id) const noexcept;
    // For our extended handshake's 'm'.
    std::map<std::string, std::uint8_t, std::less<>> message_ids() const;

  private:
    struct Entry {
        std::string name;
        Handler handler;
    };
    std::vector<Entry> entries_;  // id = index + 1
};

}  // namespace bt::swarm
