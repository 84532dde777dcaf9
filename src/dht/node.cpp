#include "dht/node.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <utility>

#include "dht/external_address.hpp"
#include "dht/lookup.hpp"
#include "dht/node_id.hpp"
#include "dht/peer_store.hpp"
#include "dht/rate_limiter.hpp"
#include "dht/rng.hpp"
#include "dht/routing_table.hpp"
#include "dht/tokens.hpp"

namespace bt::dht {

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kTransactionIdSize = 4;  // BEP 5 suggests 2; 4 makes forged answers harder to guess
// The newest add_node endpoints, asked again while the table is small.
constexpr std::size_t kMaxBootstrapEndpoints = 16;
constexpr std::size_t kMaxOutgoing = 4096;  // datagrams waiting for take_outgoing(); more are dropped
constexpr std::size_t kMaxEvents = 4096;    // events waiting for take_events(); more are dropped
constexpr std::size_t kMaxVoters = 64;      // BEP 42 "ip" votes remembered (one per voter address)
constexpr std::size_t kMinVotes = 5;        // distinct voters before we believe an external address
constexpr std::size_t kMinLookupCandidates = 100;
constexpr std::size_t kPingsPerTick = 8;
constexpr std::size_t kMaxRefreshLookups = 2;  // internal lookups (self and bucket refreshes) at once
constexpr std::size_t kMaxErrorText = 100;
constexpr auto kTickInterval = 1s;
constexpr auto kBootstrapRetry = 30s;
constexpr auto kPingRetry = 60s;
constexpr auto kPeerExpiryInterval = 60s;
constexpr auto kWaitForNodes = 10s;  // a lookup started with an empty table waits this long for bootstrap

enum class Purpose : std::uint8_t { ping, bootstrap, lookup, announce };

struct Transaction {
    Endpoint to;
    std::optional<NodeId> expected_id;  // nullopt when we do not know the node's id yet (add_node)
    QueryKind kind = QueryKind::ping;
    Purpose purpose = Purpose::ping;
    LookupId lookup = 0;
    TimePoint deadline{};
};

struct RunningLookup {
    Lookup lookup;
    std::optional<std::uint16_t> announce_port;
    TimePoint started;
    bool internal = false;  // self-lookups and bucket refreshes report no events
};

Endpoint address_only(Endpoint endpoint) {
    endpoint.port = 0;
    return endpoint;
}

}  // namespace

struct Node::Impl {
    Impl(NodeSettings s, const NodeId& own_id, Endpoint::Family f, std::uint64_t seed, TimePoint now)
        : settings(std::move(s)),
          id(own_id),
          family(f),
          rng(seed),
          table(own_id, settings.bucket_size, now),
          tokens(rng, settings.token_rotation, now),
          store(settings.max_stored_torrents, settings.max_peers_per_torrent, settings.peer_ttl),
          limiter(settings.max_queries_per_second_per_address, settings.max_queries_per_second,
                  settings.max_rate_tracked_addresses),
          next_peer_expiry(now + kPeerExpiryInterval) {}

    NodeSettings settings;
    NodeId id;
    Endpoint::Family family;
    Rng rng;
    RoutingTable table;
    TokenIssuer tokens;  // holds a reference to rng
    PeerStore store;
    RateLimiter limiter;
    std::map<TransactionId, Transaction> transactions;  // at most settings.max_queries_in_flight
    std::map<LookupId, RunningLookup> lookups;          // at most settings.max_lookups
    LookupId next_lookup = 1;
    std::optional<LookupId> self_lookup;
    std::deque<Endpoint> bootstrap;  // at most kMaxBootstrapEndpoints
    TimePoint last_bootstrap{};
    std::optional<Endpoint> external;  // address only (port 0)
    ExternalAddressVote votes{kMinVotes, kMaxVoters};
    TimePoint next_peer_expiry;
    std::vector<Outgoing> outgoing;  // at most kMaxOutgoing
    std::vector<Event> events;       // at most kMaxEvents
    NodeStats counters;

    // ---- addresses ----

