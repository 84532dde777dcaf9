#include "session/session.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <random>

#include "core/log.hpp"
#include "session/asio_endpoint.hpp"
#include "session/deadline.hpp"

namespace bt::session {

namespace {
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
}

wire::PeerId make_peer_id() {
    // Azureus style: client "BV", version 0.1.0.0.
    static constexpr std::string_view kPrefix = "-BV0100-";
    static constexpr std::string_view kAlphabet =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    wire::PeerId id{};
    std::copy(kPrefix.begin(), kPrefix.end(), id.begin());
    std::random_device rd;
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    for (std::size_t i = kPrefix.size(); i < id.size(); ++i)
        id[i] = static_cast<std::uint8_t>(kAlphabet[pick(rd)]);
    return id;
}

Session::Session(asio::io_context& io, Settings settings)
    : io_(io),
      settings_(std::move(settings)),
      disk_pool_(std::max(1u, settings_.disk_threads)),
      http_pool_(2),
      acceptor_(io),
      peer_id_(make_peer_id()),
      tracker_key_(static_cast<std::uint32_t>(random_seed())) {}

Session::~Session() {
    disk_pool_.join();
    http_pool_.join();
}

std::uint64_t Session::random_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) | rd();
}

Result<void, std::string> Session::listen() {
    std::error_code ec;
    const auto address = asio::ip::make_address(settings_.listen_address, ec);
    if (ec) return fail("invalid listen address " + settings_.listen_address);
    const asio::ip::tcp::endpoint endpoint(address, settings_.listen_port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return fail("cannot listen on " + settings_.listen_address + ":" +
                    std::to_string(settings_.listen_port) + ": " + ec.message());
    }
    listen_port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    return {};
}

Torrent& Session::add_torrent(metainfo::Metainfo metainfo, std::string download_dir) {
    skeys_.add(metainfo.info_hash.bytes);
    torrents_.push_back(std::make_unique<Torrent>(*this, std::move(metainfo), std::move(download_dir)));
    return *torrents_.back();
}

Torrent* Session::find_torrent(const wire::InfoHashBytes& info_hash) {
    for (auto& t : torrents_) {
        if (t->info_hash() == info_hash) return t.get();
    }
    return nullptr;
}

asio::awaitable<void> Session::accept_loop() {
    asio::steady_timer backoff(io_);
    while (!stopping_) {
        auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
        if (stopping_) break;
        if (ec) {
            // EMFILE and friends: wait a little instead of spinning; the listener stays up.
            BT_LOG(warning, "session", "accept: {}", ec.message());
            backoff.expires_after(std::chrono::milliseconds(200));
            co_await backoff.async_wait(use_nothrow);
            continue;
        }
        asio::co_spawn(io_, handle_incoming(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> Session::handle_incoming(asio::ip::tcp::socket socket) {
    std::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) co_return;
    const Endpoint endpoint = from_asio(remote);
    socket.set_option(asio::ip::tcp::no_delay(true), ec);

    Torrent* torrent = nullptr;
    net::IncomingHandshake params;
    params.policy = settings_.encryption;
    params.level = settings_.encryption_level;
    params.find_skey = skeys_.lookup();
    params.reply_for = [&](const wire::InfoHashBytes& info_hash) -> std::optional<wire::Handshake> {
        torrent = find_torrent(info_hash);
        if (torrent == nullptr) return std::nullopt;
        return wire::Handshake{reserved_bits(), info_hash, peer_id_};
    };
    std::optional<Deadline> deadline(std::in_place, socket, settings_.handshake_timeout);
    auto result = co_await net::handshake_incoming(socket, std::move(params));
    const bool expired = deadline->expired();
    deadline.reset();
    std::string failure;
    if (!result) {
        failure = result.error().reason;
        if (expired && failure.find("timeout") == std::string::npos) failure = "handshake timeout";
    } else if (result->remote.peer_id == peer_id_) {
        failure = "connected to ourselves";
    } else if (!torrent->accepts_connections()) {
        failure = "torrent not accepting peers";
    }
    if (!failure.empty()) {
        BT_LOG(info, "peer", "{} in: {}", endpoint.to_string(), failure);
        ++incoming_failures_[failure];
        if (torrent) torrent->count_closed(failure);
        co_return;
    }
    torrent->stats().protocol_uploaded += result->bytes_sent;
    torrent->stats().protocol_downloaded += result->bytes_received;
    torrent->attach_incoming(std::move(result->transport), endpoint, result->remote,
                             std::move(result->leftover));
}

asio::awaitable<void> Session::stop() {
    stopping_ = true;
    std::error_code ignored;
    acceptor_.close(ignored);
    for (auto& t : torrents_) co_await t->stop();
}

}  // namespace bt::session
