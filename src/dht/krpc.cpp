#include "dht/krpc.hpp"

#include <cstring>
#include <span>
#include <type_traits>
#include <utility>

#include "bencode/decode.hpp"
#include "bencode/encode.hpp"

namespace bt::dht {

namespace {

using bencode::Value;
using Text = std::string;  // what was wrong, for KrpcError::text

std::string_view as_chars(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// "a.id"; just "t" at the top level (where is empty).
std::string path(std::string_view where, std::string_view key) {
    std::string out(where);
    if (!out.empty()) out += '.';
    out += key;
    return out;
}

// ---- decoding helpers: each returns the field or the reason it is unusable ----

Result<std::string_view, Text> required_string(const Value& dict, std::string_view where,
                                               std::string_view key) {
    const Value* v = dict.find(key);
    if (v == nullptr) return fail(path(where, key) + " is missing");
    const auto* s = v->as_string();
    if (s == nullptr) return fail(path(where, key) + " is not a string");
    return *s;
}

Result<std::array<std::uint8_t, 20>, Text> required_id(const Value& dict, std::string_view where,
                                                       std::string_view key) {
    auto s = required_string(dict, where, key);
    if (!s) return fail(std::move(s).error());
    if (s->size() != kNodeIdSize) {
        return fail(path(where, key) + ": " + std::to_string(s->size()) + " bytes, expected 20");
    }
    std::array<std::uint8_t, 20> out{};
    std::memcpy(out.data(), s->data(), out.size());
    return out;
}

Result<Token, Text> token_field(std::string_view token, std::string_view where) {
    if (token.size() > kMaxTokenSize) {
        return fail(path(where, "token") + ": " + std::to_string(token.size()) + " bytes, more than " +
                    std::to_string(kMaxTokenSize));
    }
    return Token(token);
}

// BEP 32 "want": an extension field, dropped when it is not a list; unknown entries are ignored.
std::optional<Want> read_want(const Value& args) {
    const Value* v = args.find("want");
    if (v == nullptr || v->as_list() == nullptr) return std::nullopt;
    Want want;
    for (const Value& item : *v->as_list()) {
        const auto* s = item.as_string();
        if (s == nullptr) continue;
        if (*s == "n4") want.n4 = true;
        if (*s == "n6") want.n6 = true;
    }
    return want;
}

Result<std::int64_t, Text> required_int(const Value& dict, std::string_view where, std::string_view key) {
    const Value* v = dict.find(key);
    if (v == nullptr) return fail(path(where, key) + " is missing");
    const auto* i = v->as_int();
    if (i == nullptr) return fail(path(where, key) + " is not an integer");
    return *i;
}

Result<Query, Text> decode_query(const Value& top, std::string_view method) {
    const Value* a = top.find("a");
    if (a == nullptr) return fail(Text("a is missing"));
    if (a->as_dict() == nullptr) return fail(Text("a is not a dictionary"));
    Query query;
    auto id = required_id(*a, "a", "id");
    if (!id) return fail(std::move(id).error());
    query.id = *id;
    if (const Value* ro = top.find("ro"); ro != nullptr && ro->as_int() != nullptr && *ro->as_int() == 1) {
        query.read_only = true;
    }

    if (method == "ping") {
        query.args = Ping{};
    } else if (method == "find_node") {
        auto target = required_id(*a, "a", "target");
        if (!target) return fail(std::move(target).error());
        query.args = FindNode{*target, read_want(*a)};
    } else if (method == "get_peers") {
        auto hash = required_id(*a, "a", "info_hash");
        if (!hash) return fail(std::move(hash).error());
        query.args = GetPeers{*hash, read_want(*a)};
    } else if (method == "announce_peer") {
        AnnouncePeer announce;
        auto hash = required_id(*a, "a", "info_hash");
        if (!hash) return fail(std::move(hash).error());
        announce.info_hash = *hash;
        auto port = required_int(*a, "a", "port");
        if (!port) return fail(std::move(port).error());
        if (*port < 0 || *port > 65535) return fail("a.port: " + std::to_string(*port) + " is not a port");
        announce.port = static_cast<std::uint16_t>(*port);
        if (const Value* implied = a->find("implied_port"); implied != nullptr) {
            if (implied->as_int() == nullptr) return fail(Text("a.implied_port is not an integer"));
            announce.implied_port = *implied->as_int() != 0;
        }
        auto token_text = required_string(*a, "a", "token");
        if (!token_text) return fail(std::move(token_text).error());
        auto token = token_field(*token_text, "a");
        if (!token) return fail(std::move(token).error());
        announce.token = std::move(*token);
        query.args = std::move(announce);
    } else {
        query.args = UnknownQuery{std::string(method)};
    }
    return query;
}

Result<std::vector<NodeInfo>, Text> node_list(std::string_view bytes, Endpoint::Family family,
                                              std::string_view key) {
    auto nodes = decode_compact_nodes(bytes, family);
    if (!nodes) {
        const std::size_t entry = family == Endpoint::Family::v4 ? kCompactNodeV4Size : kCompactNodeV6Size;
        return fail("r." + std::string(key) + ": " + std::to_string(bytes.size()) +
                    " bytes, not a multiple of " + std::to_string(entry));
    }
    return std::move(*nodes);
}

Result<Response, Text> decode_response(const Value& top, const Limits& limits) {
    const Value* r = top.find("r");
    if (r == nullptr) return fail(Text("r is missing"));
    if (r->as_dict() == nullptr) return fail(Text("r is not a dictionary"));
    Response response;
    auto id = required_id(*r, "r", "id");
    if (!id) return fail(std::move(id).error());
    response.id = *id;

    const std::pair<std::string_view, Endpoint::Family> lists[] = {{"nodes", Endpoint::Family::v4},
                                                                   {"nodes6", Endpoint::Family::v6}};
    for (const auto& [key, family] : lists) {
        if (r->find(key) == nullptr) continue;
        auto bytes = required_string(*r, "r", key);
        if (!bytes) return fail(std::move(bytes).error());
        auto nodes = node_list(*bytes, family, key);
        if (!nodes) return fail(std::move(nodes).error());
        (family == Endpoint::Family::v4 ? response.nodes : response.nodes6) = std::move(*nodes);
    }

    if (const Value* values = r->find("values"); values != nullptr) {
        const auto* list = values->as_list();
        if (list == nullptr) return fail(Text("r.values is not a list"));
        if (list->size() > limits.max_values) {
            return fail("r.values: " + std::to_string(list->size()) + " entries, more than " +
                        std::to_string(limits.max_values));
        }
        std::vector<Endpoint> peers;
        peers.reserve(list->size());
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto* s = (*list)[i].as_string();
            auto peer = s != nullptr ? endpoint_from_compact(as_bytes(*s)) : std::nullopt;
            if (!peer) {
                return fail("r.values[" + std::to_string(i) + "] is not a 6- or 18-byte compact peer");
            }
            peers.push_back(*peer);
        }
        response.values = std::move(peers);
    }

    if (r->find("token") != nullptr) {
        auto token_text = required_string(*r, "r", "token");
        if (!token_text) return fail(std::move(token_text).error());
        auto token = token_field(*token_text, "r");
        if (!token) return fail(std::move(token).error());
        response.token = std::move(*token);
    }
    return response;
}

Result<ErrorReply, Text> decode_error(const Value& top) {
    const Value* e = top.find("e");
    if (e == nullptr) return fail(Text("e is missing"));
    const auto* list = e->as_list();
    if (list == nullptr) return fail(Text("e is not a list"));
    if (list->size() < 2) return fail(Text("e has fewer than 2 elements"));
    const auto* code = (*list)[0].as_int();
    if (code == nullptr) return fail(Text("e[0] is not an integer"));
    const auto* text = (*list)[1].as_string();
    if (text == nullptr) return fail(Text("e[1] is not a string"));
    return ErrorReply{*code, std::string(*text)};
}

// ---- encoding helpers ----

Value string_value(std::string_view s) {
    return Value(s);
}

Value id_value(const std::array<std::uint8_t, 20>& id) {
    return Value(as_chars(id));
}

Value want_value(const Want& want) {
    Value::List list;
    if (want.n4) list.emplace_back("n4");
    if (want.n6) list.emplace_back("n6");
    return Value(std::move(list));
}

// Owned bytes that the Value tree points into. Filled completely before any view into it is taken.
struct EncodeStorage {
    std::string nodes;
    std::string nodes6;
    std::vector<std::string> values;
    std::string ip;
};

Value query_args(const Query& query) {
    Value::Dict a;
    a.emplace_back("id", id_value(query.id));
    if (const auto* find = std::get_if<FindNode>(&query.args)) {
        a.emplace_back("target", id_value(find->target));
        if (find->want) a.emplace_back("want", want_value(*find->want));
    } else if (const auto* get = std::get_if<GetPeers>(&query.args)) {
        a.emplace_back("info_hash", id_value(get->info_hash));
        if (get->want) a.emplace_back("want", want_value(*get->want));
    } else if (const auto* announce = std::get_if<AnnouncePeer>(&query.args)) {
        if (announce->implied_port) a.emplace_back("implied_port", Value(std::int64_t{1}));
        a.emplace_back("info_hash", id_value(announce->info_hash));
        a.emplace_back("port", Value(std::int64_t{announce->port}));
        a.emplace_back("token", string_value(announce->token));
    }
    return Value(std::move(a));
}

Value response_body(const Response& response, EncodeStorage& storage) {
    Value::Dict r;
    r.emplace_back("id", id_value(response.id));
    if (response.nodes) {
        storage.nodes = encode_compact_nodes(*response.nodes, Endpoint::Family::v4);
        r.emplace_back("nodes", string_value(storage.nodes));
    }
    if (response.nodes6) {
        storage.nodes6 = encode_compact_nodes(*response.nodes6, Endpoint::Family::v6);
        r.emplace_back("nodes6", string_value(storage.nodes6));
    }
    if (response.token) r.emplace_back("token", string_value(*response.token));
    if (response.values) {
        storage.values.resize(response.values->size());
        for (std::size_t i = 0; i < response.values->size(); ++i) {
            append_compact(storage.values[i], (*response.values)[i]);
        }
        Value::List list;
        list.reserve(storage.values.size());
        for (const std::string& peer : storage.values) list.emplace_back(std::string_view(peer));
        r.emplace_back("values", Value(std::move(list)));
    }
    return Value(std::move(r));
}

}  // namespace

Result<Message, KrpcError> decode(std::string_view datagram, const Limits& limits) {
    std::optional<TransactionId> reply_to;
    auto refuse = [&reply_to](Text text) {
        return fail(KrpcError{ErrorCode::protocol, std::move(text), reply_to});
    };

    if (datagram.size() > limits.max_message_size) {
        return refuse("message of " + std::to_string(datagram.size()) + " bytes, more than " +
                      std::to_string(limits.max_message_size));
    }
    bencode::Limits bencode_limits;
    bencode_limits.max_depth = limits.max_bencode_depth;
    bencode_limits.max_values = limits.max_bencode_values;
    bencode_limits.allow_unsorted_keys = true;
    auto top = bencode::decode(datagram, bencode_limits);
    if (!top) return refuse("not bencode: " + top.error().message());
    if (top->as_dict() == nullptr) return refuse("not a dictionary");

    Message message;
    auto t = required_string(*top, "", "t");
    if (!t) return refuse(std::move(t).error());
    if (t->size() > kMaxTransactionIdSize) {
        return refuse("t: " + std::to_string(t->size()) + " bytes, more than " +
                      std::to_string(kMaxTransactionIdSize));
    }
    message.transaction_id = std::string(*t);

    const Value* y = top->find("y");
    if (y == nullptr) return refuse("y is missing");
    if (y->as_string() == nullptr) return refuse("y is not a string");
    const std::string_view type = *y->as_string();

    if (const Value* v = top->find("v"); v != nullptr && v->as_string() != nullptr) {
        if (v->as_string()->size() <= kMaxVersionSize) message.version = std::string(*v->as_string());
    }
    if (const Value* ip = top->find("ip"); ip != nullptr && ip->as_string() != nullptr) {
        message.ip = endpoint_from_compact(as_bytes(*ip->as_string()));
    }

    if (type == "q") {
        reply_to = message.transaction_id;
        const Value* q = top->find("q");
        if (q == nullptr) return refuse("q is missing");
        if (q->as_string() == nullptr) return refuse("q is not a string");
        if (q->as_string()->size() > kMaxMethodNameSize) {
            return refuse("q: " + std::to_string(q->as_string()->size()) + " bytes, more than " +
                          std::to_string(kMaxMethodNameSize));
        }
        auto query = decode_query(*top, *q->as_string());
        if (!query) return refuse(std::move(query).error());
        message.body = std::move(*query);
    } else if (type == "r") {
        auto response = decode_response(*top, limits);
        if (!response) return refuse(std::move(response).error());
        message.body = std::move(*response);
    } else if (type == "e") {
        auto error = decode_error(*top);
        if (!error) return refuse(std::move(error).error());
        message.body = std::move(*error);
    } else {
        return refuse("y is not \"q\", \"r\" or \"e\"");
    }
    return message;
}

std::string encode(const Message& message) {
    EncodeStorage storage;
    Value::Dict top;
    top.emplace_back("t", string_value(message.transaction_id));
    if (message.version) top.emplace_back("v", string_value(*message.version));
    if (message.ip) {
        append_compact(storage.ip, *message.ip);
        top.emplace_back("ip", string_value(storage.ip));
    }
    if (const auto* query = std::get_if<Query>(&message.body)) {
        top.emplace_back("y", "q");
        top.emplace_back("q", string_value(method_name(*query)));
        top.emplace_back("a", query_args(*query));
        if (query->read_only) top.emplace_back("ro", Value(std::int64_t{1}));
    } else if (const auto* response = std::get_if<Response>(&message.body)) {
        top.emplace_back("y", "r");
        top.emplace_back("r", response_body(*response, storage));
    } else {
        const auto& error = std::get<ErrorReply>(message.body);
        top.emplace_back("y", "e");
        top.emplace_back("e", Value(Value::List{Value(error.code), string_value(error.text)}));
    }
    return bencode::encode(Value(std::move(top)));  // sorts the keys
}

QueryKind kind_of(const Query& query) noexcept {
    // The alternatives of Query::args are declared in QueryKind order.
    static_assert(std::is_same_v<std::variant_alternative_t<4, decltype(Query::args)>, UnknownQuery>);
    return static_cast<QueryKind>(query.args.index());
}

std::string_view method_name(QueryKind kind) noexcept {
    switch (kind) {
        case QueryKind::ping:
            return "ping";
        case QueryKind::find_node:
            return "find_node";
        case QueryKind::get_peers:
            return "get_peers";
        case QueryKind::announce_peer:
            return "announce_peer";
        case QueryKind::unknown:
            return "";
    }
    return "";
}

std::string_view method_name(const Query& query) noexcept {
    if (const auto* unknown = std::get_if<UnknownQuery>(&query.args)) return unknown->method;
    return method_name(kind_of(query));
}

bool is_complete_answer(const Response& response, QueryKind kind) noexcept {
    const bool has_nodes = response.nodes.has_value() || response.nodes6.has_value();
    switch (kind) {
        case QueryKind::find_node:
            return has_nodes;
        case QueryKind::get_peers:
            return response.token.has_value() && (has_nodes || response.values.has_value());
        case QueryKind::ping:
        case QueryKind::announce_peer:
        case QueryKind::unknown:
            return true;
    }
    return true;
}

std::optional<std::vector<NodeInfo>> decode_compact_nodes(std::string_view bytes, Endpoint::Family family) {
    const std::size_t entry = family == Endpoint::Family::v4 ? kCompactNodeV4Size : kCompactNodeV6Size;
    if (bytes.size() % entry != 0) return std::nullopt;
    std::vector<NodeInfo> nodes;
    nodes.reserve(bytes.size() / entry);
    const auto raw = as_bytes(bytes);
    for (std::size_t at = 0; at < raw.size(); at += entry) {
        NodeInfo node;
        std::memcpy(node.id.data(), raw.data() + at, kNodeIdSize);
        auto endpoint = endpoint_from_compact(raw.subspan(at + kNodeIdSize, entry - kNodeIdSize));
        if (!endpoint) return std::nullopt;  // cannot happen: the size is 6 or 18
        node.endpoint = *endpoint;
        nodes.push_back(node);
    }
    return nodes;
}

void append_compact_node(std::string& out, const NodeInfo& node) {
    out.append(as_chars(node.id));
    append_compact(out, node.endpoint);
}

std::string encode_compact_nodes(const std::vector<NodeInfo>& nodes, Endpoint::Family family) {
    std::string out;
    out.reserve(nodes.size() * (family == Endpoint::Family::v4 ? kCompactNodeV4Size : kCompactNodeV6Size));
    for (const NodeInfo& node : nodes) {
        if (node.endpoint.family == family) append_compact_node(out, node);
    }
    return out;
}

}  // namespace bt::dht
