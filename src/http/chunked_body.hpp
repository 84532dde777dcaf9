#pragma once
// Decoder of the chunked transfer coding (RFC 9112 section 7.1), shared by the request and response
// parsers: chunk extensions and trailers are skipped. Memory is bounded: the body by `max_body`, a
// chunk-size line by detail::kMaxChunkLine and the trailers by `max_trailers`.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bt::http {

class ChunkedBody {
  public:
    enum class State { need_more, complete, failed };
    enum class Failure { none, malformed, body_too_large, trailers_too_large };

    ChunkedBody(std::size_t max_body, std::size_t max_trailers)
        : max_body_(max_body), max_trailers_(max_trailers) {}

    // Decodes from the front of `bytes` into `body`, consuming up to the end of the chunked body: what is
    // left in `bytes` once complete follows the message.
    State feed(std::string_view& bytes, std::string& body);

    State state() const noexcept { return state_; }
    Failure failure() const noexcept { return failure_; }
    // Why it is malformed (one line); empty for the size failures, which the parsers word themselves.
    const std::string& error() const noexcept { return error_; }

  private:
    enum class Phase { size_line, data, data_end, trailers };

    State fail(Failure kind, std::string why = {});
    bool take_line(std::string_view& bytes);
    void step_line(std::size_t body_size);

    std::size_t max_body_;
    std::size_t max_trailers_;
    State state_ = State::need_more;
    Failure failure_ = Failure::none;
    Phase phase_ = Phase::size_line;
    std::string line_;  // the current line, without its CR LF once whole
    std::uint64_t remaining_ = 0;
    std::uint64_t trailer_bytes_ = 0;
    std::string error_;
};

}  // namespace bt::http
