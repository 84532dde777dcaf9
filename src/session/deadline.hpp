#pragma once
#include <asio/steady_timer.hpp>
#include <memory>

#include "net/byte_stream.hpp"

namespace bt::session {

// Closes a stream when a deadline passes, so that any pending operation on it completes with an error.
// The handler shares its state, so it stays safe even if it was already queued when the Deadline died.
class Deadline {
  public:
    Deadline(net::ByteStream& stream, std::chrono::steady_clock::duration after)
        : timer_(stream.get_executor(), after) {
        timer_.async_wait([state = state_](std::error_code ec) {
            if (ec || state->stream == nullptr) return;
            state->expired = true;
            state->stream->close();
        });
        state_->stream = &stream;
    }
    ~Deadline() {
        state_->stream = nullptr;
        timer_.cancel();
    }
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    bool expired() const { return state_->expired; }

  private:
    struct State {
        net::ByteStream* stream = nullptr;
        bool expired = false;
    };
    std::shared_ptr<State> state_ = std::make_shared<State>();
    asio::steady_timer timer_;
};

}  // namespace bt::session