    // Whether we may contact `node` having heard of it from `source`: our family, a usable address, and
    // loopback or LAN addresses only when the source is on this machine or that network too.
    bool is_reachable_for(const Endpoint& node, const Endpoint& source) const {
        if (node.family != family || node.port == 0 || node.is_unusable()) return false;
        if (node.is_loopback()) return source.is_loopback();
        if (node.is_local_network()) return source.is_loopback() || source.is_local_network();
        return true;
    }
    bool may_enter_table(const NodeInfo& node, const Endpoint& source) const {
        if (node.id == id || !is_reachable_for(node.endpoint, source)) return false;
        return !settings.enforce_node_id || is_valid_node_id(node.id, node.endpoint);
    }

    // ---- sending ----

    bool can_send() const { return outgoing.size() < kMaxOutgoing; }

    void send(const Endpoint& to, Message message) {
        message.version = settings.version;
        outgoing.push_back(Outgoing{to, encode(message)});
        ++counters.messages_out;
    }

    bool send_query(const Endpoint& to, std::optional<NodeId> expected_id, decltype(Query::args) args,
                    Purpose purpose, LookupId lookup, TimePoint now) {
        if (transactions.size() >= settings.max_queries_in_flight || !can_send()) return false;
        TransactionId tid(kTransactionIdSize, '\0');
        do {
            rng.fill({reinterpret_cast<std::uint8_t*>(tid.data()), tid.size()});
        } while (transactions.contains(tid));  // at most max_queries_in_flight of 2^32 are taken
        Query query{.id = id, .args = std::move(args), .read_only = settings.read_only};
        const QueryKind kind = kind_of(query);
        send(to, Message{.transaction_id = tid, .body = std::move(query)});
        transactions.emplace(
            tid, Transaction{to, expected_id, kind, purpose, lookup, now + settings.query_timeout});
        return true;
    }

    bool has_query_in_flight_to(const Endpoint& to) const {
        return std::any_of(transactions.begin(), transactions.end(),
                           [&](const auto& entry) { return entry.second.to == to; });
    }

    void ping(const NodeInfo& node, TimePoint now) {
        if (!has_query_in_flight_to(node.endpoint)) {
            send_query(node.endpoint, node.id, Ping{}, Purpose::ping, 0, now);
        }
    }

    void reply(const Endpoint& to, const TransactionId& tid, Response response) {
        if (!can_send()) return;
        send(to, Message{.transaction_id = tid, .body = std::move(response), .ip = to});  // BEP 42 "ip"
    }

    void reply_error(const Endpoint& to, const TransactionId& tid, ErrorCode code, std::string text) {
        if (!can_send()) return;
        if (text.size() > kMaxErrorText) text.resize(kMaxErrorText);
        send(to,
             Message{.transaction_id = tid,
                     .body = ErrorReply{.code = static_cast<std::int64_t>(code), .text = std::move(text)}});
    }

    void emit(Event event) {
        if (events.size() < kMaxEvents) events.push_back(std::move(event));
    }

    // ---- serving ----

    // The K closest nodes for a find_node or get_peers answer, in the keys BEP 32 "want" asks for. This
    // node serves one family; asked only for the other, it answers an empty list of it.
    void add_nodes(Response& response, const NodeId& target, const std::optional<Want>& want,
                   const Endpoint& requester) const {
        const bool v4 = family == Endpoint::Family::v4;
        const bool want_other = want && (v4 ? want->n6 : want->n4);
        const bool want_own = !want || (v4 ? want->n4 : want->n6) || !want_other;
        auto& own = v4 ? response.nodes : response.nodes6;
        auto& other = v4 ? response.nodes6 : response.nodes;
        if (want_own) {
            own = table.closest(target, settings.bucket_size,
                                [&](const NodeInfo& n) { return is_reachable_for(n.endpoint, requester); });
        }
        if (want_other) other.emplace();
    }

