#include "http/request_parser.hpp"

#include <algorithm>

#include "http/header_text.hpp"

namespace bt::http {

using detail::end_of_head;
using detail::for_each_item;
using detail::iequals;
using detail::is_token;
using detail::next_line;
using detail::quoted;
using detail::trim;

namespace {

// A request-target: visible ASCII, no spaces (RFC 9112 section 3.2).
bool is_target(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7f;
    });
}

// A field value: no control characters but tab (RFC 9110 section 5.5: CR, LF and NUL must be rejected).
bool is_field_value(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    });
}

}  // namespace

RequestParser::RequestParser(RequestLimits limits)
    : limits_(limits), chunked_(limits.max_body, limits.max_head) {}

RequestParser::State RequestParser::fail(Failure kind, std::string why) {
    failure_ = kind;
    error_ = std::move(why);
    body_.clear();
    pending_.clear();
    leftover_.clear();
    state_ = State::failed;
    return state_;
}

RequestParser::State RequestParser::complete(std::string_view rest) {
    pending_.clear();
    leftover_.assign(rest);
    phase_ = Phase::done;
    state_ = State::complete;
    return state_;
}

RequestParser::State RequestParser::next() {
    if (state_ != State::complete) return state_;
    std::string rest = std::move(leftover_);
    *this = RequestParser(limits_);
    return feed(rest);
}

std::optional<std::string_view> RequestParser::header(std::string_view name) const {
    for (const auto& h : headers_) {
        if (iequals(h.name, name)) return std::string_view(h.value);
    }
    return std::nullopt;
}

bool RequestParser::keep_alive() const {
    bool close = false;
    bool keep = false;
    for (const auto& h : headers_) {
        if (!iequals(h.name, "connection")) continue;
        for_each_item(h.value, [&](const std::string& option) {
            close = close || option == "close";
            keep = keep || option == "keep-alive";
        });
    }
    return !close && (minor_version_ >= 1 || keep);
}

bool RequestParser::expects_continue() const {
    const auto expect = header("expect");
    return minor_version_ >= 1 && expect && iequals(trim(*expect), "100-continue");
}

RequestParser::State RequestParser::feed(std::string_view bytes) {
    while (state_ == State::need_more && !bytes.empty()) {
        switch (phase_) {
            case Phase::head: {
                // RFC 9112 section 2.2: empty lines before a request line are ignored (some clients send
                // CR LF after a POST body).
                if (pending_.empty()) {
                    while (!bytes.empty() && (bytes.front() == '\r' || bytes.front() == '\n'))
                        bytes.remove_prefix(1);
                    if (bytes.empty()) return state_;
                }
                const std::size_t searched = pending_.size() >= 2 ? pending_.size() - 2 : 0;
                const std::size_t old_size = pending_.size();
                // Never hold more than the limit plus the 3 bytes that may end a head.
                pending_.append(bytes.substr(0, limits_.max_head + 3 - std::min(old_size, limits_.max_head)));
                const std::size_t end = end_of_head(pending_, searched);
                if (end == std::string::npos ? pending_.size() > limits_.max_head : end > limits_.max_head)
                    return fail(Failure::head_too_large,
                                "request header larger than " + std::to_string(limits_.max_head) + " bytes");
                if (end == std::string::npos) return state_;
                bytes.remove_prefix(end - old_size);
                const std::string head = std::move(pending_);
                pending_.clear();
                if (parse_head(std::string_view(head).substr(0, end)) == State::failed) return state_;
                if (phase_ == Phase::done) return complete(bytes);
                break;
            }
            case Phase::body_length: {
                const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
                body_.append(bytes.substr(0, n));
                bytes.remove_prefix(n);
                remaining_ -= n;
                if (remaining_ == 0) return complete(bytes);
                break;
            }
            case Phase::chunked:
                switch (chunked_.feed(bytes, body_)) {
                    case ChunkedBody::State::complete:
                        return complete(bytes);
                    case ChunkedBody::State::failed:
                        return fail_chunked();
                    case ChunkedBody::State::need_more:
                        break;
                }
                break;
            case Phase::done:
                return state_;
        }
    }
    if (state_ == State::complete) leftover_.append(bytes);
    return state_;
}

