#include "session/dht_service.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/udp.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <random>
#include <string_view>

#include "core/hex.hpp"
#include "core/log.hpp"
#include "net/resolve.hpp"
#include "net/spawn.hpp"
#include "session/asio_endpoint.hpp"
#include "storage/atomic_file.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
// A state file is a few kilobytes (an id and at most a few hundred compact nodes); anything far larger is
// not ours.
constexpr std::size_t kMaxStateFileSize = 1024 * 1024;
// After a datagram the nodes are ticked within this: their deadlines may have moved up (queries sent from
// inside receive() time out), and a flood costs one tick per interval rather than one per datagram.
constexpr auto kTickAfterInput = std::chrono::milliseconds(20);
// The longest the timer sleeps, whatever the nodes say (for the periodic save and the bootstrap retries).
constexpr auto kMaxSleep = std::chrono::seconds(5);
// The shortest, so that a node that wants its tick again at once cannot make the loop spin.
constexpr auto kMinSleep = std::chrono::milliseconds(1);
constexpr auto kResolveTimeout = std::chrono::seconds(10);
// With saved nodes, the bootstrap nodes are asked only if none of them has answered by then.
constexpr auto kBootstrapAfterRestore = std::chrono::seconds(5);

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};

// "host:port" or "[v6]:port"; the CLI has validated the text already (cli/peer_address.hpp).
std::optional<HostPort> split_host_port(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned port = 0;
    for (const char c : text.substr(colon + 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        port = port * 10 + static_cast<unsigned>(c - '0');
        if (port > 65535) return std::nullopt;
    }
    if (host.empty() || port == 0) return std::nullopt;
    return HostPort{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace

std::shared_ptr<DhtService> DhtService::start(asio::io_context& io, std::shared_ptr<net::UdpMux> mux,
                                              DhtServiceSettings settings, std::uint64_t seed) {
    std::optional<dht::NodeState> saved;
    if (!settings.state_file.empty()) {
        auto bytes = storage::read_file(settings.state_file, kMaxStateFileSize);
        if (bytes) {
            saved = dht::decode_state(*bytes);
            if (!saved)
                BT_LOG(warning, "dht", "{}: not a DHT state file; starting afresh", settings.state_file);
        } else if (bytes.error().ec != std::errc::no_such_file_or_directory) {
            BT_LOG(warning, "dht", "{}; starting afresh", bytes.error().message());
        }
    }
    auto service = std::make_shared<DhtService>(io, std::move(settings), seed);
    service->mux_ = std::move(mux);
    service->make_nodes(saved);
    if (saved && !saved->nodes.empty()) service->next_bootstrap_ = Clock::now() + kBootstrapAfterRestore;
    service->attach(service->mux_);
    net::spawn(io, net::holding(service, service->timer_loop()),
               [](const std::string& what) { BT_LOG(error, "dht", "timer: {}", what); });
    return service;
}

DhtService::DhtService(asio::io_context& io, DhtServiceSettings settings, std::uint64_t seed)
    : io_(io), settings_(std::move(settings)), seed_(seed), timer_(io) {}

DhtService::~DhtService() = default;

void DhtService::make_nodes(const std::optional<dht::NodeState>& saved) {
    dht::NodeId id{};
    if (!nodes_.empty()) {
        id = nodes_.begin()->second.id();  // BEP 32: one id for every family
    } else if (saved) {
        id = saved->id;
    } else {
        std::mt19937_64 random(seed_);
        for (auto& byte : id) byte = static_cast<std::uint8_t>(random());
    }
    dht::NodeSettings node_settings;
    node_settings.read_only = settings_.read_only;
    const auto now = Clock::now();
    std::uint64_t salt = 0;
    for (const auto family : {Endpoint::Family::v4, Endpoint::Family::v6}) {
        if (nodes_.contains(family) || !mux_ || !mux_->local_port(family)) continue;
        auto& node =
            nodes_.emplace(family, dht::Node(node_settings, id, family, seed_ + ++salt, now)).first->second;
        dht::NodeState mine{id, {}};
        if (saved) {
            for (const auto& info : saved->nodes) {
                if (info.endpoint.family == family) mine.nodes.push_back(info);
            }
            node.restore(mine, now);
        }
        BT_LOG(info, "dht", "{} node {}, {} saved nodes", family == Endpoint::Family::v4 ? "v4" : "v6",
               to_hex(id), mine.nodes.size());
    }
}

void DhtService::attach(std::shared_ptr<net::UdpMux> mux) {
    if (stopped_ || !mux) return;
    mux_ = std::move(mux);
    make_nodes(std::nullopt);  // a family the new mux has and the old one had not
    mux_->set_unclaimed_handler(
        [weak = weak_from_this()](const Endpoint& from, std::span<const std::uint8_t> datagram) {
            const auto self = weak.lock();
            return self && self->on_datagram(from, datagram);
        });
    wake_by(Clock::now());
}

std::optional<std::uint16_t> DhtService::port(Endpoint::Family family) const {
    if (stopped_ || !mux_ || !nodes_.contains(family)) return std::nullopt;
    return mux_->local_port(family);
}

dht::Node* DhtService::node(Endpoint::Family family) {
    const auto it = nodes_.find(family);
    return it == nodes_.end() ? nullptr : &it->second;
}

bool DhtService::on_datagram(const Endpoint& from, std::span<const std::uint8_t> datagram) {
    if (stopped_ || datagram.empty() || datagram.front() != 'd') return false;
    auto* target = node(from.family);
    if (target == nullptr) return false;
    const auto now = Clock::now();
    target->receive(from, {reinterpret_cast<const char*>(datagram.data()), datagram.size()}, now);
    flush();
    wake_by(now + kTickAfterInput);
    return true;
}

std::optional<DhtService::LookupHandle> DhtService::get_peers(const dht::InfoHash& info_hash,
                                                              std::optional<std::uint16_t> announce_port,
                                                              PeersCallback on_peers, DoneCallback on_done) {
    if (stopped_) return std::nullopt;
    const auto now = Clock::now();
    Lookup lookup{std::move(on_peers), std::move(on_done), {}, now, {}};
    for (auto& [family, n] : nodes_) {
        if (const auto id = n.get_peers(info_hash, announce_port, now)) lookup.running[family] = *id;
    }
    if (lookup.running.empty()) return std::nullopt;
    const auto handle = next_handle_++;
    lookups_.emplace(handle, std::move(lookup));
    wake_by(now);  // the queries go out and the events come from the timer, not from inside this call
    return handle;
}

void DhtService::cancel(LookupHandle handle) {
    const auto it = lookups_.find(handle);
    if (it == lookups_.end()) return;
    for (const auto& [family, id] : it->second.running) {
        if (auto* n = node(family)) n->cancel(id);
    }
    lookups_.erase(it);
}

void DhtService::add_node(const Endpoint& endpoint) {
    auto* target = node(endpoint.family);
    if (stopped_ || target == nullptr || endpoint.port == 0) return;
    target->add_node(endpoint, Clock::now());
    wake_by(Clock::now());
}

void DhtService::flush() {
    for (auto& [family, n] : nodes_) {
        for (auto& outgoing : n.take_outgoing()) send(std::move(outgoing));
        // Taken before any callback runs: a callback may start or cancel lookups on this node.
        auto events = n.take_events();
        for (auto& event : events) handle(family, event);
    }
}

void DhtService::handle(Endpoint::Family family, dht::Event& event) {
    const auto find = [&](dht::LookupId id) {
        return std::find_if(lookups_.begin(), lookups_.end(), [&](const auto& entry) {
            const auto running = entry.second.running.find(family);
            return running != entry.second.running.end() && running->second == id;
        });
    };
    if (auto* found = std::get_if<dht::PeersFound>(&event)) {
        const auto it = find(found->lookup);
        if (it == lookups_.end() || found->peers.empty()) return;
        const auto on_peers = it->second.on_peers;  // the callback may cancel the lookup
        if (on_peers) on_peers(found->peers);
    } else if (auto* done = std::get_if<dht::LookupDone>(&event)) {
        const auto it = find(done->lookup);
        if (it == lookups_.end()) return;
        auto& summary = it->second.summary;
        summary.queries += done->queries;
        summary.responses += done->responses;
        summary.peers += done->peers;
        summary.announced += done->announced;
        it->second.running.erase(family);
        if (!it->second.running.empty()) return;
        const auto took = Clock::now() - it->second.started;
        ++lookups_done_;
        lookup_time_total_ += took;
        last_lookup_ = took;
        summary.took = std::chrono::duration_cast<std::chrono::milliseconds>(took);
        const auto on_done = std::move(it->second.on_done);
        const auto finished = summary;
        lookups_.erase(it);
        if (on_done) on_done(finished);
    } else if (auto* changed = std::get_if<dht::NodeIdChanged>(&event)) {
        BT_LOG(info, "dht", "node id is {} now (BEP 42: our external address)", to_hex(changed->id));
    }
}

void DhtService::send(dht::Outgoing outgoing) {
    if (!mux_ || sends_in_flight_ >= kMaxSendsInFlight) {
        ++sends_dropped_;
        return;
    }
    ++sends_in_flight_;
    auto self = shared_from_this();
    auto job = [](std::shared_ptr<DhtService> service, std::shared_ptr<net::UdpMux> mux,
                  dht::Outgoing out) -> asio::awaitable<void> {
        const auto ec = co_await mux->send_to(
            out.to, {reinterpret_cast<const std::uint8_t*>(out.datagram.data()), out.datagram.size()});
        --service->sends_in_flight_;
        if (ec) {
            ++service->sends_dropped_;
            BT_LOG(debug, "dht", "send to {}: {}", out.to.to_string(), ec.message());
        }
    };
    net::spawn(io_, job(self, mux_, std::move(outgoing)), [self](const std::string& what) {
        --self->sends_in_flight_;
        BT_LOG(error, "dht", "send: {}", what);
    });
}

void DhtService::wake_by(Clock::time_point at) {
    if (stopped_ || at >= wake_at_) return;
    wake_at_ = at;
    timer_.expires_at(at);  // a wait in progress ends early, and timer_loop waits again until wake_at_
}

asio::awaitable<void> DhtService::timer_loop() {
    while (!stopped_) {
        const auto now = Clock::now();
        wake_at_ = Clock::time_point::max();  // lowered by wake_by when a callback below starts a lookup
        auto next = now + kMaxSleep;
        for (auto& [family, n] : nodes_) next = std::min(next, n.tick(now));
        flush();
        if (now >= next_save_) {
            if (next_save_ != Clock::time_point{}) save_state();
            next_save_ = now + kStateSaveInterval;
        }
        std::size_t nodes = 0;
        for (const auto& [family, n] : nodes_) nodes += n.stats().nodes;
        if (nodes > 0) {
            bootstrap_backoff_ = kFirstRebootstrap;
        } else if (!settings_.bootstrap.empty() && !bootstrapping_ && now >= next_bootstrap_) {
            next_bootstrap_ = now + bootstrap_backoff_;
            bootstrap_backoff_ = std::min<Clock::duration>(bootstrap_backoff_ * 2, kMaxRebootstrap);
            bootstrapping_ = true;
            auto self = shared_from_this();
            net::spawn(io_, net::holding(self, bootstrap()), [self](const std::string& what) {
                self->bootstrapping_ = false;
                BT_LOG(error, "dht", "bootstrap: {}", what);
            });
        }
        wake_at_ = std::min(wake_at_, std::max(next, now + kMinSleep));
        timer_.expires_at(wake_at_);
        co_await timer_.async_wait(use_nothrow);
        // Moved up by wake_by (the wait ended early), or a stale wake-up: sleep on until wake_at_.
        while (!stopped_ && Clock::now() < wake_at_) {
            timer_.expires_at(wake_at_);
            co_await timer_.async_wait(use_nothrow);
        }
    }
}

asio::awaitable<void> DhtService::bootstrap() {
    for (const auto& text : settings_.bootstrap) {
        const auto where = split_host_port(text);
        if (!where) {
            BT_LOG(warning, "dht", "bootstrap node {}: not HOST:PORT", text);
            continue;
        }
        auto found = co_await net::resolve<asio::ip::udp>(where->host, where->port,
                                                          Clock::now() + kResolveTimeout, &cancel_resolve_);
        if (stopped_) break;
        if (!found) {
            BT_LOG(info, "dht", "bootstrap node {}: cannot resolve it", text);
            continue;
        }
        for (const auto& endpoint : *found) {
            const Endpoint node_address = from_asio(endpoint);
            if (auto* n = node(node_address.family)) n->add_node(node_address, Clock::now());
        }
    }
    bootstrapping_ = false;
    flush();
    wake_by(Clock::now());
}

void DhtService::save_state() {
    if (settings_.state_file.empty() || nodes_.empty()) return;
    dht::NodeState state;
    state.id = nodes_.begin()->second.id();
    for (const auto& [family, n] : nodes_) {
        auto saved = n.save();
        state.nodes.insert(state.nodes.end(), saved.nodes.begin(), saved.nodes.end());
    }
    if (state.nodes.empty()) return;  // keep what an earlier run saved rather than an empty table
    const auto written = storage::write_file_atomic(settings_.state_file, dht::encode_state(state),
                                                    storage::Durability::process);
    if (!written) BT_LOG(warning, "dht", "saving the DHT state: {}", written.error().message());
}

DhtStats DhtService::stats() const {
    DhtStats s;
    for (const auto& [family, n] : nodes_) {
        const auto node_stats = n.stats();
        s.nodes += node_stats.nodes;
        s.messages_in += node_stats.messages_in;
        s.messages_out += node_stats.messages_out;
    }
    s.lookups_running = lookups_.size();
    s.lookups_done = lookups_done_;
    s.last_lookup = std::chrono::duration_cast<std::chrono::milliseconds>(last_lookup_);
    if (lookups_done_ > 0) {
        s.average_lookup = std::chrono::duration_cast<std::chrono::milliseconds>(
            lookup_time_total_ / static_cast<std::int64_t>(lookups_done_));
    }
    s.sends_dropped = sends_dropped_;
    return s;
}

void DhtService::stop() {
    if (stopped_) return;
    save_state();
    stopped_ = true;
    cancel_resolve_ = true;
    lookups_.clear();
    timer_.cancel();
    if (mux_) mux_->set_unclaimed_handler({});
    mux_.reset();
}

}  // namespace bt::session
