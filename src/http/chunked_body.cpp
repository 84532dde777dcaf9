#include "http/chunked_body.hpp"

#include <algorithm>
#include <utility>

#include "http/header_text.hpp"

namespace bt::http {

ChunkedBody::State ChunkedBody::fail(Failure kind, std::string why) {
    failure_ = kind;
    error_ = std::move(why);
    line_.clear();
    state_ = State::failed;
    return state_;
}

ChunkedBody::State ChunkedBody::feed(std::string_view& bytes, std::string& body) {
    while (state_ == State::need_more && !bytes.empty()) {
        if (phase_ == Phase::data) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
            body.append(bytes.substr(0, n));
            bytes.remove_prefix(n);
            remaining_ -= n;
            if (remaining_ == 0) phase_ = Phase::data_end;
        } else if (take_line(bytes)) {
            step_line(body.size());
        }
    }
    return state_;
}

// Gathers the next line into line_; true once it is whole.
bool ChunkedBody::take_line(std::string_view& bytes) {
    const std::size_t lf = bytes.find('\n');
    const std::size_t n = std::min(lf, bytes.size());
    const bool trailer = phase_ == Phase::trailers;
    if (line_.size() + n > (trailer ? max_trailers_ : detail::kMaxChunkLine)) {
        if (trailer)
            fail(Failure::trailers_too_large);
        else
            fail(Failure::malformed, "malformed chunked body (line too long)");
        return false;
    }
    line_.append(bytes.substr(0, n));
    bytes.remove_prefix(std::min(n + 1, bytes.size()));
    if (lf == std::string_view::npos) return false;
    if (line_.ends_with('\r')) line_.pop_back();
    return true;
}

void ChunkedBody::step_line(std::size_t body_size) {
    const std::string line = std::move(line_);
    line_.clear();
    switch (phase_) {
        case Phase::size_line: {
            const auto size = detail::parse_chunk_size(line);
            if (!size) {
                fail(Failure::malformed, "malformed chunked body (chunk size " + detail::quoted(line) + ")");
                return;
            }
            if (*size > max_body_ - body_size) {
                fail(Failure::body_too_large);
                return;
            }
            remaining_ = *size;
            phase_ = *size == 0 ? Phase::trailers : Phase::data;
            return;
        }
        case Phase::data_end:
            if (!line.empty()) {
                fail(Failure::malformed, "malformed chunked body (no line end after a chunk)");
                return;
            }
            phase_ = Phase::size_line;
            return;
        case Phase::trailers:
            if (line.empty()) {
                state_ = State::complete;
                return;
            }
            trailer_bytes_ += line.size() + 2;
            if (trailer_bytes_ > max_trailers_) fail(Failure::trailers_too_large);
            return;
        case Phase::data:
            return;
    }
}

}  // namespace bt::http
