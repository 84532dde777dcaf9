#include "http/response_parser.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include "http/header_text.hpp"

namespace bt::http {

using detail::end_of_head;
using detail::for_each_item;
using detail::is_token;
using detail::lower;
using detail::next_line;
using detail::parse_decimal;
using detail::quoted;
using detail::trim;

ResponseParser::ResponseParser(ResponseLimits limits)
    : limits_(limits), chunked_(limits.max_body, limits.max_head) {}

ResponseParser::State ResponseParser::fail(std::string why) {
    error_ = std::move(why);
    body_.clear();
    pending_.clear();
    state_ = State::failed;
    return state_;
}

ResponseParser::State ResponseParser::complete() {
    pending_.clear();
    state_ = State::complete;
    return state_;
}

ResponseParser::State ResponseParser::feed(std::string_view bytes) {
    std::string carry;  // bytes that followed a head, parsed next
    while (state_ == State::need_more && (!bytes.empty() || phase_ == Phase::head_ready)) {
        switch (phase_) {
            case Phase::head: {
                const std::size_t searched = pending_.size() >= 2 ? pending_.size() - 2 : 0;
                pending_.append(bytes);
                bytes = {};
                const std::size_t end = end_of_head(pending_, searched);
                if (end == std::string::npos ? pending_.size() > limits_.max_head : end > limits_.max_head)
                    return fail("response header larger than " + std::to_string(limits_.max_head) + " bytes");
                if (end == std::string::npos) return state_;
                carry = pending_.substr(end);
                pending_.resize(end);
                phase_ = Phase::head_ready;
                break;
            }
            case Phase::head_ready: {
                const std::string head = std::move(pending_);
                pending_.clear();
                bytes = carry;
                if (parse_head(head) == State::failed) return state_;
                break;
            }
            case Phase::body_length: {
                const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
                body_.append(bytes.substr(0, n));
                bytes = {};
                remaining_ -= n;
                if (remaining_ == 0) return complete();
                break;
            }
            case Phase::body_until_close:
                if (!append_body(bytes)) return state_;
                bytes = {};
                break;
            case Phase::chunked:
                switch (chunked_.feed(bytes, body_)) {
                    case ChunkedBody::State::complete:
                        return complete();
                    case ChunkedBody::State::failed:
                        return fail_chunked();
                    case ChunkedBody::State::need_more:
                        break;
                }
                break;
        }
    }
    return state_;
}

ResponseParser::State ResponseParser::finish() {
    if (state_ != State::need_more) return state_;
    if (phase_ == Phase::body_until_close) return complete();
    if (phase_ == Phase::head && pending_.empty()) return fail("connection closed without a response");
    if (phase_ == Phase::head) return fail("connection closed in the middle of the response header");
    return fail("connection closed before the whole body arrived");
}

ResponseParser::State ResponseParser::fail_chunked() {
    switch (chunked_.failure()) {
        case ChunkedBody::Failure::body_too_large:
            return too_large();
        case ChunkedBody::Failure::trailers_too_large:
            return fail("trailer larger than " + std::to_string(limits_.max_head) + " bytes");
        default:
            return fail(chunked_.error());
    }
}

ResponseParser::State ResponseParser::too_large() {
    return fail("response larger than " + std::to_string(limits_.max_body) + " bytes");
}

bool ResponseParser::append_body(std::string_view bytes) {
    if (bytes.size() > limits_.max_body - body_.size()) {
        too_large();
        return false;
    }
    body_.append(bytes);
    return true;
}

ResponseParser::State ResponseParser::parse_head(std::string_view head) {
    const std::string_view status_line = next_line(head);
    // "HTTP/1.x NNN[ reason]"
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") ||
        !std::isdigit(static_cast<unsigned char>(status_line[7])) || status_line[8] != ' ' ||
        (status_line.size() > 12 && status_line[12] != ' '))
        return fail("not an HTTP/1.x response (" + quoted(status_line) + ")");
    const auto status = parse_decimal(status_line.substr(9, 3));
    if (!status || *status < 100 || *status > 599)
        return fail("not an HTTP/1.x response (" + quoted(status_line) + ")");

    // Name (lower case) and value of each header; a line that starts with a space or tab continues the
    // previous header's value (obsolete line folding, which RFC 9112 section 5.2 has clients unfold).
    std::vector<std::pair<std::string, std::string>> headers;
    for (std::string_view line = next_line(head); !line.empty(); line = next_line(head)) {
        if (line.front() == ' ' || line.front() == '\t') {
            if (headers.empty()) return fail("malformed header line " + quoted(line));
            headers.back().second += ' ';
            headers.back().second += trim(line);
            continue;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
            return fail("malformed header line " + quoted(line));
        headers.emplace_back(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
    }

    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    std::string location;
    for (const auto& [name, value] : headers) {
        if (name == "content-length") {
            const auto length = detail::parse_content_length(value);
            if (!length || (content_length && *content_length != *length))
                return fail("invalid or conflicting Content-Length " + quoted(value));
            content_length = length;
        } else if (name == "transfer-encoding") {
            std::string unsupported;
            for_each_item(value, [&](const std::string& coding) {
                if (coding == "chunked" && !chunked) {
                    chunked = true;
                } else if (coding != "identity" && unsupported.empty()) {
                    unsupported = coding == "chunked" ? "chunked twice" : coding;
                }
            });
            if (!unsupported.empty()) return fail("unsupported transfer coding " + quoted(unsupported));
        } else if (name == "content-encoding") {
            std::string unsupported;
            for_each_item(value, [&](const std::string& coding) {
                if (coding != "identity" && unsupported.empty()) unsupported = coding;
            });
            if (!unsupported.empty())
                return fail("unsupported content coding " + quoted(unsupported) + " (none was asked for)");
        } else if (name == "location") {
            location = value;
        }
    }

    if (*status < 200) {
        if (*status == 101) return fail("the server switched protocols (101)");
        phase_ = Phase::head;  // an interim response: the real one follows
        return state_;
    }
    status_ = static_cast<int>(*status);
    location_ = std::move(location);
    headers_ = std::move(headers);
    if (status_ == 204 || status_ == 304) return complete();
    if (chunked) {
        phase_ = Phase::chunked;
    } else if (content_length) {
        if (*content_length > limits_.max_body) return too_large();
        if (*content_length == 0) return complete();
        body_.reserve(static_cast<std::size_t>(*content_length));
        remaining_ = *content_length;
        phase_ = Phase::body_length;
    } else {
        phase_ = Phase::body_until_close;
    }
    return state_;
}

std::string ResponseParser::header(std::string_view name) const {
    const std::string wanted = lower(name);
    for (const auto& [key, value] : headers_)
        if (key == wanted) return value;
    return {};
}

}  // namespace bt::http
