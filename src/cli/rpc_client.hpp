#pragma once
// One Transmission RPC call to a daemon, for `bitveil status`: POST the body, answer the 409 with the
// session id it carries (once), send Basic credentials when given. Blocks up to `timeout`.
#include <chrono>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace bt::cli {

struct RpcTarget {
    std::string url = "http://127.0.0.1:9091/transmission/rpc";
    std::optional<std::string> auth;  // "user:password"
    std::chrono::seconds timeout{10};
};

// The reply body of an HTTP 200, else one line: the daemon cannot be reached, refused the login, or
// answered something else.
Result<std::string, std::string> call_rpc(const RpcTarget& target, const std::string& body);

}  // namespace bt::cli
