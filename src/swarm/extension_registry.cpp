#include "swarm/extension_registry.hpp"

#include <stdexcept>

namespace bt::swarm {

std::uint8_t ExtensionRegistry::add(std::string name, Handler handler) {
    // 0 is the handshake itself; 255 ids are more than any client uses.
    if (entries_.size() >= 255) throw std::length_error("extension registry: no extension id left");
    entries_.push_back({std::move(name), std::move(handler)});
    return static_cast<std::uint8_t>(entries_.size());
}

const ExtensionRegistry::Handler* ExtensionRegistry::find(std::uint8_t id) const noexcept {
    if (id == 0 || id > entries_.size()) return nullptr;
    return &entries_[id - 1u].handler;
}

std::map<std::string, std::uint8_t, std::less<>> ExtensionRegistry::message_ids() const {
    std::map<std::string, std::uint8_t, std::less<>> ids;
    for (std::size_t i = 0; i < entries_.size(); ++i)
        ids.emplace(entries_[i].name, static_cast<std::uint8_t>(i + 1));
    return ids;
}

}  // namespace bt::swarm
