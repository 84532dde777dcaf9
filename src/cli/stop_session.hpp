#pragma once
// How a command ends its session: stop() (announces 'stopped', flushes the resume records), then the
// io_context, so run() returns. Shared by `download`, `seed` and `dht`.
#include <asio/io_context.hpp>
#include <functional>

#include "session/session.hpp"

namespace bt::cli {

// Starts the stop on `io`; `on_failure` (may be empty) runs when stopping threw, before the loop ends.
void stop_session_then_loop(asio::io_context& io, session::Session& session,
                            std::function<void()> on_failure);

}  // namespace bt::cli
