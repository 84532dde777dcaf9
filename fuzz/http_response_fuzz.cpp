// HTTP/1.x response parser. Input: [split][stream]; the stream is fed in pieces of split + 1 bytes, then
// finish() is called. Oracles: never crash or throw; each feed returns state(); complete and failed are
// final (further feeds and finish() change nothing); after finish() the state is never need_more; the
// body never exceeds max_body; a complete response has a final status (200-599) and no body for 204 and
// 304; failed implies a non-empty error without control characters; the piecewise and the all-at-once
// parse agree, whatever the outcome.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/response_parser.hpp"

namespace {

using bt::http::ResponseLimits;
using bt::http::ResponseParser;
using State = ResponseParser::State;

void check(bool ok) {
    if (!ok) std::abort();
}

ResponseLimits small_limits() {
    ResponseLimits limits;
    limits.max_head = 512;
    limits.max_body = 4096;
    return limits;
}

void check_invariants(const ResponseParser& parser, const ResponseLimits& limits) {
    check(parser.body().size() <= limits.max_body);
    switch (parser.state()) {
        case State::complete:
            check(parser.status() >= 200 && parser.status() <= 599);
            if (parser.status() == 204 || parser.status() == 304) check(parser.body().empty());
            check(parser.error().empty());
            break;
        case State::failed:
            check(!parser.error().empty());
            for (char c : parser.error()) {
                const auto b = static_cast<unsigned char>(c);
                check(b >= 0x20 && b != 0x7f);
            }
            break;
        case State::need_more:
            check(parser.error().empty());
            check(parser.status() == 0 || (parser.status() >= 200 && parser.status() <= 599));
            break;
    }
}

struct Snapshot {
    State state;
    int status;
    std::string location;
    std::string body;
    std::string error;
    bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const ResponseParser& parser) {
    return {parser.state(), parser.status(), parser.location(), parser.body(), parser.error()};
}

// Feeds `stream` in pieces of `piece` bytes, then finish(); returns the final parser state.
Snapshot parse(std::string_view stream, std::size_t piece, const ResponseLimits& limits) {
    ResponseParser parser(limits);
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        const State before = parser.state();
        const Snapshot was = snapshot(parser);
        const State returned = parser.feed(stream.substr(at, piece));
        check(returned == parser.state());
        if (before != State::need_more) check(snapshot(parser) == was);  // complete and failed are final
        check_invariants(parser, limits);
    }
    const State before = parser.state();
    const Snapshot was = snapshot(parser);
    check(parser.finish() == parser.state());
    check(parser.state() != State::need_more);
    if (before != State::need_more) check(snapshot(parser) == was);
    check_invariants(parser, limits);
    // Nothing changes it any more.
    const Snapshot final = snapshot(parser);
    check(parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == final.state);
    check(parser.finish() == final.state);
    check(snapshot(parser) == final);
    return final;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t piece = static_cast<std::size_t>(data[0]) + 1;
    const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
    const ResponseLimits limits = small_limits();
    const Snapshot piecewise = parse(stream, piece, limits);
    const Snapshot whole = parse(stream, stream.size() + 1, limits);
    check(piecewise == whole);  // how the bytes arrive never changes the outcome
    return 0;
}