    void serve(const Endpoint& from, const TransactionId& tid, const Query& query, TimePoint now) {
        Response response{.id = id};
        if (const auto* find = std::get_if<FindNode>(&query.args)) {
            add_nodes(response, find->target, find->want, from);
        } else if (const auto* get = std::get_if<GetPeers>(&query.args)) {
            response.token = tokens.make(from, now);
            if (auto peers = store.peers(get->info_hash, family, now, rng); !peers.empty()) {
                response.values = std::move(peers);
            }
            // Nodes too, even with peers (as libtorrent answers): a lookup that reaches us goes on to the
            // closest nodes, and announces there, instead of stopping here.
            add_nodes(response, get->info_hash, get->want, from);
        } else if (const auto* announce = std::get_if<AnnouncePeer>(&query.args)) {
            if (!tokens.check(announce->token, from, now)) {
                ++counters.bad_tokens;
                reply_error(from, tid, ErrorCode::protocol, "bad token");
                return;
            }
            Endpoint peer = from;
            if (!announce->implied_port) peer.port = announce->port;
            if (peer.port == 0) {
                reply_error(from, tid, ErrorCode::protocol, "port 0");
                return;
            }
            store.announce(announce->info_hash, peer, now);
        } else if (std::holds_alternative<UnknownQuery>(query.args)) {
            reply_error(from, tid, ErrorCode::method_unknown, "method unknown");
            return;
        }
        ++counters.queries_answered;
        reply(from, tid, std::move(response));
    }

    void on_query(const Endpoint& from, const TransactionId& tid, const Query& query, TimePoint now) {
        if (settings.read_only || query.id == id) return;  // BEP 43: a read-only node answers nothing
        if (!limiter.allow(from, now)) {
            ++counters.dropped_rate;
            return;
        }
        serve(from, tid, query, now);
        if (query.read_only) return;  // BEP 43: read-only nodes stay out of routing tables
        const NodeInfo querier{query.id, from};
        table.on_query(querier, now);
        // A node we do not know yet enters the table once it answers a ping (a query alone proves little).
        if (table.find(query.id) == nullptr && may_enter_table(querier, from) &&
            table.would_accept(query.id, from)) {
            ping(querier, now);
        }
    }

    // ---- answers ----

    const std::optional<std::vector<NodeInfo>>& own_nodes(const Response& response) const {
        return family == Endpoint::Family::v4 ? response.nodes : response.nodes6;
    }

    // The nodes of an answer from `source` that a lookup may query.
    std::vector<NodeInfo> usable_nodes(const Response& response, const Endpoint& source) const {
        std::vector<NodeInfo> usable;
        if (const auto& nodes = own_nodes(response)) {
            for (const auto& node : *nodes) {
                if (node.id != id && is_reachable_for(node.endpoint, source)) usable.push_back(node);
            }
        }
        return usable;
    }

    void on_reply(const Endpoint& from, const Message& message, TimePoint now) {
        const auto it = transactions.find(message.transaction_id);
        if (it == transactions.end() || it->second.to != from) return;  // unmatched, late or forged
        const Transaction transaction = it->second;
        transactions.erase(it);
        const auto* response = std::get_if<Response>(&message.body);
        if (response == nullptr || !is_complete_answer(*response, transaction.kind) || response->id == id ||
            (transaction.expected_id && *transaction.expected_id != response->id)) {
            on_failed(transaction, now, false);
            return;
        }
        const NodeInfo responder{response->id, from};
        if (may_enter_table(responder, from)) table.on_answer(responder, now);
        if (message.ip) vote(from, *message.ip, now);
        switch (transaction.purpose) {
            case Purpose::ping:
            case Purpose::announce:
                break;
            case Purpose::bootstrap:
                on_bootstrap_answer(usable_nodes(*response, from), now);
                break;
            case Purpose::lookup:
                on_lookup_answer(transaction.lookup, responder, *response, now);
                break;
        }
    }

    void on_failed(const Transaction& transaction, TimePoint now, bool timed_out) {
        if (timed_out) {
            ++counters.timeouts;
            // A query sent without an id (add_node, bootstrap) still counts against a node we know there.
            if (const auto known =
                    transaction.expected_id ? transaction.expected_id : table.id_at(transaction.to)) {
                table.on_timeout(NodeInfo{*known, transaction.to}, now);
            }
        }
        if (transaction.purpose != Purpose::lookup) return;
        if (const auto it = lookups.find(transaction.lookup); it != lookups.end()) {
            it->second.lookup.on_failure(transaction.to);
            step_lookup(transaction.lookup, now);
        }
    }

