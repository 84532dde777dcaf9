#pragma once
// KRPC, the message layer of the BitTorrent DHT (BEP 5): one bencoded dictionary per UDP datagram, with a
// transaction id "t", a type "y" ("q" query, "r" response, "e" error) and the type's body ("q"+"a", "r",
// "e"). Also carried: IPv6 nodes ("nodes6", "want", BEP 32), 18-byte peers in "values" (BEP 32), the
// requester's address "ip" (BEP 42) and the read-only flag "ro" (BEP 43).
//
// Pure codec: bytes in, values out, and back. No sockets, no clock, no state; never throws on bad input.
//
// Responses are kept generic (Response: id plus whatever of nodes, nodes6, values, token is present).
// BEP 5 responses carry no method name, so their meaning depends on the query they answer, which only the
// caller's transaction table knows. A generic Response keeps decode() stateless, lets one function handle
// every datagram (and one fuzz target cover it), and still loses nothing: the transaction layer matches
// "t", then asks is_complete_answer(response, kind) whether the fields that query needs are there.
//
// Decoding is strict where BEP 5 is and lenient elsewhere:
// - required: "t" (string, at most kMaxTransactionIdSize bytes), "y" ("q", "r" or "e"); for queries "q"
//   (string) and "a" (dict); for responses "r" (dict); for errors "e" ([integer, string, ...]); every query
//   and response carries "id", exactly 20 bytes;
// - the fields of the four BEP 5 queries and their responses must have the right type and shape when
//   present (ids and hashes 20 bytes, port 0-65535, "nodes" a multiple of 26 bytes, "nodes6" of 38, each
//   "values" entry 6 or 18 bytes, tokens at most kMaxTokenSize bytes), else the message is refused;
// - unknown keys are ignored anywhere, dictionary keys may come unsorted (some nodes do not sort; duplicate
//   keys are still refused), and the extension fields "v", "ip", "ro" and "want" are dropped, not refused,
//   when malformed;
// - a query with an unknown method decodes (as UnknownQuery) so that the node can answer error 204; its
//   arguments other than "id" are not read.
// - bounded whatever the input: the datagram size, the bencode depth and item count (Limits), and the
//   number of "values" entries. The node lists are bounded by the datagram size.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace bt::dht {

// BEP 5: "Node IDs are chosen at random from the same 160-bit space as BitTorrent infohashes".
inline constexpr std::size_t kNodeIdSize = 20;
using NodeId = std::array<std::uint8_t, kNodeIdSize>;
using InfoHash = std::array<std::uint8_t, 20>;  // the same type as crypto::Sha1Digest

// BEP 5: "Compact node info": the 20-byte node id then the compact IP/port (6 bytes), 26 bytes in all;
// BEP 32: the IPv6 form in "nodes6" is 20 + 18 = 38 bytes.
inline constexpr std::size_t kCompactNodeV4Size = kNodeIdSize + kCompactV4Size;
inline constexpr std::size_t kCompactNodeV6Size = kNodeIdSize + kCompactV6Size;
static_assert(kCompactNodeV4Size == 26 && kCompactNodeV6Size == 38);

// BEP 5: "typically 2 characters are enough". Longer ids are refused so that a node echoing them stays cheap.
inline constexpr std::size_t kMaxTransactionIdSize = 16;
// BEP 5: "The token value should be a short binary string."
inline constexpr std::size_t kMaxTokenSize = 64;
// The client version "v" (BEP 5 "Transaction ID" section, usually 2 letters + 2 bytes); longer ones are
// dropped.
inline constexpr std::size_t kMaxVersionSize = 16;
// An unknown method name longer than this is refused (no real method name comes close).
inline constexpr std::size_t kMaxMethodNameSize = 64;

using TransactionId = std::string;  // opaque bytes, 0..kMaxTransactionIdSize
using Token = std::string;          // opaque bytes, 0..kMaxTokenSize