RequestParser::State RequestParser::fail_chunked() {
    switch (chunked_.failure()) {
        case ChunkedBody::Failure::body_too_large:
            return fail(Failure::body_too_large,
                        "request body larger than " + std::to_string(limits_.max_body) + " bytes");
        case ChunkedBody::Failure::trailers_too_large:
            return fail(Failure::head_too_large,
                        "trailer larger than " + std::to_string(limits_.max_head) + " bytes");
        default:
            return fail(Failure::bad_request, chunked_.error());
    }
}

RequestParser::State RequestParser::parse_head(std::string_view head) {
    // "METHOD SP target SP HTTP/1.x"
    const std::string_view request_line = next_line(head);
    const std::size_t first_space = request_line.find(' ');
    const std::size_t last_space = request_line.rfind(' ');
    if (first_space == std::string_view::npos || first_space == last_space)
        return fail(Failure::bad_request, "malformed request line " + quoted(request_line));
    const std::string_view method = request_line.substr(0, first_space);
    const std::string_view target = request_line.substr(first_space + 1, last_space - first_space - 1);
    const std::string_view version = request_line.substr(last_space + 1);
    if (!is_token(method) || !is_target(target) || version.size() != 8 || !version.starts_with("HTTP/1.") ||
        version[7] < '0' || version[7] > '9')
        return fail(Failure::bad_request, "malformed request line " + quoted(request_line));

    for (std::string_view line = next_line(head); !line.empty(); line = next_line(head)) {
        // Obsolete line folding: RFC 9112 section 5.2 lets a server reject it, and we do.
        if (line.front() == ' ' || line.front() == '\t')
            return fail(Failure::bad_request, "folded header line " + quoted(line));
        const std::size_t colon = line.find(':');
        // No space before the colon either (section 5.1: a smuggling shape).
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
            return fail(Failure::bad_request, "malformed header line " + quoted(line));
        const std::string_view value = trim(line.substr(colon + 1));
        if (!is_field_value(value))
            return fail(Failure::bad_request, "malformed header line " + quoted(line));
        if (headers_.size() == limits_.max_headers)
            return fail(Failure::head_too_large,
                        "more than " + std::to_string(limits_.max_headers) + " headers");
        headers_.push_back({std::string(line.substr(0, colon)), std::string(value)});
    }
    method_ = method;
    target_ = target;
    minor_version_ = version[7] - '0';
    has_head_ = true;

    std::optional<std::uint64_t> content_length;
    bool has_transfer_encoding = false;
    bool chunked = false;
    for (const auto& [name, value] : headers_) {
        if (iequals(name, "content-length")) {
            const auto length = detail::parse_content_length(value);
            if (!length || (content_length && *content_length != *length))
                return fail(Failure::bad_request, "invalid or conflicting Content-Length " + quoted(value));
            content_length = length;
        } else if (iequals(name, "transfer-encoding")) {
            has_transfer_encoding = true;
            bool bad = false;
            for_each_item(value, [&](const std::string& coding) {
                if (coding != "chunked" || chunked) bad = true;
                chunked = true;
            });
            if (bad || !chunked)
                return fail(Failure::bad_request, "unsupported transfer coding " + quoted(value));
        }
    }
    if (has_transfer_encoding && (content_length || minor_version_ == 0))
        return fail(Failure::bad_request, "Transfer-Encoding with Content-Length or in HTTP/1.0");

    content_length_ = content_length;
    if (chunked) {
        phase_ = Phase::chunked;
    } else if (content_length && *content_length > 0) {
        if (*content_length > limits_.max_body)
            return fail(Failure::body_too_large,
                        "request body larger than " + std::to_string(limits_.max_body) + " bytes");
        remaining_ = *content_length;
        phase_ = Phase::body_length;
    } else {
        phase_ = Phase::done;  // a request without framing has no body (RFC 9112 section 6.3)
    }
    return state_;
}

}  // namespace bt::http
