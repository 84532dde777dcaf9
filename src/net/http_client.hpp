#pragma once
// HTTP(S) GET through libcurl, run on a worker pool so the network loop never blocks. Used for tracker
// announces; the body size is bounded so a hostile tracker cannot make us allocate without limit.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>

#include "core/result.hpp"

namespace bt::net {

struct HttpOptions {
    std::chrono::seconds timeout{30};
    std::size_t max_body = 4 * 1024 * 1024;
    long max_redirects = 5;
    std::string user_agent;
    // When it becomes true the transfer is abandoned within about a second ("cancelled"): a shutdown must
    // not wait out a tracker that trickles or never answers. Must outlive the request.
    const std::atomic<bool>* cancel = nullptr;
};

struct HttpResponse {
    long status = 0;
    std::string body;
};

// Blocking; call from a worker thread. The error is one readable line.
Result<HttpResponse, std::string> http_get_blocking(const std::string& url, const HttpOptions& options);

// Runs http_get_blocking on `pool` and resumes the caller on its own executor.
asio::awaitable<Result<HttpResponse, std::string>> http_get(asio::any_io_executor pool, std::string url,
                                                            HttpOptions options);

}  // namespace bt::net
