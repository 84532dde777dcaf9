#pragma once
// One UDP tracker exchange (BEP 15) as a pure state machine: connect if needed, then announce or scrape,
// with BEP 15's retransmission schedule. No socket and no clock: the caller sends what take_output()
// returns, passes every datagram from the tracker's address to feed(), and calls on_timer() once
// next_deadline() has passed.
//
//   connecting --connect response--> requesting --announce/scrape response or error--> done
//        ^                               |
//        +--- timeout with the connection id expired (BEP 15: ids are valid for one minute)
//
// Retransmission (BEP 15): "If a response is not received after 15 * 2 ^ n seconds, the client should
// retransmit the request, where n starts at 0 and is increased up to 8 (3840 seconds) after every
// retransmission." n counts over the whole transaction (connect and request together) and is never
// reset, so a tracker that answers connects but not announces cannot keep us busy forever: after the
// wait with n = max_retransmits the transaction ends with Errc::timed_out (about 2 h 8 min by default).
// Retransmissions reuse the transaction id; each new request (connect, announce, scrape) draws a new one.
//
// Datagrams whose transaction id differs from the current request's, that are too short to carry one,
// or whose action is neither the expected one nor error, are ignored (they may be late duplicates or
// spoofed). A matching error (action 3) ends the transaction with a reply whose failure_reason holds the
// message; a matching but malformed reply ends it with that parse error. A scrape reply with more entries
// than info-hashes asked is malformed; one with fewer answers the first hashes only.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "tracker/error.hpp"
#include "tracker/types.hpp"
#include "tracker/udp_codec.hpp"

namespace bt::tracker {

struct UdpConnection {
    std::uint64_t id = 0;
    std::chrono::steady_clock::time_point obtained_at;
};

struct UdpTransactionSettings {
    std::chrono::milliseconds base_timeout{15'000};  // BEP 15: 15 s; tests use something short
    unsigned max_retransmits = 8;                    // BEP 15: n goes up to 8 (at most 30 is honoured)
    std::chrono::seconds connection_lifetime{60};    // BEP 15: a connection id is valid for one minute
    Endpoint::Family family = Endpoint::Family::v4;  // the socket's family: decides the peer entry size
    ResponseLimits limits;
};

class UdpTrackerTransaction {
  public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    struct Announce {
        AnnounceRequest request;
        std::string url_data;  // BEP 41: the udp:// URL's path and query (UdpTrackerUrl::url_data)
    };
    struct Scrape {
        std::vector<InfoHashBytes> info_hashes;  // 1 to kUdpMaxScrapeHashes, else invalid_request at once
    };
    using Reply = std::variant<AnnounceResponse, ScrapeResponse>;  // matches the request kind

    // `seed` feeds the transaction-id generator; pass fresh randomness in production (ids guard against
    // off-path spoofing). `cached`: a connection id from an earlier transaction with the same tracker;
    // used while still valid at `now`, which skips the connect step. The first datagram is queued at once.
    UdpTrackerTransaction(std::variant<Announce, Scrape> request, const UdpTransactionSettings& settings,
                          std::uint64_t seed, TimePoint now,
                          std::optional<UdpConnection> cached = std::nullopt);

    void feed(std::span<const std::uint8_t> datagram, TimePoint now);
    // Datagrams to send now, oldest first; empties the queue.
    [[nodiscard]] std::vector<std::vector<std::uint8_t>> take_output();
    // When on_timer() must next be called; nullopt once done.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;
    void on_timer(TimePoint now);

    [[nodiscard]] bool done() const noexcept { return state_ == State::done; }
    // Set once done(): the reply (possibly carrying the tracker's failure text) or an error.
    [[nodiscard]] const std::optional<Result<Reply, Error>>& result() const noexcept { return result_; }
    // The connection id in use, for the next transaction with this tracker (check its age before reuse).
    [[nodiscard]] std::optional<UdpConnection> connection() const noexcept { return connection_; }
    // The transaction id of the request in flight (the latest one queued): its reply carries it in bytes
    // 4-7, which is how a shared socket routes the reply here (net::UdpMux).
    [[nodiscard]] std::uint32_t transaction_id() const noexcept { return transaction_id_; }
    // n in BEP 15's 15 * 2^n: how many retransmissions so far.
    [[nodiscard]] unsigned retransmits() const noexcept { return retransmits_; }

  private:
    enum class State : std::uint8_t { connecting, requesting, done };

    bool connection_valid(TimePoint now) const;
    std::uint32_t next_transaction_id();
    void send_connect(TimePoint now);
    void send_request(TimePoint now);
    void send_current(TimePoint now);
    void finish(Result<Reply, Error> result);
    void on_reply(const UdpResponse& response, TimePoint now);

    std::variant<Announce, Scrape> request_;
    UdpTransactionSettings settings_;
    std::uint64_t rng_state_;
    State state_ = State::connecting;
    std::uint32_t transaction_id_ = 0;
    std::vector<std::uint8_t> current_;  // the datagram to retransmit
    std::vector<std::vector<std::uint8_t>> output_;
    TimePoint deadline_{};
    unsigned retransmits_ = 0;
    std::optional<UdpConnection> connection_;
    std::optional<Result<Reply, Error>> result_;
};

}  // namespace bt::tracker
