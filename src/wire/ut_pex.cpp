#include "wire/ut_pex.hpp"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <utility>

#include "bencode/decode.hpp"

namespace bt::wire {
namespace {

constexpr bencode::Limits kLimits{.max_depth = 4, .max_values = 64, .allow_unsorted_keys = true};

// The entries of the compact list `key` (absent: none); `size` bytes each.
Result<std::vector<Endpoint>, std::string> compact_list(const bencode::Value& dict, std::string_view key,
                                                        std::size_t size) {
    std::vector<Endpoint> out;
    const bencode::Value* v = dict.find(key);
    if (v == nullptr) return out;
    const auto* text = v->as_string();
    if (text == nullptr) return fail("ut_pex " + std::string(key) + " is not a string");
    if (text->size() % size != 0)
        return fail("ut_pex " + std::string(key) + " of " + std::to_string(text->size()) +
                    " bytes is not whole " + std::to_string(size) + "-byte entries");
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text->data());
    const std::size_t end = std::min(text->size(), kMaxPexEntriesRead * size);  // the rest is ignored
    for (std::size_t at = 0; at < end; at += size) {
        if (auto e = endpoint_from_compact({bytes + at, size}); e && e->port != 0) {
            out.push_back(*e);
        } else {
            out.push_back(Endpoint{});  // a placeholder keeps the flags aligned; dropped below
        }
    }
    return out;
}

std::string_view flags_of(const bencode::Value& dict, std::string_view key) {
    const bencode::Value* v = dict.find(key);
    if (v == nullptr || v->as_string() == nullptr) return {};
    return *v->as_string();
}

void append_list(std::string& out, std::string_view key, const std::string& value) {
    out += std::to_string(key.size()) + ":" + std::string(key) + std::to_string(value.size()) + ":" + value;
}

}  // namespace

Result<PexMessage, std::string> decode_pex_message(std::span<const std::uint8_t> payload) {
    if (payload.size() > kMaxPexMessageSize)
        return fail("ut_pex message of " + std::to_string(payload.size()) + " bytes");
    const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    auto value = bencode::decode(text, kLimits);
    if (!value) return fail("ut_pex message is not valid bencode: " + value.error().message());
    if (value->as_dict() == nullptr) return fail(std::string("ut_pex message is not a dictionary"));
    PexMessage out;
    for (const auto& [key, flags_key, size] : {std::tuple{"added", "added.f", std::size_t{6}},
                                               std::tuple{"added6", "added6.f", std::size_t{18}}}) {
        auto added = compact_list(*value, key, size);
        if (!added) return fail(added.error());
        const auto flags = flags_of(*value, flags_key);
        for (std::size_t i = 0; i < added->size(); ++i) {
            if ((*added)[i].port == 0) continue;
            const auto f = i < flags.size() ? static_cast<std::uint8_t>(flags[i]) : std::uint8_t{0};
            out.added.push_back({(*added)[i], f});
        }
    }
    for (const auto& [key, size] :
         {std::pair{"dropped", std::size_t{6}}, std::pair{"dropped6", std::size_t{18}}}) {
        auto dropped = compact_list(*value, key, size);
        if (!dropped) return fail(dropped.error());
        for (const auto& e : *dropped) {
            if (e.port != 0) out.dropped.push_back(e);
        }
    }
    return out;
}

std::string encode_pex_message(const PexMessage& message) {
    std::string added4, flags4, added6, flags6, dropped4, dropped6;
    for (const auto& p : message.added) {
        const bool v4 = p.endpoint.family == Endpoint::Family::v4;
        auto& list = v4 ? added4 : added6;
        if (list.size() / (v4 ? 6 : 18) >= kMaxPexEntries) continue;
        append_compact(list, p.endpoint);
        (v4 ? flags4 : flags6).push_back(static_cast<char>(p.flags));
    }
    for (const auto& e : message.dropped) {
        const bool v4 = e.family == Endpoint::Family::v4;
        auto& list = v4 ? dropped4 : dropped6;
        if (list.size() / (v4 ? 6 : 18) >= kMaxPexEntries) continue;
        append_compact(list, e);
    }
    // Keys in sorted order; every key present, as libtorrent sends them.
    std::string out = "d";
    append_list(out, "added", added4);
    append_list(out, "added.f", flags4);
    append_list(out, "added6", added6);
    append_list(out, "added6.f", flags6);
    append_list(out, "dropped", dropped4);
    append_list(out, "dropped6", dropped6);
    out += "e";
    return out;
}

}  // namespace bt::wire
