#include "dht/krpc.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bencode/decode.hpp"
#include "bencode/encode.hpp"

namespace bt::dht {
namespace {

using namespace std::string_literals;

// A 20-byte id from 20 characters, as the BEP 5 examples write them.
NodeId id_of(std::string_view text) {
    NodeId id{};
    EXPECT_EQ(text.size(), id.size());
    std::memcpy(id.data(), text.data(), std::min(text.size(), id.size()));
    return id;
}

Endpoint peer_v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
    return Endpoint::v4({a, b, c, d}, port);
}

Endpoint peer_v6(std::uint8_t last, std::uint16_t port) {
    std::array<std::uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8};
    bytes[15] = last;
    return Endpoint::v6(bytes, port);
}

std::string compact(const Endpoint& e) {
    std::string out;
    append_compact(out, e);
    return out;
}

Message query(Query q, std::string t = "aa") {
    return Message{std::move(t), std::move(q), std::nullopt, std::nullopt};
}

Message response(Response r, std::string t = "aa") {
    return Message{std::move(t), std::move(r), std::nullopt, std::nullopt};
}

Message decoded(std::string_view bytes) {
    auto m = decode(bytes);
    EXPECT_TRUE(m) << (m ? "" : m.error().text) << " for " << bytes;
    return m ? *m : Message{};
}

KrpcError refused(std::string_view bytes, const Limits& limits = {}) {
    auto m = decode(bytes, limits);
    EXPECT_FALSE(m) << "decoded: " << bytes;
    return m ? KrpcError{} : m.error();
}

const NodeId kAbc = id_of("abcdefghij0123456789");
const NodeId kMno = id_of("mnopqrstuvwxyz123456");

// ---- BEP 5 example packets, byte for byte ----

struct Bep5Example {
    const char* name;
    std::string bytes;
    Message message;
};

