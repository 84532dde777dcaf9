#pragma once
// Incremental parser of HTTP/1.x requests (RFC 9112) on one connection, fed bytes as they arrive. Pure:
// the server feeds what it reads and answers once a request is complete or has failed.
//
// Understands a request line, headers (kept in order, looked up case-insensitively) and a body framed by
// Content-Length or by chunked transfer coding (chunk extensions and trailers skipped). Everything else
// fails, with a kind that picks the status: a head over the limit (431), a body over the limit (413,
// known from Content-Length before any body byte is stored), anything malformed or ambiguous (400): obsolete
// line folding, a transfer coding other than chunked, Transfer-Encoding next to Content-Length (the
// request-smuggling shapes), conflicting lengths.
//
// Keep-alive: bytes that follow a complete request are kept, and next() starts on them, so pipelined
// requests parse one after another. Memory is bounded by the limits plus the bytes of one feed.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/chunked_body.hpp"

namespace bt::http {

struct RequestLimits {
    std::size_t max_head = 16 * 1024;  // request line and headers (and the trailers of a chunked body)
    std::size_t max_body = 16 * 1024 * 1024;
    std::size_t max_headers = 100;
};

class RequestParser {
  public:
    enum class State { need_more, complete, failed };
    enum class Failure { none, bad_request, head_too_large, body_too_large };
    struct Header {
        std::string name;  // as sent
        std::string value;
    };

    explicit RequestParser(RequestLimits limits = {});

    // Takes the next bytes of the stream. Bytes after a complete request are kept for next().
    State feed(std::string_view bytes);
    // Forgets the complete request and parses the bytes that followed it (pipelining).
    State next();

    State state() const noexcept { return state_; }
    Failure failure() const noexcept { return failure_; }
    // Why parsing failed: one line without control characters.
    const std::string& error() const noexcept { return error_; }

    // Valid once the head is parsed (has_head()).
    bool has_head() const noexcept { return has_head_; }
    const std::string& method() const noexcept { return method_; }
    const std::string& target() const noexcept { return target_; }
    // 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x).
    int minor_version() const noexcept { return minor_version_; }
    const std::vector<Header>& headers() const noexcept { return headers_; }
    // The first header called `name` (any case), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const;
    // Whether the connection may carry another request: HTTP/1.1 unless "Connection: close", HTTP/1.0
    // only with "Connection: keep-alive".
    bool keep_alive() const;
    // "Expect: 100-continue": the client waits for an interim 100 before it sends the body.
    bool expects_continue() const;

    // The body's announced length, once the head is parsed; nullopt for a chunked body or none.
    std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
    const std::string& body() const noexcept { return body_; }
    std::string take_body() noexcept { return std::move(body_); }
    // Bytes received after the complete request, not parsed yet.
    std::size_t leftover_size() const noexcept { return leftover_.size(); }

  private:
    enum class Phase { head, body_length, chunked, done };

    State fail(Failure kind, std::string why);
    State complete(std::string_view rest);
    State parse_head(std::string_view head);
    State fail_chunked();

    RequestLimits limits_;
    State state_ = State::need_more;
    Failure failure_ = Failure::none;
    Phase phase_ = Phase::head;
    std::string pending_;  // the head so far
    bool has_head_ = false;
    std::string method_;
    std::string target_;
    int minor_version_ = 1;
    std::vector<Header> headers_;
    std::optional<std::uint64_t> content_length_;
    std::uint64_t remaining_ = 0;  // of the Content-Length body
    ChunkedBody chunked_;
    std::string body_;
    std::string leftover_;
    std::string error_;
};

}  // namespace bt::http
