// One Node, driven by hand-written KRPC datagrams: what it answers, what it refuses, what it learns.
#include "dht/node.hpp"

#include <gtest/gtest.h>

#include <set>

#include "dht/node_id.hpp"
#include "dht/routing_table.hpp"

namespace bt::dht {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = TimePoint{} + 1h;

Endpoint public_address(std::uint32_t n, std::uint16_t port = 6881) {
    return Endpoint::v4({6, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                         static_cast<std::uint8_t>(n)},
                        port);
}

InfoHash hash_of(std::uint32_t n) {
    InfoHash h{};
    h[0] = static_cast<std::uint8_t>(n);
    h[1] = static_cast<std::uint8_t>(n >> 8);
    h[2] = static_cast<std::uint8_t>(n >> 16);
    return h;
}

class DhtNodeTest : public ::testing::Test {
  protected:
    Rng rng{5};
    Endpoint own_address = public_address(1);
    NodeSettings settings = [] {
        NodeSettings s;
        return s;
    }();
    std::unique_ptr<Node> node;
    TimePoint now = kStart;

    void SetUp() override { make_node(); }
    void make_node() {
        node = std::make_unique<Node>(settings, node_id_for_address(own_address, 1, rng),
                                      Endpoint::Family::v4, 77, now);
    }

    NodeId valid_id(const Endpoint& address) {
        return node_id_for_address(address, static_cast<std::uint8_t>(rng.next()), rng);
    }