std::vector<Bep5Example> bep5_examples() {
    Response values_response{kAbc, std::nullopt, std::nullopt, std::vector<Endpoint>{}, Token("aoeusnth")};
    // "axje.u" and "idhtnm" are 6-byte compact peers: 'a' 'x' 'j' 'e' is 97.120.106.101, ".u" the port.
    values_response.values = {peer_v4('a', 'x', 'j', 'e', ('.' << 8) | 'u'),
                              peer_v4('i', 'd', 'h', 't', ('n' << 8) | 'm')};
    return {
        {"ping query", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe", query({kAbc, Ping{}})},
        {"ping response", "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re", response({.id = kMno})},
        {"find_node query",
         "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
         query({kAbc, FindNode{kMno, std::nullopt}})},
        {"get_peers query",
         "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
         query({kAbc, GetPeers{kMno, std::nullopt}})},
        {"get_peers response with values",
         "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re",
         response(values_response)},
        // The BEP's bencoded form leaves implied_port out (its dictionary form says 1), so implied_port is
        // false.
        {"announce_peer query",
         "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:"
         "q13:"
         "announce_peer1:t2:aa1:y1:qe",
         query({kAbc, AnnouncePeer{kMno, 6881, false, "aoeusnth"}})},
        {"generic error", "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
         Message{"aa", ErrorReply{201, "A Generic Error Ocurred"}, std::nullopt, std::nullopt}},
    };
}

TEST(Krpc, DecodesBep5ExamplesToTheirMessages) {
    for (const auto& example : bep5_examples()) {
        SCOPED_TRACE(example.name);
        EXPECT_EQ(decoded(example.bytes), example.message);
    }
}

TEST(Krpc, EncodesBep5ExamplesByteForByte) {
    for (const auto& example : bep5_examples()) {
        SCOPED_TRACE(example.name);
        EXPECT_EQ(encode(example.message), example.bytes);
    }
}

// The BEP's find_node and get_peers "nodes" examples are placeholders ("def456...", 9 bytes), not node lists.
TEST(Krpc, RefusesBep5PlaceholderNodesBecauseNineBytesIsNotANodeList) {
    EXPECT_EQ(refused("d1:rd2:id20:0123456789abcdefghij5:nodes9:def456...e1:t2:aa1:y1:re").text,
              "r.nodes: 9 bytes, not a multiple of 26");
    EXPECT_EQ(
        refused("d1:rd2:id20:abcdefghij01234567895:nodes9:def456...5:token8:aoeusnthe1:t2:aa1:y1:re").text,
        "r.nodes: 9 bytes, not a multiple of 26");
}

TEST(Krpc, FindNodeResponseWithTwoNodesMatchesHandBuiltBytes) {
    const NodeInfo a{kMno, peer_v4(10, 0, 0, 1, 6881)};
    const NodeInfo b{kAbc, peer_v4(192, 168, 1, 2, 0x1ae2)};
    const std::string nodes =
        "mnopqrstuvwxyz123456\x0a\x00\x00\x01\x1a\xe1"s + "abcdefghij0123456789\xc0\xa8\x01\x02\x1a\xe2"s;
    ASSERT_EQ(nodes.size(), 52u);
    const std::string bytes = "d1:rd2:id20:0123456789abcdefghij5:nodes52:" + nodes + "e1:t2:aa1:y1:re";
    const Message m = response({.id = id_of("0123456789abcdefghij"), .nodes = std::vector<NodeInfo>{a, b}});
    EXPECT_EQ(decoded(bytes), m);
    EXPECT_EQ(encode(m), bytes);
}

TEST(Krpc, GetPeersResponseWithNodesAndTokenRoundTrips) {
    Response r{kAbc, std::vector<NodeInfo>{{kMno, peer_v4(1, 2, 3, 4, 5)}}, std::nullopt, std::nullopt,
               Token("aoeusnth")};
    const std::string bytes =
        "d1:rd2:id20:abcdefghij01234567895:nodes26:mnopqrstuvwxyz123456\x01\x02\x03\x04\x00\x05"s +
        "5:token8:aoeusnthe1:t2:aa1:y1:re";
    EXPECT_EQ(encode(response(r)), bytes);
    EXPECT_EQ(decoded(bytes), response(r));
    EXPECT_TRUE(is_complete_answer(r, QueryKind::get_peers));
}

TEST(Krpc, AnnouncePeerWithImpliedPortWritesItInSortedPosition) {
    const Message m = query({kAbc, AnnouncePeer{kMno, 6881, true, "aoeusnth"}});
    const std::string bytes =
        "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:"
        "token8:"
        "aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
    EXPECT_EQ(encode(m), bytes);
    EXPECT_EQ(decoded(bytes), m);
}

TEST(Krpc, AnyNonZeroImpliedPortMeansImpliedAndZeroMeansNot) {
    const std::string head = "d1:ad2:id20:abcdefghij012345678912:implied_porti";
    const std::string tail =
        "e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token2:tte1:q13:announce_peer1:t2:aa1:y1:qe";
    EXPECT_TRUE(std::get<AnnouncePeer>(std::get<Query>(decoded(head + "7" + tail).body).args).implied_port);
    EXPECT_FALSE(std::get<AnnouncePeer>(std::get<Query>(decoded(head + "0" + tail).body).args).implied_port);
}

// ---- unknown methods, extensions, leniency ----

TEST(Krpc, UnknownMethodDecodesAsUnknownQuerySoTheNodeCanAnswer204) {
    const Message m = decoded("d1:ad2:id20:abcdefghij01234567891:v5:helloe1:q3:get1:t2:xy1:y1:qe");
    const auto& q = std::get<Query>(m.body);
    EXPECT_EQ(kind_of(q), QueryKind::unknown);
    EXPECT_EQ(method_name(q), "get");
    EXPECT_EQ(q.id, kAbc);
    EXPECT_EQ(m.transaction_id, "xy");
    // Re-encoded with only the id: the other arguments were not read.
    EXPECT_EQ(encode(m), "d1:ad2:id20:abcdefghij0123456789e1:q3:get1:t2:xy1:y1:qe");
}

TEST(Krpc, IgnoresUnknownKeysAndAcceptsUnsortedKeys) {
    const Message m = decoded("d1:y1:q1:t2:aa1:q4:ping1:zi5e1:ad3:fooli1ee2:id20:abcdefghij0123456789ee");
    EXPECT_EQ(m, query({kAbc, Ping{}}));
}

TEST(Krpc, KeepsVersionIpAndReadOnlyAndWritesThemCanonically) {
    Message m = query({kAbc, GetPeers{kMno, Want{true, true}}, true}, "\x00\x01"s);
    m.version = "LT\x01\x02"s;
    m.ip = peer_v4(127, 0, 0, 1, 6881);
    const std::string bytes =
        "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:wantl2:n42:n6ee2:ip6:"
        "\x7f\x00\x00\x01\x1a\xe1"
        "1:q9:get_peers2:roi1e1:t2:\x00\x01"
        "1:v4:LT\x01\x02"
        "1:y1:qe"s;
    EXPECT_EQ(encode(m), bytes);
    EXPECT_EQ(decoded(bytes), m);
}

TEST(Krpc, DropsMalformedExtensionFieldsInsteadOfRefusing) {
    // v of 17 bytes, ip of 5 bytes, ro of 2, want not a list.
    const Message m = decoded(
        "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wanti1ee2:ip5:12345"
        "1:q9:find_node2:roi2e1:t2:aa1:v17:aaaaaaaaaaaaaaaaa1:y1:qe");
    EXPECT_EQ(m, query({kAbc, FindNode{kMno, std::nullopt}}));
}

TEST(Krpc, WantIgnoresUnknownEntries) {
    const Message m = decoded(
        "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n62:n9i4eee1:q9:find_node1:"
        "t2:aa1:y1:qe");
    EXPECT_EQ(std::get<FindNode>(std::get<Query>(m.body).args).want, (Want{false, true}));
}

// ---- IPv6 (BEP 32) ----

TEST(Krpc, DecodesNodes6AndMixedValues) {
    const Endpoint v6 = peer_v6(0x42, 6881);
    const std::string node6 = "mnopqrstuvwxyz123456" + compact(v6);
    ASSERT_EQ(node6.size(), kCompactNodeV6Size);
    const std::string bytes = "d1:rd2:id20:abcdefghij01234567896:nodes638:" + node6 +
                              "5:token1:x6:valuesl18:" + compact(v6) +
                              "6:" + compact(peer_v4(1, 2, 3, 4, 80)) + "ee1:t2:aa1:y1:re";
    const Message m = decoded(bytes);
    const auto& r = std::get<Response>(m.body);
    ASSERT_TRUE(r.nodes6);
    EXPECT_EQ(*r.nodes6, (std::vector<NodeInfo>{{kMno, v6}}));
    EXPECT_FALSE(r.nodes);
    ASSERT_TRUE(r.values);
    EXPECT_EQ(*r.values, (std::vector<Endpoint>{v6, peer_v4(1, 2, 3, 4, 80)}));
    EXPECT_EQ(encode(m), bytes);
}

TEST(Krpc, EncodeSkipsNodesOfTheWrongFamilyForTheirList) {
    Response r{.id = kAbc};
    r.nodes = std::vector<NodeInfo>{{kMno, peer_v6(1, 1)}, {kMno, peer_v4(1, 1, 1, 1, 1)}};
    r.nodes6 = std::vector<NodeInfo>{{kMno, peer_v4(2, 2, 2, 2, 2)}};
    const Message m = decoded(encode(response(r)));
    const auto& back = std::get<Response>(m.body);
    EXPECT_EQ(back.nodes, (std::vector<NodeInfo>{{kMno, peer_v4(1, 1, 1, 1, 1)}}));
    EXPECT_EQ(back.nodes6, std::vector<NodeInfo>{});
}

TEST(Krpc, EmptyNodesDiffersFromAbsentNodes) {
    Response with_empty{.id = kAbc, .nodes = std::vector<NodeInfo>{}};
    const std::string bytes = encode(response(with_empty));
    EXPECT_NE(bytes.find("5:nodes0:"), std::string::npos);
    EXPECT_EQ(decoded(bytes), response(with_empty));
    EXPECT_TRUE(is_complete_answer(with_empty, QueryKind::find_node));
    EXPECT_FALSE(is_complete_answer(Response{.id = kAbc}, QueryKind::find_node));
}

// ---- round trips ----

TEST(Krpc, EveryMessageKindRoundTrips) {
    Response full{.id = kMno};
    full.nodes = std::vector<NodeInfo>{{kAbc, peer_v4(9, 8, 7, 6, 5)}};
    full.nodes6 = std::vector<NodeInfo>{{kAbc, peer_v6(7, 7)}};
    full.values = std::vector<Endpoint>{peer_v4(1, 1, 1, 1, 1), peer_v6(2, 2)};
    full.token = std::string("\x00\xff", 2);
    Message with_extras = query({kAbc, UnknownQuery{"sample_infohashes"}, true}, "");
    with_extras.version = "";
    with_extras.ip = peer_v6(3, 3);
    const std::vector<Message> messages = {
        query({kAbc, Ping{}}),
        query({kAbc, FindNode{kMno, Want{true, false}}}),
        query({kAbc, GetPeers{kMno, Want{}}}),
        query({kAbc, AnnouncePeer{kMno, 0, true, ""}}),
        query({kAbc, AnnouncePeer{kMno, 65535, false, std::string(kMaxTokenSize, 't')}}),
        response(full, std::string(kMaxTransactionIdSize, 'T')),
        Message{"e1", ErrorReply{-5, ""}, std::nullopt, std::nullopt},
        Message{"e2", ErrorReply{204, "Method Unknown"}, "UT\x01\x02"s, peer_v4(8, 8, 8, 8, 53)},
        with_extras,
    };
    for (const auto& m : messages) {
        const std::string bytes = encode(m);
        SCOPED_TRACE(bytes);
        EXPECT_EQ(decoded(bytes), m);
    }
}

TEST(Krpc, EncodingIsCanonicalBencode) {
    Response r{kMno, std::vector<NodeInfo>{}, std::vector<NodeInfo>{}, std::vector<Endpoint>{}, Token("t")};
    Message m = response(r);
    m.version = "ab";
    m.ip = peer_v4(1, 2, 3, 4, 5);
    const std::string bytes = encode(m);
    auto strict = bencode::decode(bytes);  // refuses unsorted keys
    ASSERT_TRUE(strict) << strict.error().message();
    EXPECT_EQ(bencode::encode(*strict), bytes);
}

// ---- malformed input ----

struct Malformed {
    const char* name;
    std::string bytes;
    std::string text;  // expected KrpcError::text (for bencode errors: its start, the byte offset follows)
    bool reply;        // whether the node may answer (a query with a usable t)
};

const std::string kId = "2:id20:abcdefghij0123456789";
const std::string kTail = "1:t2:aa1:y1:qe";  // after "q"

std::vector<Malformed> malformed_cases() {
    return {
        {"not bencode", "d1:t2:aa", "not bencode: unexpected end of input", false},
        {"trailing data", "d1:t2:aa1:y1:ree", "not bencode: trailing data after the value", false},
        {"duplicate key", "d1:t2:aa1:t2:bb1:y1:re", "not bencode: duplicate dictionary key", false},
        {"not a dict", "li1ee", "not a dictionary", false},
        {"missing t", "d1:ad" + kId + "e1:q4:ping1:y1:qe", "t is missing", false},
        {"t not a string", "d1:ad" + kId + "e1:q4:ping1:ti5e1:y1:qe", "t is not a string", false},
        {"t too long", "d1:ad" + kId + "e1:q4:ping1:t17:aaaaaaaaaaaaaaaaa1:y1:qe",
         "t: 17 bytes, more than 16", false},
        {"missing y", "d1:ad" + kId + "e1:q4:ping1:t2:aae", "y is missing", false},
        {"y not a string", "d1:ad" + kId + "e1:q4:ping1:t2:aa1:yi1ee", "y is not a string", false},
        {"y unknown", "d1:ad" + kId + "e1:q4:ping1:t2:aa1:y1:xe", "y is not \"q\", \"r\" or \"e\"", false},
        {"q missing", "d1:ad" + kId + "e" + kTail, "q is missing", true},
        {"q not a string", "d1:ad" + kId + "e1:qi1e" + kTail, "q is not a string", true},
        {"q too long", "d1:ad" + kId + "e1:q65:" + std::string(65, 'm') + kTail, "q: 65 bytes, more than 64",
         true},
        {"a missing", "d1:q4:ping" + kTail, "a is missing", true},
        {"a is a list", "d1:al" + kId.substr(4) + "e1:q4:ping" + kTail, "a is not a dictionary", true},
        {"id missing", "d1:ade1:q4:ping" + kTail, "a.id is missing", true},
        {"id of 19 bytes", "d1:ad2:id19:abcdefghij012345678e1:q4:ping" + kTail, "a.id: 19 bytes, expected 20",
         true},
        {"id of 21 bytes", "d1:ad2:id21:abcdefghij0123456789Xe1:q4:ping" + kTail,
         "a.id: 21 bytes, expected 20", true},
        {"id an integer", "d1:ad2:idi5ee1:q4:ping" + kTail, "a.id is not a string", true},
        {"unknown method without id", "d1:ade1:q3:put" + kTail, "a.id is missing", true},
        {"find_node without target", "d1:ad" + kId + "e1:q9:find_node" + kTail, "a.target is missing", true},
        {"find_node target of 19 bytes",
         "d1:ad" + kId + "6:target19:mnopqrstuvwxyz12345e1:q9:find_node" + kTail,
         "a.target: 19 bytes, expected 20", true},
        {"get_peers without info_hash", "d1:ad" + kId + "e1:q9:get_peers" + kTail, "a.info_hash is missing",
         true},
        {"announce_peer without port",
         "d1:ad" + kId + "9:info_hash20:mnopqrstuvwxyz1234565:token1:xe1:q13:announce_peer" + kTail,
         "a.port is missing", true},
        {"announce_peer port out of range",
         "d1:ad" + kId + "9:info_hash20:mnopqrstuvwxyz1234564:porti65536e5:token1:xe1:q13:announce_peer" +
             kTail,
         "a.port: 65536 is not a port", true},
        {"announce_peer negative port",
         "d1:ad" + kId + "9:info_hash20:mnopqrstuvwxyz1234564:porti-1e5:token1:xe1:q13:announce_peer" + kTail,
         "a.port: -1 is not a port", true},
        {"announce_peer port a string",
         "d1:ad" + kId + "9:info_hash20:mnopqrstuvwxyz1234564:port4:68815:token1:xe1:q13:announce_peer" +
             kTail,
         "a.port is not an integer", true},
        {"announce_peer without token",
         "d1:ad" + kId + "9:info_hash20:mnopqrstuvwxyz1234564:porti1ee1:q13:announce_peer" + kTail,
         "a.token is missing", true},
        {"announce_peer token too long",
         "d1:ad" + kId + "9:info_hash20:mnopqrstuvwxyz1234564:porti1e5:token65:" + std::string(65, 'k') +
             "e1:q13:announce_peer" + kTail,
         "a.token: 65 bytes, more than 64", true},
        {"announce_peer implied_port a string",
         "d1:ad" + kId +
             "12:implied_port1:19:info_hash20:mnopqrstuvwxyz1234564:porti1e5:token1:xe1:q13:announce_peer" +
             kTail,
         "a.implied_port is not an integer", true},
        {"r missing", "d1:t2:aa1:y1:re", "r is missing", false},
        {"r a string", "d1:r2:id1:t2:aa1:y1:re", "r is not a dictionary", false},
        {"response id of 19 bytes", "d1:rd2:id19:abcdefghij012345678e1:t2:aa1:y1:re",
         "r.id: 19 bytes, expected 20", false},
        {"nodes of 25 bytes", "d1:rd" + kId + "5:nodes25:" + std::string(25, 'n') + "e1:t2:aa1:y1:re",
         "r.nodes: 25 bytes, not a multiple of 26", false},
        {"nodes of 27 bytes", "d1:rd" + kId + "5:nodes27:" + std::string(27, 'n') + "e1:t2:aa1:y1:re",
         "r.nodes: 27 bytes, not a multiple of 26", false},
        {"nodes an integer", "d1:rd" + kId + "5:nodesi0ee1:t2:aa1:y1:re", "r.nodes is not a string", false},
        {"nodes6 of 26 bytes", "d1:rd" + kId + "6:nodes626:" + std::string(26, 'n') + "e1:t2:aa1:y1:re",
         "r.nodes6: 26 bytes, not a multiple of 38", false},
        {"values a string", "d1:rd" + kId + "6:values6:abcdefe1:t2:aa1:y1:re", "r.values is not a list",
         false},
        {"value of 7 bytes", "d1:rd" + kId + "6:valuesl6:abcdef7:abcdefgee1:t2:aa1:y1:re",
         "r.values[1] is not a 6- or 18-byte compact peer", false},
        {"value an integer", "d1:rd" + kId + "6:valuesli1eee1:t2:aa1:y1:re",
         "r.values[0] is not a 6- or 18-byte compact peer", false},
        {"token an integer", "d1:rd" + kId + "5:tokeni1ee1:t2:aa1:y1:re", "r.token is not a string", false},
        {"e missing", "d1:t2:aa1:y1:ee", "e is missing", false},
        {"e a string", "d1:e3:bad1:t2:aa1:y1:ee", "e is not a list", false},
        {"e with one element", "d1:eli201ee1:t2:aa1:y1:ee", "e has fewer than 2 elements", false},
        {"e code a string", "d1:el3:2013:bade1:t2:aa1:y1:ee", "e[0] is not an integer", false},
        {"e text an integer", "d1:eli201ei1ee1:t2:aa1:y1:ee", "e[1] is not a string", false},
    };
}

TEST(Krpc, RefusesMalformedMessagesWithProtocolError) {
    for (const auto& c : malformed_cases()) {
        SCOPED_TRACE(c.name);
        const KrpcError error = refused(c.bytes);
        EXPECT_EQ(error.code, ErrorCode::protocol);
        if (c.text.rfind("not bencode: ", 0) == 0) {
            EXPECT_EQ(error.text.rfind(c.text, 0), 0u) << error.text;
        } else {
            EXPECT_EQ(error.text, c.text);
        }
        EXPECT_EQ(error.reply_to.has_value(), c.reply);
        if (c.reply && error.reply_to) {
            EXPECT_EQ(*error.reply_to, "aa");
        }
    }
}

TEST(Krpc, RefusesDatagramsOverTheSizeLimitBeforeDecoding) {
    Limits limits;
    limits.max_message_size = 60;
    const std::string ping = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
    ASSERT_EQ(ping.size(), 56u);
    EXPECT_TRUE(decode(ping, limits));
    const std::string padded = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:q1:z1:_e";
    EXPECT_EQ(refused(padded, limits).text, "message of 62 bytes, more than 60");
}

TEST(Krpc, RefusesMoreValuesThanTheLimit) {
    Limits limits;
    limits.max_values = 3;
    Response r{kAbc, std::nullopt, std::nullopt, std::vector<Endpoint>(3, peer_v4(1, 2, 3, 4, 5)),
               Token("x")};
    EXPECT_TRUE(decode(encode(response(r)), limits));
    r.values->push_back(peer_v4(1, 2, 3, 4, 6));
    EXPECT_EQ(refused(encode(response(r)), limits).text, "r.values: 4 entries, more than 3");
}

TEST(Krpc, RefusesDeepNestingAndTooManyItems) {
    std::string deep = "d1:ad" + kId + "1:z";
    for (int i = 0; i < 20; ++i) deep += "l";
    for (int i = 0; i < 20; ++i) deep += "e";
    deep += "e1:q4:ping" + kTail;
    EXPECT_EQ(refused(deep).text.rfind("not bencode: nesting too deep", 0), 0u) << refused(deep).text;

    Limits limits;
    limits.max_bencode_values = 20;
    std::string many = "d1:ad" + kId + "1:zl";
    for (int i = 0; i < 20; ++i) many += "0:";
    many += "ee1:q4:ping" + kTail;
    EXPECT_EQ(refused(many, limits).text.rfind("not bencode: ", 0), 0u);
    EXPECT_TRUE(decode(many));
}

TEST(Krpc, ErrorsAndResponsesNeverInviteAReply) {
    // Even with a usable t, a malformed response or error must not be answered.
    EXPECT_FALSE(refused("d1:rd2:id1:xe1:t2:aa1:y1:re").reply_to);
    EXPECT_FALSE(refused("d1:eli1ee1:t2:aa1:y1:ee").reply_to);
}

// ---- helpers ----

TEST(Krpc, QueryKindsAndMethodNames) {
    const std::vector<std::pair<Query, std::string_view>> table = {
        {{kAbc, Ping{}}, "ping"},
        {{kAbc, FindNode{}}, "find_node"},
        {{kAbc, GetPeers{}}, "get_peers"},
        {{kAbc, AnnouncePeer{}}, "announce_peer"},
        {{kAbc, UnknownQuery{"vote"}}, "vote"},
    };
    for (const auto& [q, name] : table) {
        EXPECT_EQ(method_name(q), name);
        if (kind_of(q) != QueryKind::unknown) {
            EXPECT_EQ(method_name(kind_of(q)), name);
        }
    }
    EXPECT_EQ(kind_of(table[3].first), QueryKind::announce_peer);
    EXPECT_EQ(method_name(QueryKind::unknown), "");
}

TEST(Krpc, CompleteAnswerDependsOnTheQueryKind) {
    const Response bare{.id = kAbc};
    Response nodes6_only{.id = kAbc};
    nodes6_only.nodes6 = std::vector<NodeInfo>{};
    Response values_no_token{.id = kAbc};
    values_no_token.values = std::vector<Endpoint>{};
    Response values_token = values_no_token;
    values_token.token = "x";
    Response token_only{.id = kAbc};
    token_only.token = "x";

    EXPECT_TRUE(is_complete_answer(bare, QueryKind::ping));
    EXPECT_TRUE(is_complete_answer(bare, QueryKind::announce_peer));
    EXPECT_FALSE(is_complete_answer(bare, QueryKind::find_node));
    EXPECT_TRUE(is_complete_answer(nodes6_only, QueryKind::find_node));
    EXPECT_FALSE(is_complete_answer(values_no_token, QueryKind::get_peers));
    EXPECT_TRUE(is_complete_answer(values_token, QueryKind::get_peers));
    EXPECT_FALSE(is_complete_answer(token_only, QueryKind::get_peers));
}

TEST(Krpc, CompactNodeListsRejectPartialEntries) {
    EXPECT_EQ(decode_compact_nodes("", Endpoint::Family::v4), std::vector<NodeInfo>{});
    EXPECT_FALSE(decode_compact_nodes(std::string(26, 'x'), Endpoint::Family::v6));
    EXPECT_FALSE(decode_compact_nodes(std::string(38, 'x'), Endpoint::Family::v4));
    const auto two = decode_compact_nodes(std::string(76, 'x'), Endpoint::Family::v6);
    ASSERT_TRUE(two);
    ASSERT_EQ(two->size(), 2u);
    EXPECT_TRUE((*two)[1].endpoint.is_v6());
    EXPECT_EQ((*two)[1].endpoint.port, ('x' << 8) | 'x');
    EXPECT_EQ(encode_compact_nodes(*two, Endpoint::Family::v6), std::string(76, 'x'));
}

}  // namespace
}  // namespace bt::dht
