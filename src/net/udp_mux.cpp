#include "net/udp_mux.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/udp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cstring>
#include <deque>
#include <map>
#include <utility>

#include "core/log.hpp"
#include "net/asio_endpoint.hpp"
#include "net/spawn.hpp"

namespace bt::net {

namespace {

using asio::ip::udp;
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
// Error-queue entries read at once; the queue is bounded by the socket's receive buffer anyway.
constexpr int kMaxErrorsPerDrain = 64;
// Failed receives in a row before the loop pauses, so that an unexpected lasting error cannot spin it.
constexpr unsigned kErrorsBeforePause = 64;
constexpr auto kErrorPause = std::chrono::milliseconds(10);

std::optional<Endpoint> from_sockaddr(const sockaddr_storage& storage) {
    if (storage.ss_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, &storage, sizeof in);
        std::array<std::uint8_t, 4> bytes{};
        std::memcpy(bytes.data(), &in.sin_addr, 4);
        return Endpoint::v4(bytes, ntohs(in.sin_port));
    }
    if (storage.ss_family == AF_INET6) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, &storage, sizeof in6);
        std::array<std::uint8_t, 16> bytes{};
        std::memcpy(bytes.data(), &in6.sin6_addr, 16);
        return Endpoint::v6(bytes, ntohs(in6.sin6_port));
    }
    return std::nullopt;
}

// Opens and binds one socket, asking for ICMP errors (IP_RECVERR / IPV6_RECVERR). When `port` is taken,
// falls back to an ephemeral port and says so.
Result<udp::socket, std::error_code> bind_socket(const asio::any_io_executor& executor,
                                                 const udp::endpoint& endpoint) {
    udp::socket socket(executor);
    std::error_code ec;
    socket.open(endpoint.protocol(), ec);
    if (ec) return fail(ec);
    const int on = 1;
    if (endpoint.address().is_v6()) {
        socket.set_option(asio::ip::v6_only(true), ec);
        if (!ec && ::setsockopt(socket.native_handle(), IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on) != 0)
            ec = std::error_code(errno, asio::error::get_system_category());
    } else if (::setsockopt(socket.native_handle(), IPPROTO_IP, IP_RECVERR, &on, sizeof on) != 0) {
        ec = std::error_code(errno, asio::error::get_system_category());
    }
    if (ec) return fail(ec);
    socket.bind(endpoint, ec);
    if (ec == asio::error::address_in_use && endpoint.port() != 0) {
        socket.bind(udp::endpoint(endpoint.address(), 0), ec);
        if (!ec)
            BT_LOG(info, "udp", "UDP port {} on {} is taken; trackers and the DHT use port {} instead",
                   endpoint.port(), endpoint.address().to_string(), socket.local_endpoint().port());
    }
    if (ec) return fail(ec);
    return socket;
}

}  // namespace

namespace detail {

struct UdpInbox {
    explicit UdpInbox(const asio::any_io_executor& executor) : wake(executor) {}
    std::deque<std::vector<std::uint8_t>> datagrams;
    std::error_code error;
    asio::steady_timer wake;  // its wait is cancelled when something arrives
};

struct UdpMuxCore {
    UdpMuxCore(asio::any_io_executor e, const UdpMuxSettings& s)
        : executor(std::move(e)), settings(s), table(s.max_claims) {}

    udp::socket* socket_for(Endpoint::Family family) {
        auto& socket = family == Endpoint::Family::v4 ? v4 : v6;
        return socket && socket->is_open() ? &*socket : nullptr;
    }

    void wake(UdpInbox& inbox) { inbox.wake.cancel(); }

    void deliver(const Endpoint& from, std::span<const std::uint8_t> datagram, bool oversized) {
        const auto route = table.route(from, datagram, oversized);
        if (route.to == UdpDispatchTable::Route::To::owner) {
            const auto it = inboxes.find(route.owner);
            if (it == inboxes.end()) {
                ++stats.dropped;
                return;
            }
            auto& inbox = *it->second;
            if (inbox.datagrams.size() >= settings.max_queued ||
                queued_bytes + datagram.size() > settings.max_queued_bytes) {
                ++stats.queue_overflow;
                return;
            }
            inbox.datagrams.emplace_back(datagram.begin(), datagram.end());
            queued_bytes += datagram.size();
            wake(inbox);
        } else if (route.to == UdpDispatchTable::Route::To::unclaimed && handler && handler(from, datagram)) {
            ++stats.handled;
        } else {
            ++stats.dropped;
        }
    }

    void on_network_error(const Endpoint& to, std::error_code ec) {
        ++stats.network_errors;
        for (const auto owner : table.owners_at(to)) {
            if (const auto it = inboxes.find(owner); it != inboxes.end()) {
                if (!it->second->error) it->second->error = ec;
                wake(*it->second);
            }
        }
    }