    // ---- lookups ----

    std::size_t max_lookup_candidates() const {
        return std::max(kMinLookupCandidates, 3 * settings.bucket_size);
    }

    std::optional<LookupId> start_lookup(LookupKind kind, const NodeId& target,
                                         std::optional<std::uint16_t> announce_port, bool internal,
                                         TimePoint now, const std::vector<NodeInfo>& extra_candidates = {}) {
        if (lookups.size() >= settings.max_lookups) return std::nullopt;
        const std::size_t max_candidates = max_lookup_candidates();
        Lookup lookup({.kind = kind,
                       .target = target,
                       .bucket_size = settings.bucket_size,
                       .parallelism = settings.lookup_parallelism,
                       .max_candidates = max_candidates});
        lookup.add_candidates(table.closest(target, max_candidates));
        lookup.add_candidates(extra_candidates);
        const LookupId lookup_id = next_lookup++;
        lookups.emplace(lookup_id, RunningLookup{std::move(lookup), announce_port, now, internal});
        step_lookup(lookup_id, now);
        return lookup_id;
    }

    void step_lookup(LookupId lookup_id, TimePoint now) {
        const auto it = lookups.find(lookup_id);
        if (it == lookups.end()) return;
        Lookup& lookup = it->second.lookup;
        // Started before the table had nodes (e.g. right after add_node): it takes them as they come.
        const bool waiting_for_nodes = lookup.queries() == 0;
        if (waiting_for_nodes) lookup.add_candidates(table.closest(lookup.target(), max_lookup_candidates()));
        const std::size_t slots =
            settings.max_queries_in_flight - std::min(settings.max_queries_in_flight, transactions.size());
        for (const auto& node : lookup.take_next(slots)) {
            auto args = lookup.kind() == LookupKind::get_peers
                            ? decltype(Query::args)(GetPeers{.info_hash = lookup.target()})
                            : decltype(Query::args)(FindNode{.target = lookup.target()});
            if (!send_query(node.endpoint, node.id, std::move(args), Purpose::lookup, lookup_id, now)) {
                lookup.on_failure(node.endpoint);
            }
        }
        if (lookup.done() &&
            !(waiting_for_nodes && lookup.queries() == 0 && now - it->second.started < kWaitForNodes)) {
            finish_lookup(lookup_id, now);
        }
    }

    void on_lookup_answer(LookupId lookup_id, const NodeInfo& responder, const Response& response,
                          TimePoint now) {
        const auto it = lookups.find(lookup_id);
        if (it == lookups.end()) return;  // cancelled or done
        RunningLookup& running = it->second;
        std::vector<Endpoint> new_peers;
        if (running.lookup.on_answer(responder.endpoint, responder.id, response, new_peers)) {
            running.lookup.add_candidates(usable_nodes(response, responder.endpoint));
            if (!new_peers.empty() && !running.internal) {
                emit(PeersFound{lookup_id, running.lookup.target(), std::move(new_peers)});
            }
        }
        step_lookup(lookup_id, now);
    }

    void finish_lookup(LookupId lookup_id, TimePoint now) {
        auto handle = lookups.extract(lookup_id);
        RunningLookup& running = handle.mapped();
        std::size_t announced = 0;
        if (running.announce_port) {
            for (const auto& [node, token] : running.lookup.announce_targets()) {
                AnnouncePeer announce{.info_hash = running.lookup.target(),
                                      .port = *running.announce_port,
                                      .implied_port = *running.announce_port == 0,
                                      .token = token};
                if (send_query(node.endpoint, node.id, std::move(announce), Purpose::announce, 0, now)) {
                    ++announced;
                }
            }
        }
        ++counters.lookups_done;
        if (self_lookup == lookup_id) self_lookup.reset();
        if (running.internal) return;
        emit(LookupDone{
            .lookup = lookup_id,
            .info_hash = running.lookup.target(),
            .duration = std::chrono::duration_cast<std::chrono::milliseconds>(now - running.started),
            .queries = running.lookup.queries(),
            .responses = running.lookup.answers(),
            .peers = running.lookup.peers_found(),
            .announced = announced});
    }

