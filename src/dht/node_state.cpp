// encode_state / decode_state (declared in dht/node.hpp): what a node keeps between runs.
#include <string>

#include "bencode/decode.hpp"
#include "bencode/encode.hpp"
#include "dht/node.hpp"

namespace bt::dht {

namespace {
// More than a full table (160 buckets x K) ever holds at K = 8; the rest of a larger file is ignored.
constexpr std::size_t kMaxSavedNodes = 2048;
}  // namespace

std::string encode_state(const NodeState& state) {
    const std::string id(reinterpret_cast<const char*>(state.id.data()), state.id.size());
    const std::string nodes = encode_compact_nodes(state.nodes, Endpoint::Family::v4);
    const std::string nodes6 = encode_compact_nodes(state.nodes, Endpoint::Family::v6);
    return bencode::encode(bencode::Value(bencode::Value::Dict{
        {"id", bencode::Value(std::string_view(id))},
        {"nodes", bencode::Value(std::string_view(nodes))},
        {"nodes6", bencode::Value(std::string_view(nodes6))},
    }));
}

std::optional<NodeState> decode_state(std::string_view bytes) {
    bencode::Limits limits;
    limits.max_depth = 4;
    limits.max_values = 64;
    auto value = bencode::decode(bytes, limits);
    if (!value) return std::nullopt;
    const auto* id = value->find("id") != nullptr ? value->find("id")->as_string() : nullptr;
    if (id == nullptr || id->size() != kNodeIdSize) return std::nullopt;
    NodeState state;
    std::copy(id->begin(), id->end(), state.id.begin());
    for (const auto& [key, family] :
         {std::pair{"nodes", Endpoint::Family::v4}, std::pair{"nodes6", Endpoint::Family::v6}}) {
        const bencode::Value* field = value->find(key);
        if (field == nullptr) continue;
        const auto* text = field->as_string();
        if (text == nullptr) return std::nullopt;
        auto nodes = decode_compact_nodes(*text, family);
        if (!nodes) return std::nullopt;
        for (auto& node : *nodes) {
            if (state.nodes.size() >= kMaxSavedNodes) break;
            state.nodes.push_back(std::move(node));
        }
    }
    return state;
}

}  // namespace bt::dht
