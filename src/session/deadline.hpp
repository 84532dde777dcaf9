#pragma once
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <memory>

namespace bt::session {

// Closes a socket when a deadline passes, so that any pending operation on it completes with an error.
// The handler shares its state, so it stays safe even if it was already queued when the Deadline died.
class Deadline {
  public:
    Deadline(asio::ip::tcp::socket& socket, std::chrono::steady_clock::duration after)
        : timer_(socket.get_executor(), after) {
        timer_.async_wait([state = state_](std::error_code ec) {
            if (ec || state->socket == nullptr) return;
            state->expired = true;
            std::error_code ignored;
            state->socket->close(ignored);
        });
        state_->socket = &socket;
    }
    ~Deadline() {
        state_->socket = nullptr;
        timer_.cancel();
    }
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    bool expired() const { return state_->expired; }

  private:
    struct State {
        asio::ip::tcp::socket* socket = nullptr;
        bool expired = false;
    };
    std::shared_ptr<State> state_ = std::make_shared<State>();
    asio::steady_timer timer_;
};

}  // namespace bt::session
