// HTTP/1.x request parser on a keep-alive connection. Input: [split][stream]; the stream is fed in pieces of
// split + 1 bytes, and every complete request is taken and followed by next() (pipelining). Oracles: never
// crash or throw; each feed and next() returns state(); failed is final with a kind and a non-empty error
// without control characters; the body never exceeds max_body and the head fits max_head; a complete
// request has a method, a target and a 1.x version; the requests and the final state are the same whether
// the stream arrives piecewise or all at once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.hpp"

namespace {

using bt::http::RequestLimits;
using bt::http::RequestParser;
using State = RequestParser::State;

void check(bool ok) {
    if (!ok) std::abort();
}

RequestLimits small_limits() {
    RequestLimits limits;
    limits.max_head = 512;
    limits.max_body = 4096;
    limits.max_headers = 8;
    return limits;
}

struct Request {
    std::string method;
    std::string target;
    int minor_version;
    std::size_t headers;
    std::string body;
    bool operator==(const Request&) const = default;
};

struct Outcome {
    std::vector<Request> requests;
    State state;
    RequestParser::Failure failure;
    std::string error;
    bool operator==(const Outcome&) const = default;
};

void check_invariants(const RequestParser& parser, const RequestLimits& limits) {
    check(parser.body().size() <= limits.max_body);
    check(parser.headers().size() <= limits.max_headers);
    if (parser.state() == State::failed) {
        check(parser.failure() != RequestParser::Failure::none);
        check(!parser.error().empty());
        for (char c : parser.error()) {
            const auto b = static_cast<unsigned char>(c);
            check(b >= 0x20 && b != 0x7f);
        }
    } else {
        check(parser.failure() == RequestParser::Failure::none);
        check(parser.error().empty());
    }
    if (parser.state() == State::complete) {
        check(parser.has_head() && !parser.method().empty() && !parser.target().empty());
        check(parser.minor_version() >= 0 && parser.minor_version() <= 9);
    }
}

// Takes every complete request; returns with the parser needing more or failed.
void drain(RequestParser& parser, Outcome& out, const RequestLimits& limits) {
    while (parser.state() == State::complete) {
        out.requests.push_back({parser.method(), parser.target(), parser.minor_version(),
                                parser.headers().size(), parser.body()});
        check(parser.next() == parser.state());
        check_invariants(parser, limits);
    }
}

Outcome parse(std::string_view stream, std::size_t piece, const RequestLimits& limits) {
    RequestParser parser(limits);
    Outcome out;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        const bool was_failed = parser.state() == State::failed;
        const std::string error = parser.error();
        check(parser.feed(stream.substr(at, piece)) == parser.state());
        if (was_failed) check(parser.state() == State::failed && parser.error() == error);
        check_invariants(parser, limits);
        drain(parser, out, limits);
    }
    out.state = parser.state();
    out.failure = parser.failure();
    out.error = parser.error();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t piece = static_cast<std::size_t>(data[0]) + 1;
    const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
    const RequestLimits limits = small_limits();
    const Outcome piecewise = parse(stream, piece, limits);
    const Outcome whole = parse(stream, stream.size() + 1, limits);
    check(piecewise == whole);  // how the bytes arrive never changes the outcome
    return 0;
}
