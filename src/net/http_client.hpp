#pragma once
// HTTP(S) GET for tracker announces; the body size is bounded so a hostile tracker cannot make us allocate
// without limit.
//
// Two transports. A plain http:// URL is fetched by a small HTTP/1.1 client over asio on the caller's
// executor (http/ parses the URL and the response). https://, a URL with user information, or a proxy set
// in the environment (http_proxy, all_proxy, ALL_PROXY, which libcurl honours) go through libcurl, run on a
// worker pool so the network loop never blocks. The reason is memory: libcurl and the 30-odd libraries it
// maps (gnutls, krb5, ldap, ssh2, ...) add about 5 MiB to the resident size of a process that announces
// to an ordinary http:// tracker, about a fifth of bitveil's peak while downloading (README, "How a download
// uses the machine"). Redirects are followed either way (at most max_redirects, http and https only); one
// that leads to https:// hands the rest over to libcurl.
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <system_error>

#include "core/result.hpp"

namespace bt::net {

struct HttpOptions {
    // The whole request, redirects included.
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

// A socket error as an error line says it (shared with the UDP tracker path).
std::string network_error(const std::error_code& ec);

// libcurl on its own, blocking; call from a worker thread. The error is one readable line.
Result<HttpResponse, std::string> curl_get_blocking(const std::string& url, const HttpOptions& options);

// GETs `url` through the transport that suits it (above); `pool` runs libcurl. Resumes the caller on its
// own executor. The error is one readable line.
asio::awaitable<Result<HttpResponse, std::string>> http_get(asio::any_io_executor pool, std::string url,
                                                            HttpOptions options);

}  // namespace bt::net
