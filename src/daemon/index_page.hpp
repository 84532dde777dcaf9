#pragma once
// bitveil's own page, served at / by the daemon: one HTML file with its script inline (no CDN, nothing
// fetched but the RPC), built into the binary from src/daemon/index.html.
#include <string_view>

namespace bt::daemon {

extern const std::string_view kIndexPage;

}  // namespace bt::daemon
