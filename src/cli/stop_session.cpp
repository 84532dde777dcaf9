#include "cli/stop_session.hpp"

#include <string>

#include "core/log.hpp"
#include "net/spawn.hpp"

namespace bt::cli {

void stop_session_then_loop(asio::io_context& io, session::Session& session,
                            std::function<void()> on_failure) {
    net::spawn(
        io,
        [&io, &session]() -> asio::awaitable<void> {
            co_await session.stop();
            io.stop();
        },
        [&io, on_failure = std::move(on_failure)](const std::string& what) {
            BT_LOG(error, "session", "stopping: {}", what);
            if (on_failure) on_failure();
            io.stop();
        });
}

}  // namespace bt::cli