    // Sends a query to the node and returns the decoded answers (not queries) it sent back to `from`.
    std::vector<Message> ask(const Endpoint& from, Query query, const TransactionId& tid = "tt") {
        node->receive(from, encode(Message{.transaction_id = tid, .body = std::move(query)}), now);
        return answers_to(from);
    }
    std::vector<Message> answers_to(const Endpoint& to) {
        std::vector<Message> answers;
        for (const auto& out : node->take_outgoing()) {
            if (out.to != to) continue;
            auto decoded = decode(out.datagram);
            EXPECT_TRUE(decoded);
            if (decoded && !std::holds_alternative<Query>(decoded->body)) answers.push_back(*decoded);
        }
        return answers;
    }
    // The queries the node sent, with where they went.
    std::vector<std::pair<Endpoint, Message>> sent_queries() {
        std::vector<std::pair<Endpoint, Message>> queries;
        for (const auto& out : node->take_outgoing()) {
            auto decoded = decode(out.datagram);
            EXPECT_TRUE(decoded);
            if (decoded && std::holds_alternative<Query>(decoded->body)) {
                queries.emplace_back(out.to, *decoded);
            }
        }
        return queries;
    }
    // Answers a query the node sent, as `id`.
    void answer(const Endpoint& from, const Message& query, Response response,
                std::optional<Endpoint> ip = {}) {
        node->receive(
            from,
            encode(Message{.transaction_id = query.transaction_id, .body = std::move(response), .ip = ip}),
            now);
    }
    // Makes `count` public nodes known: each is added, asked, and answers.
    std::vector<NodeInfo> befriend(std::uint32_t first, std::uint32_t count) {
        std::vector<NodeInfo> friends;
        for (std::uint32_t i = first; i < first + count; ++i) {
            const Endpoint address = public_address(i);
            const NodeInfo info{valid_id(address), address};
            node->add_node(address, now);
            for (const auto& [to, query] : sent_queries()) {
                if (to == address) {
                    answer(address, query, Response{.id = info.id, .nodes = std::vector<NodeInfo>{}});
                }
            }
            friends.push_back(info);
        }
        node->take_outgoing();
        return friends;
    }
    Token token_for(const Endpoint& from, const InfoHash& hash) {
        const auto answers = ask(from, Query{.id = valid_id(from), .args = GetPeers{.info_hash = hash}});
        EXPECT_EQ(answers.size(), 1u);
        const auto* response = answers.empty() ? nullptr : std::get_if<Response>(&answers[0].body);
        return response != nullptr && response->token ? *response->token : Token{};
    }
};

const Response* response_of(const std::vector<Message>& answers) {
    return answers.size() == 1 ? std::get_if<Response>(&answers[0].body) : nullptr;
}
const ErrorReply* error_of(const std::vector<Message>& answers) {
    return answers.size() == 1 ? std::get_if<ErrorReply>(&answers[0].body) : nullptr;
}

TEST_F(DhtNodeTest, AnswersPingWithItsIdTheRequesterAddressAndVersion) {
    const Endpoint from = public_address(2);
    const auto answers = ask(from, Query{.id = valid_id(from), .args = Ping{}}, "xy");
    const auto* response = response_of(answers);
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(response->id, node->id());
    EXPECT_EQ(answers[0].transaction_id, "xy");
    EXPECT_EQ(answers[0].ip, from);  // BEP 42
    EXPECT_EQ(answers[0].version, NodeSettings{}.version);
    EXPECT_EQ(node->stats().queries_answered, 1u);
}

TEST_F(DhtNodeTest, FindNodeReturnsTheClosestNodesInTheWantedFamilies) {
    const auto friends = befriend(100, 20);
    const Endpoint from = public_address(3);
    const auto answers = ask(from, Query{.id = valid_id(from), .args = FindNode{.target = friends[4].id}});
    const auto* response = response_of(answers);
    ASSERT_NE(response, nullptr);
    ASSERT_TRUE(response->nodes);
    EXPECT_EQ(response->nodes->size(), 8u);
    EXPECT_EQ(response->nodes->front(), friends[4]);
    EXPECT_FALSE(response->nodes6);
    // BEP 32: asked for IPv6 only, this IPv4 node has none to give.
    const auto v6_only =
        ask(from, Query{.id = valid_id(from),
                        .args = FindNode{.target = friends[4].id, .want = Want{.n4 = false, .n6 = true}}});
    ASSERT_NE(response_of(v6_only), nullptr);
    EXPECT_FALSE(response_of(v6_only)->nodes);
    EXPECT_TRUE(response_of(v6_only)->nodes6);
}

TEST_F(DhtNodeTest, GetPeersGivesATokenNodesAndOnceAnnouncedPeers) {
    befriend(100, 10);
    const Endpoint seeker = public_address(4);
    const auto first = ask(seeker, Query{.id = valid_id(seeker), .args = GetPeers{.info_hash = hash_of(1)}});
    ASSERT_NE(response_of(first), nullptr);
    EXPECT_TRUE(response_of(first)->token);
    EXPECT_TRUE(response_of(first)->nodes);
    EXPECT_FALSE(response_of(first)->values);

    const Endpoint announcer = public_address(5, 40000);
    const Token token = token_for(announcer, hash_of(1));
    const auto ok =
        ask(announcer, Query{.id = valid_id(announcer),
                             .args = AnnouncePeer{.info_hash = hash_of(1), .port = 5555, .token = token}});
    ASSERT_NE(response_of(ok), nullptr);

    const auto second = ask(seeker, Query{.id = valid_id(seeker), .args = GetPeers{.info_hash = hash_of(1)}});
    ASSERT_NE(response_of(second), nullptr);
    ASSERT_TRUE(response_of(second)->values);
    EXPECT_EQ(*response_of(second)->values, std::vector<Endpoint>{public_address(5, 5555)});
    EXPECT_TRUE(response_of(second)->token);
    ASSERT_TRUE(response_of(second)->nodes);  // the seeker's lookup goes on past us
    EXPECT_EQ(response_of(second)->nodes->size(), settings.bucket_size);
}

TEST_F(DhtNodeTest, AnnounceWithImpliedPortUsesTheSourcePort) {
    const Endpoint announcer = public_address(5, 40000);
    const Token token = token_for(announcer, hash_of(2));
    ask(announcer, Query{.id = valid_id(announcer),
                         .args = AnnouncePeer{
                             .info_hash = hash_of(2), .port = 1, .implied_port = true, .token = token}});
    const Endpoint seeker = public_address(4);
    const auto answers =
        ask(seeker, Query{.id = valid_id(seeker), .args = GetPeers{.info_hash = hash_of(2)}});
    ASSERT_NE(response_of(answers), nullptr);
    ASSERT_TRUE(response_of(answers)->values);
    EXPECT_EQ(*response_of(answers)->values, std::vector<Endpoint>{announcer});
}

TEST_F(DhtNodeTest, WrongTokensAreRejectedWithError203) {
    const Endpoint announcer = public_address(5);
    const Token token = token_for(announcer, hash_of(3));
    const Endpoint thief = public_address(6);  // a token is only good from the IP it was given to
    const auto stolen =
        ask(thief, Query{.id = valid_id(thief),
                         .args = AnnouncePeer{.info_hash = hash_of(3), .port = 1, .token = token}});
    ASSERT_NE(error_of(stolen), nullptr);
    EXPECT_EQ(error_of(stolen)->code, 203);
    const auto made_up =
        ask(announcer, Query{.id = valid_id(announcer),
                             .args = AnnouncePeer{.info_hash = hash_of(3), .port = 1, .token = "nope"}});
    ASSERT_NE(error_of(made_up), nullptr);
    EXPECT_EQ(error_of(made_up)->code, 203);
    EXPECT_EQ(node->stats().bad_tokens, 2u);
    EXPECT_EQ(node->stats().stored_peers, 0u);
    // Tokens expire after two rotations.
    now += 2 * NodeSettings{}.token_rotation + 1s;
    const auto late =
        ask(announcer, Query{.id = valid_id(announcer),
                             .args = AnnouncePeer{.info_hash = hash_of(3), .port = 1, .token = token}});
    ASSERT_NE(error_of(late), nullptr);
}

TEST_F(DhtNodeTest, UnknownMethodsGetError204AndMalformedQueries203) {
    const Endpoint from = public_address(7);
    const auto unknown =
        ask(from, Query{.id = valid_id(from), .args = UnknownQuery{.method = "sample_infohashes"}});
    ASSERT_NE(error_of(unknown), nullptr);
    EXPECT_EQ(error_of(unknown)->code, 204);

    node->receive(from, "d1:ad2:id3:abce1:q4:ping1:t2:zz1:y1:qe", now);  // a 3-byte id
    const auto malformed = answers_to(from);
    ASSERT_NE(error_of(malformed), nullptr);
    EXPECT_EQ(error_of(malformed)->code, 203);
    EXPECT_EQ(malformed[0].transaction_id, "zz");
    EXPECT_EQ(node->stats().dropped_malformed, 1u);
}

TEST_F(DhtNodeTest, GarbageOversizedAndStrayMessagesGetNoAnswer) {
    const Endpoint from = public_address(8);
    node->receive(from, "not bencode at all", now);
    node->receive(from, std::string(20000, 'd'), now);
    node->receive(from, "", now);
    // Responses and errors nobody asked for: never answered, never learned from.
    node->receive(from,
                  encode(Message{.transaction_id = "ab",
                                 .body = Response{.id = valid_id(from), .nodes = std::vector<NodeInfo>{}}}),
                  now);
    node->receive(from, encode(Message{.transaction_id = "ab", .body = ErrorReply{.code = 201, .text = "x"}}),
                  now);
    // From an address nobody listens on.
    node->receive(Endpoint::v4({0, 0, 0, 0}, 1),
                  encode(Message{.transaction_id = "ab", .body = Query{.id = valid_id(from)}}), now);
    EXPECT_TRUE(node->take_outgoing().empty());
    EXPECT_EQ(node->stats().dropped_malformed, 4u);
    EXPECT_EQ(node->stats().nodes, 0u);
    EXPECT_EQ(node->stats().messages_in, 6u);
}

TEST_F(DhtNodeTest, FloodsFromOneAddressAreDropped) {
    const Endpoint flooder = public_address(9);
    const NodeId id = valid_id(flooder);
    for (int i = 0; i < 1000; ++i) {
        node->receive(flooder, encode(Message{.transaction_id = "ab", .body = Query{.id = id}}), now);
    }
    const auto answered = answers_to(flooder).size();
    EXPECT_EQ(answered, NodeSettings{}.max_queries_per_second_per_address);
    EXPECT_EQ(node->stats().dropped_rate, 1000u - answered);
    now += 1s;  // the bucket refills
    EXPECT_EQ(ask(flooder, Query{.id = id}).size(), 1u);
}

TEST_F(DhtNodeTest, FloodsFromManyAddressesAreBoundedGlobally) {
    std::size_t answered = 0;
    for (std::uint32_t i = 0; i < 5000; ++i) {
        const Endpoint from = public_address(1000 + i);
        const auto answers =
            ask(from, Query{.id = random_id(rng), .args = FindNode{.target = random_id(rng)}});
        answered += answers.size();
    }
    EXPECT_EQ(answered, NodeSettings{}.max_queries_per_second);
    const auto stats = node->stats();
    EXPECT_EQ(stats.dropped_rate, 5000u - answered);
    EXPECT_LE(stats.queries_in_flight, NodeSettings{}.max_queries_in_flight);
    EXPECT_EQ(stats.nodes, 0u);  // queries alone do not put anybody in the table
}

TEST_F(DhtNodeTest, PeerStoreStaysBounded) {
    settings.max_stored_torrents = 10;
    settings.max_peers_per_torrent = 4;
    settings.max_queries_per_second = 100000;
    settings.max_queries_per_second_per_address = 100000;
    make_node();
    for (std::uint32_t i = 0; i < 200; ++i) {
        const Endpoint announcer = public_address(3000 + i);
        const InfoHash hash = hash_of(i / 8);  // 25 torrents, 8 announcers each
        now += 1s;
        ask(announcer, Query{.id = valid_id(announcer),
                             .args = AnnouncePeer{
                                 .info_hash = hash, .port = 1000, .token = token_for(announcer, hash)}});
    }
    EXPECT_EQ(node->stats().stored_torrents, 10u);
    EXPECT_EQ(node->stats().stored_peers, 40u);
}

TEST_F(DhtNodeTest, QueriersAreAddedOnlyAfterAnsweringAPingAndReadOnlyOnesNever) {
    const Endpoint querier = public_address(10);
    const NodeId querier_id = valid_id(querier);
    node->receive(querier, encode(Message{.transaction_id = "q1", .body = Query{.id = querier_id}}), now);
    std::optional<Message> ping;
    for (const auto& [to, query] : sent_queries()) {
        if (to == querier) ping = query;
    }
    ASSERT_TRUE(ping);
    EXPECT_EQ(node->stats().nodes, 0u);
    answer(querier, *ping, Response{.id = querier_id});
    EXPECT_EQ(node->stats().nodes, 1u);

    const Endpoint reader = public_address(11);
    node->receive(
        reader,
        encode(Message{.transaction_id = "q2", .body = Query{.id = valid_id(reader), .read_only = true}}),
        now);
    const auto answers = answers_to(reader);
    ASSERT_EQ(answers.size(), 1u);  // answered, but not pinged
    EXPECT_TRUE(std::holds_alternative<Response>(answers[0].body));
}

TEST_F(DhtNodeTest, ReadOnlyNodeAnswersNothingAndSaysSo) {
    settings.read_only = true;
    make_node();
    const Endpoint from = public_address(12);
    EXPECT_TRUE(ask(from, Query{.id = valid_id(from)}).empty());
    node->receive(from, "d1:ad2:id3:abce1:q4:ping1:t2:zz1:y1:qe", now);
    EXPECT_TRUE(node->take_outgoing().empty());
    node->add_node(public_address(13), now);
    const auto queries = sent_queries();
    ASSERT_EQ(queries.size(), 1u);
    EXPECT_TRUE(std::get<Query>(queries[0].second.body).read_only);
}

TEST_F(DhtNodeTest, LateAndMisdirectedAnswersAreDropped) {
    const Endpoint address = public_address(14);
    node->add_node(address, now);
    const auto queries = sent_queries();
    ASSERT_EQ(queries.size(), 1u);
    // From another address: not a match.
    answer(public_address(15), queries[0].second,
           Response{.id = valid_id(public_address(15)), .nodes = std::vector<NodeInfo>{}});
    EXPECT_EQ(node->stats().nodes, 0u);
    EXPECT_EQ(node->stats().queries_in_flight, 1u);
    now += 4s;
    node->tick(now);
    EXPECT_EQ(node->stats().timeouts, 1u);
    EXPECT_EQ(node->stats().queries_in_flight, 0u);
    answer(address, queries[0].second, Response{.id = valid_id(address), .nodes = std::vector<NodeInfo>{}});
    EXPECT_EQ(node->stats().nodes, 0u);
}

TEST_F(DhtNodeTest, IncompleteAnswersDoNotCount) {
    const Endpoint address = public_address(16);
    node->add_node(address, now);
    const auto queries = sent_queries();
    ASSERT_EQ(queries.size(), 1u);
    answer(address, queries[0].second, Response{.id = valid_id(address)});  // find_node without "nodes"
    EXPECT_EQ(node->stats().nodes, 0u);
}

TEST_F(DhtNodeTest, EnforcedNodeIdsKeepForgedIdsOutOfTheTable) {
    const Endpoint address = public_address(17);
    node->add_node(address, now);
    const auto queries = sent_queries();
    answer(address, queries[0].second, Response{.id = random_id(rng), .nodes = std::vector<NodeInfo>{}});
    EXPECT_EQ(node->stats().nodes, 0u);

    settings.enforce_node_id = false;
    make_node();
    node->add_node(address, now);
    const auto again = sent_queries();
    answer(address, again[0].second, Response{.id = random_id(rng), .nodes = std::vector<NodeInfo>{}});
    EXPECT_EQ(node->stats().nodes, 1u);
}

TEST_F(DhtNodeTest, PublicNodesCannotPointUsAtTheLanOrThisMachine) {
    const Endpoint address = public_address(18);
    const Endpoint lan = Endpoint::v4({192, 168, 1, 20}, 6881);
    const Endpoint loopback = Endpoint::v4({127, 0, 0, 1}, 6881);
    const Endpoint elsewhere = public_address(19);
    node->add_node(address, now);
    const auto queries = sent_queries();
    answer(
        address, queries[0].second,
        Response{.id = valid_id(address),
                 .nodes = std::vector<NodeInfo>{
                     {random_id(rng), lan}, {random_id(rng), loopback}, {valid_id(elsewhere), elsewhere}}});
    std::set<Endpoint> asked;
    for (const auto& [to, query] : sent_queries()) asked.insert(to);
    EXPECT_TRUE(asked.contains(elsewhere));
    EXPECT_FALSE(asked.contains(lan));
    EXPECT_FALSE(asked.contains(loopback));
    // A LAN node may tell us about LAN nodes.
    const Endpoint lan_peer = Endpoint::v4({192, 168, 1, 21}, 6881);
    node->add_node(lan, now);
    for (const auto& [to, query] : sent_queries()) {
        if (to == lan)
            answer(
                lan, query,
                Response{.id = random_id(rng), .nodes = std::vector<NodeInfo>{{random_id(rng), lan_peer}}});
    }
    asked.clear();
    for (const auto& [to, query] : sent_queries()) asked.insert(to);
    EXPECT_TRUE(asked.contains(lan_peer));
}

TEST_F(DhtNodeTest, LearnsItsExternalAddressByVoteAndTakesAValidId) {
    own_address = public_address(20);
    node =
        std::make_unique<Node>(settings, random_id(rng), Endpoint::Family::v4, 77, now);  // not BEP 42-valid
    const auto friends = befriend(200, 4);
    EXPECT_TRUE(node->take_events().empty());
    std::vector<NodeInfo> voters;
    for (std::uint32_t i = 300; i < 306; ++i) {
        const Endpoint address = public_address(i);
        voters.push_back({valid_id(address), address});
        node->add_node(address, now);
    }
    for (const auto& [to, query] : sent_queries()) {
        const auto voter =
            std::find_if(voters.begin(), voters.end(), [&](const NodeInfo& v) { return v.endpoint == to; });
        if (voter != voters.end()) {
            answer(to, query, Response{.id = voter->id, .nodes = std::vector<NodeInfo>{}}, own_address);
        }
    }
    const auto events = node->take_events();
    std::optional<NodeId> changed;
    for (const auto& event : events) {
        if (const auto* e = std::get_if<NodeIdChanged>(&event)) changed = e->id;
    }
    ASSERT_TRUE(changed);
    EXPECT_EQ(*changed, node->id());
    EXPECT_TRUE(is_valid_node_id(node->id(), own_address));
    EXPECT_EQ(node->stats().nodes, friends.size() + voters.size());  // the table was kept
}

TEST_F(DhtNodeTest, SetExternalAddressChangesAnInvalidIdOnlyForPublicAddresses) {
    node = std::make_unique<Node>(settings, random_id(rng), Endpoint::Family::v4, 77, now);
    const NodeId before = node->id();
    node->set_external_address(Endpoint::v4({192, 168, 0, 2}, 0), now);
    EXPECT_EQ(node->id(), before);
    node->set_external_address(public_address(21), now);
    EXPECT_NE(node->id(), before);
    EXPECT_TRUE(is_valid_node_id(node->id(), public_address(21)));
    const NodeId valid = node->id();
    node->set_external_address(public_address(21), now);
    EXPECT_EQ(node->id(), valid);
}

TEST_F(DhtNodeTest, BootstrapIsRetriedWhileTheTableIsSmall) {
    const Endpoint router = public_address(22);
    node->add_node(router, now);
    EXPECT_EQ(sent_queries().size(), 1u);
    for (int i = 0; i < 40; ++i) {
        now += 1s;
        node->tick(now);
    }
    std::size_t asked = 0;
    for (const auto& [to, query] : sent_queries()) asked += to == router ? 1 : 0;
    EXPECT_EQ(asked, 1u);  // once more after 30 s
}

TEST_F(DhtNodeTest, StateRoundTripsAndRejectsGarbage) {
    NodeState state{
        .id = random_id(rng),
        .nodes = {{random_id(rng), public_address(1)},
                  {random_id(rng),
                   Endpoint::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 6881)}}};
    const auto decoded = decode_state(encode_state(state));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->id, state.id);
    EXPECT_EQ(decoded->nodes, state.nodes);
    EXPECT_FALSE(decode_state(""));
    EXPECT_FALSE(decode_state("d2:id3:abce"));
    EXPECT_FALSE(decode_state("d2:id20:abcdefghij01234567895:nodes5:abcdee"));
}

