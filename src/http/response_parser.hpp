#pragma once
// Incremental parser of one HTTP/1.x response (RFC 9112), fed bytes as they arrive. Pure: the transport
// feeds what it reads and, at end of stream, calls finish().
//
// Understands what a server may send to a GET that asked for no content coding: a body framed by
// Content-Length, by chunked transfer coding (chunk extensions and trailers skipped), or by the end of the
// connection; 1xx interim responses (skipped, but 101 fails: we never ask to switch protocols); 204 and 304
// (no body); obsolete line folding in headers (unfolded). Anything else fails with one
// readable line: a content or transfer coding we did not ask for, conflicting lengths, a malformed status
// line, header or chunk.
//
// Memory is bounded by the limits: the head (status line and headers, per response) and the body; no
// input makes it hold more than those plus one read.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/chunked_body.hpp"

namespace bt::http {

struct ResponseLimits {
    std::size_t max_head = 16 * 1024;
    std::size_t max_body = 4 * 1024 * 1024;
};

class ResponseParser {
  public:
    enum class State { need_more, complete, failed };

    explicit ResponseParser(ResponseLimits limits = {});

    // Takes the next bytes of the stream. Bytes after a complete response are ignored.
    State feed(std::string_view bytes);
    // The peer closed the connection: completes a body that runs to the end of the stream, fails
    // ("connection closed ...") when the response is still incomplete.
    State finish();

    State state() const noexcept { return state_; }
    // Valid once the head is parsed (status() != 0). The final status, never a 1xx.
    int status() const noexcept { return status_; }
    // The Location header's value, empty when absent.
    const std::string& location() const noexcept { return location_; }
    // The final response's header `name` (any case), its first value; empty when absent.
    std::string header(std::string_view name) const;
    const std::string& body() const noexcept { return body_; }
    std::string take_body() noexcept { return std::move(body_); }
    // Why parsing failed: one line without control characters.
    const std::string& error() const noexcept { return error_; }

  private:
    enum class Phase { head, head_ready, body_length, body_until_close, chunked };

    State fail(std::string why);
    State complete();
    State too_large();
    State parse_head(std::string_view head);
    State fail_chunked();
    bool append_body(std::string_view bytes);

    ResponseLimits limits_;
    State state_ = State::need_more;
    Phase phase_ = Phase::head;
    std::string pending_;  // the head so far
    int status_ = 0;
    std::string location_;
    std::vector<std::pair<std::string, std::string>> headers_;  // names in lower case
    std::uint64_t remaining_ = 0;  // of the Content-Length body
    ChunkedBody chunked_;
    std::string body_;
    std::string error_;
};

}  // namespace bt::http
