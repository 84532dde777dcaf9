#pragma once
// The Transmission RPC (3.00 dialect, rpc-version 16) as a pure function: a request body in, the reply body
// out, over a Backend. No I/O: the HTTP front (session id, auth, size limits) is the daemon's, and so is the
// one fetch a request may need, torrent-add with an http(s) URL:
//
//     auto request = rpc::parse_request(body);
//     std::optional<rpc::FetchedUrl> fetched;
//     if (auto url = rpc::url_to_fetch(request)) fetched = fetch_with_size_cap(*url);
//     reply(200, rpc::handle(request, backend, fetched ? &*fetched : nullptr));
//
// Every reply is HTTP 200 with {"arguments":{…},"result":"success" or a readable error} and, when the
// request had an integer tag, that tag (transmission-remote picks its printer by it). Never throws on any
// input (fuzzed).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/backend.hpp"

namespace bt::rpc {

struct Request {
    nlohmann::json body;  // the parsed request; null when `error` is set
    std::string error;    // why the body is not JSON we read (malformed, truncated, nested too deep)
};

// Bounds nesting and size before building anything (rpc/json_prescan.hpp).
Request parse_request(std::string_view body);

// The http(s) URL of a torrent-add's `filename`, which the daemon must fetch before calling handle().
std::optional<std::string> url_to_fetch(const Request& request);

struct FetchedUrl {
    std::string url;                   // as url_to_fetch returned it
    std::optional<std::string> bytes;  // the body fetched, or nullopt when the fetch failed
    std::string error;                 // why it failed, one line
};

std::string handle(const Request& request, Backend& backend, const FetchedUrl* fetched = nullptr);
// For callers that fetch nothing: a torrent-add with a URL then answers with an error result.
std::string handle(std::string_view body, Backend& backend);

}  // namespace bt::rpc
