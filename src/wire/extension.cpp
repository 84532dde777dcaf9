#include "wire/extension.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>
#include <vector>

#include "bencode/encode.hpp"
#include "core/printable.hpp"

namespace bt::wire {

namespace {

using bencode::Value;

std::optional<std::int64_t> int_in(const Value& v, std::int64_t min, std::int64_t max) {
    const auto* i = v.as_int();
    if (i == nullptr || *i < min || *i > max) return std::nullopt;
    return *i;
}

// A string of exactly 4 (v4) or 16 (v6) bytes as an address with port 0; `want` restricts the family.
std::optional<Endpoint> address_from(const Value& v, std::optional<Endpoint::Family> want) {
    const auto* s = v.as_string();
    if (s == nullptr) return std::nullopt;
    if (s->size() == 4 && want.value_or(Endpoint::Family::v4) == Endpoint::Family::v4) {
        std::array<std::uint8_t, 4> bytes{};
        std::copy(s->begin(), s->end(), bytes.begin());
        return Endpoint::v4(bytes, 0);
    }
    if (s->size() == 16 && want.value_or(Endpoint::Family::v6) == Endpoint::Family::v6) {
        std::array<std::uint8_t, 16> bytes{};
        std::copy(s->begin(), s->end(), bytes.begin());
        return Endpoint::v6(bytes, 0);
    }
    return std::nullopt;
}

void read_messages(const Value& m, ExtensionHandshake& out) {
    const auto* dict = m.as_dict();
    if (dict == nullptr) return;
    for (const auto& [name, id] : *dict) {
        if (out.messages.size() >= kMaxExtensionMessages) return;
        if (name.size() > kMaxExtensionNameSize) continue;
        if (auto value = int_in(id, 0, 255)) {
            out.messages.emplace(std::string(name), static_cast<std::uint8_t>(*value));
        }
    }
}

ExtensionHandshake read_fields(const Value::Dict& dict) {
    constexpr auto kI64Max = std::numeric_limits<std::int64_t>::max();
    constexpr auto kU32Max = std::int64_t{std::numeric_limits<std::uint32_t>::max()};
    ExtensionHandshake out;
    for (const auto& [key, value] : dict) {
        if (key == "m") {
            read_messages(value, out);
        } else if (key == "v") {
            if (const auto* s = value.as_string()) out.client = std::string(s->substr(0, kMaxClientNameSize));
        } else if (key == "p") {
            if (auto port = int_in(value, 1, 65535)) out.listen_port = static_cast<std::uint16_t>(*port);
        } else if (key == "reqq") {
            if (auto reqq = int_in(value, 1, kI64Max)) {
                out.request_queue = static_cast<std::uint32_t>(std::min(*reqq, kU32Max));
            }
        } else if (key == "yourip") {
            out.your_ip = address_from(value, std::nullopt);
        } else if (key == "ipv4") {
            out.ipv4 = address_from(value, Endpoint::Family::v4);
        } else if (key == "ipv6") {
            out.ipv6 = address_from(value, Endpoint::Family::v6);
        } else if (key == "metadata_size") {
            if (auto size = int_in(value, 1, kI64Max)) out.metadata_size = static_cast<std::uint64_t>(*size);
        }
        // Anything else (e, upload_only, complete_ago, lt_donthave, ...) is not ours to read yet.
    }
    return out;
}

std::string_view as_chars(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

std::string ExtensionHandshakeError::message() const {
    switch (kind) {
        case Kind::too_large:
            return "extended handshake too large (" + std::to_string(size) + " bytes, at most " +
                   std::to_string(kMaxExtensionHandshakeSize) + ")";
        case Kind::bad_bencode:
            return "extended handshake is not valid bencode" +
                   (bencode_error ? ": " + bencode_error->message() : "");
        case Kind::not_a_dictionary: {
            std::string out = "extended handshake is not a dictionary";
            if (found_type) {
                const std::string_view type = bencode::type_name(*found_type);
                out += type.front() == 'i' ? " but an " : " but a ";
                out += type;
            }
            return out;
        }
    }
    return "bad extended handshake";
}

Result<ExtensionHandshake, ExtensionHandshakeError> decode_extension_handshake(std::string_view payload) {
    ExtensionHandshakeError error;
    error.size = payload.size();
    if (payload.size() > kMaxExtensionHandshakeSize) {
        error.kind = ExtensionHandshakeError::Kind::too_large;
        return fail(std::move(error));
    }
    auto root = bencode::decode(payload, kExtensionHandshakeLimits);
    if (!root) {
        error.kind = ExtensionHandshakeError::Kind::bad_bencode;
        error.bencode_error = root.error();
        return fail(std::move(error));
    }
    const auto* dict = root->as_dict();
    if (dict == nullptr) {
        error.kind = ExtensionHandshakeError::Kind::not_a_dictionary;
        error.found_type = root->type();
        return fail(std::move(error));
    }
    return read_fields(*dict);
}

Result<ExtensionHandshake, ExtensionHandshakeError> decode_extension_handshake(
    std::span<const std::uint8_t> payload) {
    return decode_extension_handshake(as_chars(payload));
}

std::string encode_extension_handshake(const ExtensionHandshake& h) {
    Value::Dict root;
    Value::Dict m;
    for (const auto& [name, id] : h.messages) m.emplace_back(name, Value(std::int64_t{id}));
    root.emplace_back("m", Value(std::move(m)));
    const auto add_address = [&root](std::string_view key, const std::optional<Endpoint>& address,
                                     std::optional<Endpoint::Family> want) {
        if (!address || (want && address->family != *want)) return;
        root.emplace_back(key, Value(as_chars(address->address_bytes())));
    };
    if (h.client) root.emplace_back("v", Value(std::string_view(*h.client).substr(0, kMaxClientNameSize)));
    if (h.listen_port) root.emplace_back("p", Value(std::int64_t{*h.listen_port}));
    if (h.request_queue) root.emplace_back("reqq", Value(std::int64_t{*h.request_queue}));
    add_address("yourip", h.your_ip, std::nullopt);
    add_address("ipv4", h.ipv4, Endpoint::Family::v4);
    add_address("ipv6", h.ipv6, Endpoint::Family::v6);
    if (h.metadata_size) {
        const auto size = std::min<std::uint64_t>(*h.metadata_size, std::numeric_limits<std::int64_t>::max());
        root.emplace_back("metadata_size", Value(static_cast<std::int64_t>(size)));
    }
    return bencode::encode(Value(std::move(root)));
}

std::string printable_client_name(std::string_view name) {
    return printable(name);
}

void PeerExtensions::apply(const ExtensionHandshake& h) {
    ++handshakes_;
    for (const auto& [name, id] : h.messages) {
        if (id == 0) {
            messages_.erase(name);
        } else if (auto it = messages_.find(name); it != messages_.end()) {
            it->second = id;
        } else if (messages_.size() < kMaxExtensionMessages) {
            messages_.emplace(name, id);
        }
    }
    if (h.client) client_ = h.client->substr(0, kMaxClientNameSize);
    if (h.request_queue) request_queue_ = *h.request_queue;
    if (h.listen_port) listen_port_ = h.listen_port;
    if (h.your_ip) your_ip_ = h.your_ip;
    if (h.metadata_size) metadata_size_ = h.metadata_size;
}

std::optional<std::uint8_t> PeerExtensions::message_id(std::string_view name) const {
    auto it = messages_.find(name);
    if (it == messages_.end()) return std::nullopt;
    return it->second;
}

}  // namespace bt::wire