TEST_F(DhtNodeTest, QuestionableNodesAreAskedAndStaleBucketsRefreshed) {
    const auto friends = befriend(100, 6);
    now += 16min;
    node->tick(now);
    // Each questionable node is asked something (a ping, or a query of a lookup that goes to it anyway).
    std::set<Endpoint> asked;
    std::size_t refreshes = 0;
    for (const auto& [to, message] : sent_queries()) {
        asked.insert(to);
        const auto* find = std::get_if<FindNode>(&std::get<Query>(message.body).args);
        refreshes += find != nullptr && find->target != node->id() ? 1 : 0;
    }
    EXPECT_EQ(asked.size(), friends.size());
    EXPECT_GT(refreshes, 0u);  // a lookup for a random id in the stale bucket
    // Unanswered twice, they turn bad and stop counting.
    for (int i = 0; i < 3; ++i) {
        now += 61s;
        node->tick(now);
        now += 4s;
        node->tick(now);
    }
    EXPECT_EQ(node->stats().nodes, 0u);
    EXPECT_GE(node->stats().timeouts, 2 * friends.size());
}

TEST_F(DhtNodeTest, AnIpv6NodeServesNodes6AndIgnoresIpv4) {
    const auto v6 = [](std::uint8_t n) {
        return Endpoint::v6({0x2a, 0x01, 0x04, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n}, 6881);
    };
    node =
        std::make_unique<Node>(settings, node_id_for_address(v6(1), 3, rng), Endpoint::Family::v6, 77, now);
    const NodeInfo known{valid_id(v6(2)), v6(2)};
    node->add_node(known.endpoint, now);
    const auto queries = sent_queries();
    ASSERT_EQ(queries.size(), 1u);
    answer(known.endpoint, queries[0].second, Response{.id = known.id, .nodes6 = std::vector<NodeInfo>{}});
    EXPECT_EQ(node->stats().nodes, 1u);

    const auto answers = ask(v6(3), Query{.id = valid_id(v6(3)), .args = FindNode{.target = known.id}});
    ASSERT_NE(response_of(answers), nullptr);
    EXPECT_FALSE(response_of(answers)->nodes);
    ASSERT_TRUE(response_of(answers)->nodes6);
    EXPECT_EQ(*response_of(answers)->nodes6, std::vector<NodeInfo>{known});
    EXPECT_EQ(answers[0].ip, v6(3));

    const Endpoint v4 = public_address(2);
    EXPECT_TRUE(ask(v4, Query{.id = valid_id(v4)}).empty());
}

TEST_F(DhtNodeTest, StatsStayBoundedUnderQueriesInFlight) {
    settings.max_queries_in_flight = 16;
    make_node();
    for (std::uint32_t i = 0; i < 100; ++i) node->add_node(public_address(500 + i), now);
    EXPECT_EQ(node->stats().queries_in_flight, 16u);
    EXPECT_EQ(sent_queries().size(), 16u);
}

}  // namespace
}  // namespace bt::dht