struct NodeInfo {
    NodeId id{};
    Endpoint endpoint{};  // v4 nodes travel in "nodes", v6 nodes in "nodes6"
    friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

// The BEP 5 error codes ("e": [code, message]).
enum class ErrorCode : std::int32_t {
    generic = 201,
    server = 202,
    protocol = 203,  // "such as a malformed packet, invalid arguments, or bad token"
    method_unknown = 204,
};

// BEP 32 "want": which address families the querier wants nodes for ("n4", "n6").
struct Want {
    bool n4 = false;
    bool n6 = false;
    friend bool operator==(const Want&, const Want&) = default;
};

// Query arguments; every query also carries the querier's id (Query::id).
struct Ping {
    friend bool operator==(const Ping&, const Ping&) = default;
};
struct FindNode {
    NodeId target{};
    std::optional<Want> want{};
    friend bool operator==(const FindNode&, const FindNode&) = default;
};
struct GetPeers {
    InfoHash info_hash{};
    std::optional<Want> want{};
    friend bool operator==(const GetPeers&, const GetPeers&) = default;
};
struct AnnouncePeer {
    InfoHash info_hash{};
    std::uint16_t port = 0;
    // BEP 5: when set, "the port argument should be ignored and the source port of the UDP packet should be
    // used". Decoded as true for any non-zero integer; encoded only when true.
    bool implied_port = false;
    Token token{};
    friend bool operator==(const AnnouncePeer&, const AnnouncePeer&) = default;
};
// A method this codec does not know (BEP 44 get/put, BEP 51 sample_infohashes, ...): the node answers 204.
struct UnknownQuery {
    std::string method{};  // the "q" value, at most kMaxMethodNameSize bytes
    friend bool operator==(const UnknownQuery&, const UnknownQuery&) = default;
};

enum class QueryKind : std::uint8_t { ping, find_node, get_peers, announce_peer, unknown };

struct Query {
    NodeId id{};  // "a"."id": the querying node
    std::variant<Ping, FindNode, GetPeers, AnnouncePeer, UnknownQuery> args{};
    bool read_only = false;  // BEP 43 "ro": 1, the querier does not answer queries
    friend bool operator==(const Query&, const Query&) = default;
};

// Every response type in one: see the header comment. Each optional is engaged exactly when its key is
// present, so an empty "nodes" string (no nodes known) differs from no "nodes" key.
// (Every member of these message structs has an initializer, so partial aggregate initialization such as
// Response{.id = x, .nodes = list} stays free of -Wmissing-field-initializers.)
struct Response {
    NodeId id{};                                    // "r"."id": the queried node
    std::optional<std::vector<NodeInfo>> nodes{};   // v4 only (26-byte entries)
    std::optional<std::vector<NodeInfo>> nodes6{};  // v6 only (38-byte entries, BEP 32)
    std::optional<std::vector<Endpoint>> values{};  // get_peers peers, v4 and v6 mixed, in the node's order
    std::optional<Token> token{};                   // get_peers write token
    friend bool operator==(const Response&, const Response&) = default;
};

// An error message received or to send ("y": "e"). The code is whatever the sender put there.
struct ErrorReply {
    std::int64_t code = static_cast<std::int64_t>(ErrorCode::generic);
    std::string text{};
    friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};

struct Message {
    TransactionId transaction_id{};
    std::variant<Query, Response, ErrorReply> body{};
    std::optional<std::string> version{};  // "v", at most kMaxVersionSize bytes
    std::optional<Endpoint> ip{};          // BEP 42 "ip": the address the sender sees us at
    friend bool operator==(const Message&, const Message&) = default;
};

struct Limits {
    // Larger datagrams are refused before decoding (a KRPC message fits in one MTU in practice).
    std::size_t max_message_size = 16 * 1024;
    // A "values" list longer than this is refused (1,500 bytes hold about 180 v4 peers).
    std::size_t max_values = 512;
    std::size_t max_bencode_depth = 16;
    std::size_t max_bencode_values = 4096;
};

// Why a datagram was refused.
struct KrpcError {
    // The BEP 5 code to answer with: always 203 (protocol error) from decode().
    ErrorCode code = ErrorCode::protocol;
    // What was wrong and where, e.g. "a.id: 19 bytes, expected 20".
    std::string text;
    // Set only when the datagram was a query ("y": "q") with a usable "t": then the node may answer with
    // an error message carrying this id. Never set for responses and errors, so that two nodes cannot keep
    // answering each other's errors.
    std::optional<TransactionId> reply_to;
};

// Decodes one datagram. See the header comment for what is refused and what is ignored.
Result<Message, KrpcError> decode(std::string_view datagram, const Limits& limits = {});

// Canonical bencode (keys sorted, as BEP 3 requires). Absent optionals are left out, implied_port and "ro"
// are written only when true. Nodes of the wrong family for their list are skipped (a v6 node never goes
// into "nodes"). The output decodes back to the same Message when the fields respect the size bounds above.
std::string encode(const Message& message);

QueryKind kind_of(const Query& query) noexcept;
// "ping", "find_node", "get_peers", "announce_peer"; "" for QueryKind::unknown.
std::string_view method_name(QueryKind kind) noexcept;
// The method name as sent: the UnknownQuery's own name for unknown methods.
std::string_view method_name(const Query& query) noexcept;

// Whether a response has what an answer to `kind` must carry (BEP 5): find_node needs "nodes" or "nodes6";
// get_peers needs a "token" and one of "values", "nodes", "nodes6"; ping and announce_peer only the id.
bool is_complete_answer(const Response& response, QueryKind kind) noexcept;

// Compact node lists: the concatenation of 26-byte (v4) or 38-byte (v6) entries. nullopt when the size is
// not a multiple of the entry size. encode_compact_nodes skips nodes whose endpoint is not of `family`.
std::optional<std::vector<NodeInfo>> decode_compact_nodes(std::string_view bytes, Endpoint::Family family);
void append_compact_node(std::string& out, const NodeInfo& node);
std::string encode_compact_nodes(const std::vector<NodeInfo>& nodes, Endpoint::Family family);

}  // namespace bt::dht
