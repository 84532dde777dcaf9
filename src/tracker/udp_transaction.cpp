#include "tracker/udp_transaction.hpp"

#include <algorithm>
#include <utility>

namespace bt::tracker {

namespace {

constexpr unsigned kMaxShift = 30;  // keeps base * 2^n far from overflowing

// Drops the NULs some trackers put after their error text.
std::string error_text(std::string message) {
    while (!message.empty() && message.back() == '\0') message.pop_back();
    return message;
}

}  // namespace

UdpTrackerTransaction::UdpTrackerTransaction(std::variant<Announce, Scrape> request,
                                             const UdpTransactionSettings& settings, std::uint64_t seed,
                                             TimePoint now, std::optional<UdpConnection> cached)
    : request_(std::move(request)), settings_(settings), rng_state_(seed) {
    if (const auto* scrape = std::get_if<Scrape>(&request_)) {
        if (scrape->info_hashes.empty() || scrape->info_hashes.size() > kUdpMaxScrapeHashes) {
            finish(fail(Error{Errc::invalid_request,
                              "a UDP scrape carries 1 to " + std::to_string(kUdpMaxScrapeHashes) +
                                  " info-hashes, not " + std::to_string(scrape->info_hashes.size())}));
            return;
        }
    }
    connection_ = cached;
    if (connection_valid(now)) {
        send_request(now);
    } else {
        connection_.reset();
        send_connect(now);
    }
}

bool UdpTrackerTransaction::connection_valid(TimePoint now) const {
    return connection_ && now < connection_->obtained_at + settings_.connection_lifetime;
}

std::uint32_t UdpTrackerTransaction::next_transaction_id() {
    // splitmix64: a well-mixed sequence from the caller's seed.
    std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::uint32_t>((z ^ (z >> 31)) >> 32);
}

void UdpTrackerTransaction::send_connect(TimePoint now) {
    state_ = State::connecting;
    transaction_id_ = next_transaction_id();
    current_ = encode_udp_request(UdpConnectRequest{transaction_id_});
    send_current(now);
}

void UdpTrackerTransaction::send_request(TimePoint now) {
    state_ = State::requesting;
    transaction_id_ = next_transaction_id();
    if (const auto* announce = std::get_if<Announce>(&request_)) {
        current_ = encode_udp_request(
            UdpAnnounceRequest{connection_->id, transaction_id_, announce->request, 0, announce->url_data});
    } else {
        current_ = encode_udp_request(
            UdpScrapeRequest{connection_->id, transaction_id_, std::get<Scrape>(request_).info_hashes});
    }
    send_current(now);
}

void UdpTrackerTransaction::send_current(TimePoint now) {
    output_.push_back(current_);
    deadline_ = now + settings_.base_timeout * (std::int64_t{1} << std::min(retransmits_, kMaxShift));
}

void UdpTrackerTransaction::finish(Result<Reply, Error> result) {
    state_ = State::done;
    result_ = std::move(result);
}

void UdpTrackerTransaction::feed(std::span<const std::uint8_t> datagram, TimePoint now) {
    if (done()) return;
    const auto tid = udp_response_transaction_id(datagram);
    if (!tid || *tid != transaction_id_) return;
    const auto action =
        static_cast<UdpAction>((std::uint32_t{datagram[0]} << 24) | (std::uint32_t{datagram[1]} << 16) |
                               (std::uint32_t{datagram[2]} << 8) | datagram[3]);
    UdpAction expected = UdpAction::connect;
    if (state_ == State::requesting) {
        expected = std::holds_alternative<Announce>(request_) ? UdpAction::announce : UdpAction::scrape;
    }
    if (action != expected && action != UdpAction::error) return;
    auto parsed = parse_udp_response(datagram, settings_.family, settings_.limits.max_peers);
    if (!parsed) {
        finish(fail(std::move(parsed).error()));
        return;
    }
    on_reply(*parsed, now);
}

void UdpTrackerTransaction::on_reply(const UdpResponse& response, TimePoint now) {
    if (const auto* error = std::get_if<UdpErrorResponse>(&response)) {
        if (std::holds_alternative<Announce>(request_)) {
            AnnounceResponse reply;
            reply.failure_reason = error_text(error->message);
            finish(Reply(std::move(reply)));
        } else {
            ScrapeResponse reply;
            reply.failure_reason = error_text(error->message);
            finish(Reply(std::move(reply)));
        }
    } else if (const auto* connect = std::get_if<UdpConnectResponse>(&response)) {
        connection_ = UdpConnection{connect->connection_id, now};
        send_request(now);
    } else if (const auto* announce = std::get_if<UdpAnnounceResponse>(&response)) {
        auto reply = to_announce_response(*announce, settings_.limits);
        if (!reply) {
            finish(fail(std::move(reply).error()));
        } else {
            finish(Reply(std::move(*reply)));
        }
    } else if (const auto* scrape = std::get_if<UdpScrapeResponse>(&response)) {
        // Entries come in request order; a short reply covers only the first hashes (a tracker may cap
        // how many it answers), a longer one answers something we did not ask.
        const auto& hashes = std::get<Scrape>(request_).info_hashes;
        if (scrape->entries.size() > hashes.size()) {
            finish(fail(Error{Errc::invalid_packet,
                              "scrape response: " + std::to_string(scrape->entries.size()) + " entries for " +
                                  std::to_string(hashes.size()) + " info-hashes"}));
            return;
        }
        ScrapeResponse reply;
        for (std::size_t i = 0; i < std::min(hashes.size(), scrape->entries.size()); ++i) {
            reply.files.emplace_back(hashes[i], scrape->entries[i]);
        }
        finish(Reply(std::move(reply)));
    }
}

std::vector<std::vector<std::uint8_t>> UdpTrackerTransaction::take_output() {
    return std::exchange(output_, {});
}

std::optional<UdpTrackerTransaction::TimePoint> UdpTrackerTransaction::next_deadline() const {
    if (done()) return std::nullopt;
    return deadline_;
}

void UdpTrackerTransaction::on_timer(TimePoint now) {
    if (done() || now < deadline_) return;
    if (retransmits_ >= std::min(settings_.max_retransmits, kMaxShift)) {
        finish(fail(
            Error{Errc::timed_out, "no answer after " + std::to_string(retransmits_) + " retransmissions"}));
        return;
    }
    ++retransmits_;
    if (state_ == State::requesting && !connection_valid(now)) {
        send_connect(now);  // BEP 15: an expired connection id must be requested again
    } else {
        send_current(now);
    }
}

}  // namespace bt::tracker
