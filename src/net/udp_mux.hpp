#pragma once
// The session's UDP endpoint: one socket per address family, bound when the session starts, shared by the
// UDP trackers (BEP 15) and, next, the DHT (BEP 5: the DHT uses the peer port over UDP) and uTP. One
// receive loop per socket hands each datagram to whoever claims it (net::UdpDispatchTable, the pure half):
// a tracker transaction waiting on a Receiver, else the unclaimed handler, else it is dropped and counted.
// Everything is sent through the same sockets.
//
// Two sockets, not one dual-stack socket: the session may listen on an IPv4 address such as 127.0.0.1, and
// a socket bound there cannot reach an IPv6 tracker (::1 in the tests), while IPv6 trackers must keep
// working. The socket of the listen address's family is bound to (listen address, peer port), falling back
// to an ephemeral port (logged) when that UDP port is taken. The other family's socket is bound to its
// unspecified address (IPV6_V6ONLY on the v6 one): on the same port when the listen address is
// unspecified too (BEP 32: the IPv6 DHT shares the port), else on an ephemeral port. A host without IPv6
// simply has no v6 socket; sending there fails with "address family not supported".
//
// ICMP errors (port unreachable: "connection refused") reach an unconnected socket only with IP_RECVERR;
// the error queue names the destination that failed, and the receivers claiming replies from it are told
// at once, as a connected socket would have been.
//
// Runs on one executor (single-threaded). The receive loops and every Receiver share the mux's state, so a
// coroutine that outlives the UdpMux object finds its sockets closed rather than freed.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "net/udp_dispatch.hpp"

namespace bt::net {

namespace detail {
struct UdpMuxCore;  // udp_mux.cpp
}

struct UdpMuxSettings {
    // The receive buffer: a larger datagram is dropped. 65,536 holds any UDP payload (IPv4: 65,507 bytes).
    std::size_t max_datagram = 65'536;
    std::size_t max_claims = kDefaultMaxUdpClaims;   // tracker transactions waiting at once
    std::size_t max_queued = 16;                     // datagrams waiting for one receiver; more are dropped
    std::size_t max_queued_bytes = 4 * 1024 * 1024;  // bytes waiting for all receivers together
};

struct UdpMuxStats {
    UdpDispatchStats dispatch;
    std::uint64_t received = 0;
    std::uint64_t handled = 0;         // unclaimed, taken by the handler
    std::uint64_t dropped = 0;         // unclaimed, and no handler (or the handler declined)
    std::uint64_t queue_overflow = 0;  // claimed, but the receiver had max_queued waiting
    std::uint64_t network_errors = 0;  // ICMP errors read from the error queues
};

class UdpMux {
  public:
    using Clock = std::chrono::steady_clock;
    // Gets the unclaimed datagrams; returns true when it took one (else it counts as dropped).
    using Handler = std::function<bool(const Endpoint& from, std::span<const std::uint8_t> datagram)>;
    using ClaimResult = UdpDispatchTable::ClaimResult;

    // Binds the sockets (see above) and starts their receive loops on `executor`. `address` is the
    // session's listen address and `port` its peer port (0: ephemeral). The error is one line.
    static Result<UdpMux, std::string> open(asio::any_io_executor executor, const asio::ip::address& address,
                                            std::uint16_t port, UdpMuxSettings settings = {});

    UdpMux(UdpMux&&) noexcept;
    UdpMux& operator=(UdpMux&&) noexcept;
    ~UdpMux();  // closes

    // The port of the family's socket; nullopt when it has none.
    [[nodiscard]] std::optional<std::uint16_t> local_port(Endpoint::Family family) const;
    void set_unclaimed_handler(Handler handler);
    // Sends one datagram on the socket of `to`'s family; the error, if any.
    asio::awaitable<std::error_code> send_to(Endpoint to, std::span<const std::uint8_t> datagram);
    // Closes the sockets: the receive loops end, and every Receiver's wait ends with operation_aborted.
    void close();
    [[nodiscard]] UdpMuxStats stats() const;

    // What one transaction receives: the datagrams its claim routes to it, and the network errors reported
    // for the address it claims. Released when destroyed.
    class Receiver {
      public:
        Receiver(Receiver&&) noexcept;
        Receiver& operator=(Receiver&&) noexcept;
        ~Receiver();

        // Replies from `from` with `transaction_id` come here from now on, instead of the previous claim's.
        ClaimResult claim(const Endpoint& from, std::uint32_t transaction_id);
        // The next datagram or error; nullopt once `deadline` has passed with neither.
        asio::awaitable<std::optional<Result<std::vector<std::uint8_t>, std::error_code>>> receive(
            Clock::time_point deadline);
        // UdpMux::send_to, through the state this receiver keeps alive.
        asio::awaitable<std::error_code> send_to(Endpoint to, std::span<const std::uint8_t> datagram);

      private:
        friend class UdpMux;
        Receiver(std::shared_ptr<detail::UdpMuxCore> core, std::uint64_t owner);
        void release() noexcept;
        std::shared_ptr<detail::UdpMuxCore> core_;
        std::uint64_t owner_ = 0;
    };
    [[nodiscard]] Receiver receiver();

  private:
    explicit UdpMux(std::shared_ptr<detail::UdpMuxCore> core);
    std::shared_ptr<detail::UdpMuxCore> core_;
};

}  // namespace bt::net