    // With IP_RECVERR, an ICMP error sets the socket's pending error (the next receive or send fails with
    // it, whoever it was for) and queues the details, the failed datagram's destination among them.
    void drain_error_queue(udp::socket& socket) {
        for (int i = 0; i < kMaxErrorsPerDrain; ++i) {
            sockaddr_storage name{};
            std::array<std::uint8_t, 64> data{};
            alignas(cmsghdr) std::array<char, 512> control{};
            iovec iov{data.data(), data.size()};
            msghdr msg{};
            msg.msg_name = &name;
            msg.msg_namelen = sizeof name;
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.data();
            msg.msg_controllen = control.size();
            if (::recvmsg(socket.native_handle(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
                const bool ip4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
                const bool ip6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
                if (!ip4 && !ip6) continue;
                sock_extended_err ee{};
                std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
                if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6) continue;
                if (const auto to = from_sockaddr(name))
                    on_network_error(*to, std::error_code(static_cast<int>(ee.ee_errno),
                                                          asio::error::get_system_category()));
            }
        }
    }

    void close() {
        if (closed) return;
        closed = true;
        std::error_code ignored;
        if (v4) v4->close(ignored);
        if (v6) v6->close(ignored);
        for (auto& [owner, inbox] : inboxes) wake(*inbox);
    }

    asio::any_io_executor executor;
    UdpMuxSettings settings;
    std::optional<udp::socket> v4;
    std::optional<udp::socket> v6;
    UdpDispatchTable table;
    std::map<std::uint64_t, std::unique_ptr<UdpInbox>> inboxes;
    std::uint64_t next_owner = 1;
    std::size_t queued_bytes = 0;  // in every inbox together
    UdpMux::Handler handler;
    UdpMuxStats stats;
    bool closed = false;
};

}  // namespace detail

namespace {

asio::awaitable<void> receive_loop(std::shared_ptr<detail::UdpMuxCore> core, udp::socket& socket) {
    std::vector<std::uint8_t> buffer(core->settings.max_datagram + 1);  // one more: tells a larger datagram
    asio::steady_timer pause(core->executor);
    udp::endpoint sender;
    unsigned errors_in_a_row = 0;
    while (!core->closed) {
        auto [ec, received] = co_await socket.async_receive_from(asio::buffer(buffer), sender, use_nothrow);
        if (core->closed || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
        if (ec) {
            core->drain_error_queue(socket);  // most likely an ICMP error: tell whom it concerns
            if (++errors_in_a_row >= kErrorsBeforePause) {
                BT_LOG(debug, "udp", "receiving: {}", ec.message());
                errors_in_a_row = 0;
                pause.expires_after(kErrorPause);
                co_await pause.async_wait(use_nothrow);
            }
            continue;
        }
        errors_in_a_row = 0;
        ++core->stats.received;
        const bool oversized = received > core->settings.max_datagram;
        core->deliver(from_asio(sender),
                      std::span<const std::uint8_t>(buffer.data(), std::min(received, buffer.size() - 1)),
                      oversized);
    }
}

// An exception escaping a receive loop (a bug, or std::bad_alloc) is logged and the loop started again.
void start_receiving(const std::shared_ptr<detail::UdpMuxCore>& core, udp::socket& socket) {
    spawn(core->executor, receive_loop(core, socket), [core, &socket](const std::string& what) {
        BT_LOG(error, "udp", "receiving: {}", what);
        if (!core->closed) start_receiving(core, socket);
    });
}

asio::awaitable<std::error_code> send_on(std::shared_ptr<detail::UdpMuxCore> core, Endpoint to,
                                         std::span<const std::uint8_t> datagram) {
    if (core->closed) co_return asio::error::operation_aborted;
    udp::socket* socket = core->socket_for(to.family);
    if (socket == nullptr) co_return make_error_code(std::errc::address_family_not_supported);
    const udp::endpoint target = to_asio<udp>(to);
    auto [ec, sent] =
        co_await socket->async_send_to(asio::buffer(datagram.data(), datagram.size()), target, use_nothrow);
    if (ec && !core->closed) {
        // The pending error of an ICMP message about another destination fails the next send too: route
        // it to whom it concerns, then send again.
        core->drain_error_queue(*socket);
        std::tie(ec, sent) = co_await socket->async_send_to(asio::buffer(datagram.data(), datagram.size()),
                                                            target, use_nothrow);
    }
    co_return ec;
}

}  // namespace

Result<UdpMux, std::string> UdpMux::open(asio::any_io_executor executor, const asio::ip::address& address,
                                         std::uint16_t port, UdpMuxSettings settings) {
    auto core = std::make_shared<detail::UdpMuxCore>(executor, settings);
    const bool v6 = address.is_v6();
    auto primary = bind_socket(executor, udp::endpoint(address, port));
    if (!primary)
        return fail("cannot bind UDP " + udp::endpoint(address, port).address().to_string() + ":" +
                    std::to_string(port) + ": " + primary.error().message());
    const std::uint16_t primary_port = primary->local_endpoint().port();
    (v6 ? core->v6 : core->v4).emplace(std::move(*primary));

    const asio::ip::address other =
        v6 ? asio::ip::address(asio::ip::address_v4::any()) : asio::ip::address(asio::ip::address_v6::any());
    auto secondary = bind_socket(executor, udp::endpoint(other, address.is_unspecified() ? primary_port : 0));
    if (secondary)
        (v6 ? core->v4 : core->v6).emplace(std::move(*secondary));
    else
        BT_LOG(debug, "udp", "no IPv{} UDP socket: {}", v6 ? 4 : 6, secondary.error().message());

    if (core->v4) start_receiving(core, *core->v4);
    if (core->v6) start_receiving(core, *core->v6);
    return UdpMux(std::move(core));
}

UdpMux::UdpMux(std::shared_ptr<detail::UdpMuxCore> core) : core_(std::move(core)) {}
UdpMux::UdpMux(UdpMux&&) noexcept = default;
UdpMux& UdpMux::operator=(UdpMux&& other) noexcept {
    if (this != &other) {
        close();
        core_ = std::move(other.core_);
    }
    return *this;
}
UdpMux::~UdpMux() {
    close();
}

std::optional<std::uint16_t> UdpMux::local_port(Endpoint::Family family) const {
    if (!core_) return std::nullopt;
    const auto* socket = core_->socket_for(family);
    if (socket == nullptr) return std::nullopt;
    std::error_code ec;
    const auto local = socket->local_endpoint(ec);
    if (ec) return std::nullopt;
    return local.port();
}

void UdpMux::set_unclaimed_handler(Handler handler) {
    if (core_) core_->handler = std::move(handler);
}

asio::awaitable<std::error_code> UdpMux::send_to(Endpoint to, std::span<const std::uint8_t> datagram) {
    if (!core_) co_return asio::error::operation_aborted;
    co_return co_await send_on(core_, to, datagram);
}

void UdpMux::close() {
    if (core_) core_->close();
}

UdpMuxStats UdpMux::stats() const {
    if (!core_) return {};
    UdpMuxStats stats = core_->stats;
    stats.dispatch = core_->table.stats();
    return stats;
}

UdpMux::Receiver UdpMux::receiver() {
    const std::uint64_t owner = core_->next_owner++;
    core_->inboxes.emplace(owner, std::make_unique<detail::UdpInbox>(core_->executor));
    return Receiver(core_, owner);
}

UdpMux::Receiver::Receiver(std::shared_ptr<detail::UdpMuxCore> core, std::uint64_t owner)
    : core_(std::move(core)), owner_(owner) {}

UdpMux::Receiver::Receiver(Receiver&& other) noexcept
    : core_(std::move(other.core_)), owner_(std::exchange(other.owner_, 0)) {}

UdpMux::Receiver& UdpMux::Receiver::operator=(Receiver&& other) noexcept {
    if (this != &other) {
        release();
        core_ = std::move(other.core_);
        owner_ = std::exchange(other.owner_, 0);
    }
    return *this;
}

UdpMux::Receiver::~Receiver() {
    release();
}

void UdpMux::Receiver::release() noexcept {
    if (!core_) return;
    core_->table.release(owner_);
    if (const auto it = core_->inboxes.find(owner_); it != core_->inboxes.end()) {
        for (const auto& datagram : it->second->datagrams) core_->queued_bytes -= datagram.size();
        core_->inboxes.erase(it);
    }
    core_.reset();
}

UdpMux::ClaimResult UdpMux::Receiver::claim(const Endpoint& from, std::uint32_t transaction_id) {
    return core_->table.claim(owner_, from, transaction_id);
}

asio::awaitable<std::optional<Result<std::vector<std::uint8_t>, std::error_code>>> UdpMux::Receiver::receive(
    Clock::time_point deadline) {
    auto core = core_;
    detail::UdpInbox& inbox = *core->inboxes.at(owner_);
    for (;;) {
        if (!inbox.datagrams.empty()) {
            auto datagram = std::move(inbox.datagrams.front());
            inbox.datagrams.pop_front();
            core->queued_bytes -= datagram.size();
            co_return std::move(datagram);
        }
        if (inbox.error) co_return fail(std::exchange(inbox.error, {}));
        if (core->closed) co_return fail(std::error_code(asio::error::operation_aborted));
        if (Clock::now() >= deadline) co_return std::nullopt;
        inbox.wake.expires_at(deadline);
        co_await inbox.wake.async_wait(use_nothrow);
    }
}

asio::awaitable<std::error_code> UdpMux::Receiver::send_to(Endpoint to,
                                                           std::span<const std::uint8_t> datagram) {
    co_return co_await send_on(core_, to, datagram);
}

}  // namespace bt::net