    std::size_t internal_lookups() const {
        return static_cast<std::size_t>(std::count_if(
            lookups.begin(), lookups.end(), [](const auto& entry) { return entry.second.internal; }));
    }

    // ---- bootstrap, refresh, BEP 42 ----

    void on_bootstrap_answer(const std::vector<NodeInfo>& nodes, TimePoint now) {
        // The nodes it gave seed a lookup for our own id, which asks them in turn (those that answer enter
        // the table) and walks towards our neighbourhood.
        if (self_lookup) {
            if (const auto it = lookups.find(*self_lookup); it != lookups.end()) {
                it->second.lookup.add_candidates(nodes);
                step_lookup(*self_lookup, now);
                return;
            }
        }
        self_lookup = start_lookup(LookupKind::find_node, id, std::nullopt, true, now, nodes);
    }

    void ask_bootstrap_nodes(TimePoint now) {
        last_bootstrap = now;
        for (const auto& endpoint : bootstrap) {
            if (!has_query_in_flight_to(endpoint)) {
                send_query(endpoint, std::nullopt, FindNode{.target = id}, Purpose::bootstrap, 0, now);
            }
        }
    }

    void maintain(TimePoint now) {
        if (table.size(now) < settings.bucket_size && !bootstrap.empty() &&
            now - last_bootstrap >= kBootstrapRetry) {
            ask_bootstrap_nodes(now);
        }
        if (internal_lookups() < kMaxRefreshLookups) {
            if (const auto stale = table.stale_buckets(now, settings.bucket_refresh); !stale.empty()) {
                table.touch_bucket(stale.front(), now);
                start_lookup(LookupKind::find_node, table.random_id_in_bucket(stale.front(), rng),
                             std::nullopt, true, now);
            }
        }
        for (const auto& node : table.take_nodes_to_ping(now, kPingRetry, kPingsPerTick)) ping(node, now);
    }

    void vote(const Endpoint& voter, const Endpoint& seen_as, TimePoint now) {
        if (seen_as.family != family || seen_as.is_unusable()) return;
        if (const auto agreed = votes.add(voter, seen_as)) {
            external = *agreed;
            change_id_if_invalid(now);
        }
    }

    // BEP 42: once our public address is known, our id must derive from it. The table is rebuilt around
    // the new id with the nodes it had.
    void change_id_if_invalid(TimePoint now) {
        if (!external || is_exempt_from_node_id_check(*external) || is_valid_node_id(id, *external)) return;
        id = node_id_for_address(*external, static_cast<std::uint8_t>(rng.next()), rng);
        RoutingTable fresh(id, settings.bucket_size, now);
        for (const auto& entry : table.entries()) fresh.on_answer(entry.node, entry.last_response);
        table = std::move(fresh);
        emit(NodeIdChanged{id});
        // Our neighbourhood moved with the id: look it up, so that the nodes near the new id learn of us.
        if (self_lookup) lookups.erase(*self_lookup);
        self_lookup = start_lookup(LookupKind::find_node, id, std::nullopt, true, now);
    }

    void expire_transactions(TimePoint now) {
        std::vector<Transaction> expired;
        for (auto it = transactions.begin(); it != transactions.end();) {
            if (it->second.deadline <= now) {
                expired.push_back(it->second);
                it = transactions.erase(it);
            } else {
                ++it;
            }
        }
        for (const auto& transaction : expired) on_failed(transaction, now, true);
    }
};

Node::Node(NodeSettings settings, NodeId id, Endpoint::Family family, std::uint64_t seed, TimePoint now)
    : impl_(std::make_unique<Impl>(std::move(settings), id, family, seed, now)) {}
Node::~Node() = default;
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(Node&&) noexcept = default;

void Node::receive(const Endpoint& from, std::string_view datagram, TimePoint now) {
    Impl& d = *impl_;
    ++d.counters.messages_in;
    if (from.family != d.family || from.port == 0 || from.is_unusable()) {
        ++d.counters.dropped_malformed;
        return;
    }
    auto message = decode(datagram);
    if (!message) {
        ++d.counters.dropped_malformed;
        // BEP 5: a malformed query is answered with error 203, within the rate limits.
        const auto& error = message.error();
        if (error.reply_to && !d.settings.read_only) {
            if (d.limiter.allow(from, now)) {
                d.reply_error(from, *error.reply_to, error.code, error.text);
            } else {
                ++d.counters.dropped_rate;
            }
        }
        return;
    }
    if (const auto* query = std::get_if<Query>(&message->body)) {
        d.on_query(from, message->transaction_id, *query, now);
    } else {
        d.on_reply(from, *message, now);
    }
}

TimePoint Node::tick(TimePoint now) {
    Impl& d = *impl_;
    d.expire_transactions(now);
    if (now >= d.next_peer_expiry) {
        d.store.expire(now);
        d.next_peer_expiry = now + kPeerExpiryInterval;
    }
    std::vector<LookupId> running;
    for (const auto& [lookup_id, lookup] : d.lookups) running.push_back(lookup_id);
    for (const LookupId lookup_id : running) d.step_lookup(lookup_id, now);
    d.maintain(now);
    TimePoint next = now + kTickInterval;
    for (const auto& [tid, transaction] : d.transactions) next = std::min(next, transaction.deadline);
    return next;
}

void Node::add_node(const Endpoint& endpoint, TimePoint now) {
    Impl& d = *impl_;
    if (endpoint.family != d.family || endpoint.port == 0 || endpoint.is_unusable()) return;
    if (std::find(d.bootstrap.begin(), d.bootstrap.end(), endpoint) == d.bootstrap.end()) {
        d.bootstrap.push_back(endpoint);
        if (d.bootstrap.size() > kMaxBootstrapEndpoints) d.bootstrap.pop_front();
    }
    d.last_bootstrap = now;
    if (!d.has_query_in_flight_to(endpoint)) {
        d.send_query(endpoint, std::nullopt, FindNode{.target = d.id}, Purpose::bootstrap, 0, now);
    }
}

void Node::restore(const NodeState& state, TimePoint now) {
    Impl& d = *impl_;
    for (const auto& node : state.nodes) {
        if (node.id != d.id && d.is_reachable_for(node.endpoint, node.endpoint)) d.ping(node, now);
    }
}

NodeState Node::save() const {
    const Impl& d = *impl_;
    NodeState state{.id = d.id, .nodes = {}};
    for (const auto& entry : d.table.entries()) {
        if (entry.timeouts < kMaxTimeouts) state.nodes.push_back(entry.node);
    }
    return state;
}

std::optional<LookupId> Node::get_peers(const InfoHash& info_hash, std::optional<std::uint16_t> announce_port,
                                        TimePoint now) {
    return impl_->start_lookup(LookupKind::get_peers, info_hash, announce_port, false, now);
}

void Node::cancel(LookupId lookup) {
    impl_->lookups.erase(lookup);
}

void Node::set_external_address(const Endpoint& address, TimePoint now) {
    Impl& d = *impl_;
    if (address.family != d.family) return;
    d.external = address_only(address);
    d.change_id_if_invalid(now);
}

std::vector<Outgoing> Node::take_outgoing() {
    return std::exchange(impl_->outgoing, {});
}
std::vector<Event> Node::take_events() {
    return std::exchange(impl_->events, {});
}

const NodeId& Node::id() const noexcept {
    return impl_->id;
}

NodeStats Node::stats() const {
    const Impl& d = *impl_;
    NodeStats stats = d.counters;
    stats.nodes = 0;  // good and questionable: bad nodes wait for a replacement and are not counted
    for (const auto& entry : d.table.entries()) stats.nodes += entry.timeouts < kMaxTimeouts ? 1 : 0;
    stats.replacement_nodes = d.table.replacement_count();
    stats.buckets = d.table.bucket_count();
    stats.stored_torrents = d.store.torrent_count();
    stats.stored_peers = d.store.peer_count();
    stats.queries_in_flight = d.transactions.size();
    stats.lookups_running = d.lookups.size();
    return stats;
}

}  // namespace bt::dht
