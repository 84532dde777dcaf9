#include "http/response_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace bt::http {
namespace {

using State = ResponseParser::State;

struct Outcome {
    State state = State::need_more;
    int status = 0;
    std::string location;
    std::string body;
    std::string error;
    friend bool operator==(const Outcome&, const Outcome&) = default;
};

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
    const char* state = o.state == State::complete ? "complete"
                        : o.state == State::failed ? "failed"
                                                   : "need_more";
    return out << "{" << state << ", status " << o.status << ", location \"" << o.location << "\", body \""
               << o.body << "\", error \"" << o.error << "\"}";
}

Outcome outcome_of(const ResponseParser& parser) {
    return {parser.state(), parser.status(), parser.location(), parser.body(), parser.error()};
}

// Feeds `input` in pieces of `piece` bytes (all at once when 0), checking that each feed returns the state,
// then calls finish() when asked.
Outcome run(std::string_view input, std::size_t piece = 0, bool finish = false, ResponseLimits limits = {}) {
    ResponseParser parser(limits);
    if (piece == 0) piece = std::max<std::size_t>(input.size(), 1);
    for (std::size_t at = 0; at < input.size(); at += piece) {
        const State returned = parser.feed(input.substr(at, piece));
        EXPECT_EQ(returned, parser.state());
    }
    if (finish) {
        const State returned = parser.finish();
        EXPECT_EQ(returned, parser.state());
    }
    return outcome_of(parser);
}

bool has_control_characters(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7f;
    });
}

// A failure: a non-empty, single readable line.
void expect_failed(const Outcome& o, std::string_view input) {
    EXPECT_EQ(o.state, State::failed) << o << " for input: " << input;
    EXPECT_FALSE(o.error.empty()) << input;
    EXPECT_FALSE(has_control_characters(o.error)) << o.error;
    EXPECT_LE(o.error.size(), 1024u) << o.error;
}

// Fails whether fed at once or byte by byte, and whether or not finish() follows.
void expect_fails_always(std::string_view input, ResponseLimits limits = {}) {
    expect_failed(run(input, 0, false, limits), input);
    expect_failed(run(input, 0, true, limits), input);
    expect_failed(run(input, 1, true, limits), input);
}

// Fails by the end of the stream at the latest, whether fed at once or byte by byte.
void expect_fails_by_the_end(std::string_view input, ResponseLimits limits = {}) {
    expect_failed(run(input, 0, true, limits), input);
    expect_failed(run(input, 1, true, limits), input);
}

Outcome complete(int status, std::string body, std::string location = {}) {
    return {State::complete, status, std::move(location), std::move(body), {}};
}

const std::string kContentLength =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
const std::string kChunked =
    "HTTP/1.1 200 OK\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;name=value\r\n"
    "hello\r\n"
    "6 ; a=\"quoted ; string\";b\r\n"
    " world\r\n"
    "A\r\n"
    "0123456789\r\n"
    "00000001\r\n"
    "!\r\n"
    "0;last=1\r\n"
    "X-Trailer: one\r\n"
    "Content-Length: 999\r\n"
    "\r\n";
const std::string kChunkedBody = "hello world0123456789!";
const std::string kContinueThen200 =
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const std::string kRedirect =
    "HTTP/1.1 302 Found\r\nLocation: http://t.example/new?a=1\r\nContent-Length: 9\r\n\r\nmoved on.";

// ---- framing ----

TEST(ResponseParser, ContentLengthBody) {
    EXPECT_EQ(run(kContentLength), complete(200, "hello"));
}

TEST(ResponseParser, HeadersOfTheFinalResponseByNameInAnyCase) {
    ResponseParser parser;
    parser.feed(kContinueThen200);
    EXPECT_EQ(parser.header("content-length"), "2");
    EXPECT_EQ(parser.header("LINK"), "");  // the interim response's
    ResponseParser conflict;
    conflict.feed("HTTP/1.1 409 Conflict\r\nX-Transmission-Session-Id: abc123\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(conflict.header("x-transmission-session-id"), "abc123");
    EXPECT_EQ(conflict.header("X-Missing"), "");
}

TEST(ResponseParser, ZeroContentLengthCompletesAtTheEndOfTheHead) {
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), complete(200, ""));
}

TEST(ResponseParser, NeedsMoreUntilTheLastByteOfTheBody) {
    ResponseParser parser;
    EXPECT_EQ(parser.state(), State::need_more);
    EXPECT_EQ(parser.status(), 0);
    EXPECT_EQ(parser.feed("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n"), State::need_more);
    EXPECT_EQ(parser.feed("\r\nhell"), State::need_more);
    EXPECT_EQ(parser.status(), 404);  // the head is parsed
    EXPECT_EQ(parser.feed(""), State::need_more);
    EXPECT_EQ(parser.feed("o"), State::complete);
    EXPECT_EQ(parser.body(), "hello");
    EXPECT_EQ(parser.status(), 404);
    EXPECT_TRUE(parser.error().empty());
}

TEST(ResponseParser, AcceptsContentLengthWithSurroundingSpacesAndLeadingZeros) {
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length:   5  \r\n\r\nhello"), complete(200, "hello"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length:\t5\t\r\n\r\nhello"), complete(200, "hello"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 005\r\n\r\nhello"), complete(200, "hello"));
}

TEST(ResponseParser, ChunkedWithExtensionsAndTrailers) {
    EXPECT_EQ(run(kChunked), complete(200, kChunkedBody));
}

TEST(ResponseParser, ChunkedWithoutTrailers) {
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
              complete(200, "abc"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), complete(200, ""));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\nB\r\nHELLO "
                  "WORLD\r\n0\r\n\r\n"),
              complete(200, "hello worldHELLO WORLD"));
}

TEST(ResponseParser, ChunkedIsRecognisedWhateverItsCase) {
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
              complete(200, "abc"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
              complete(200, "abc"));
}

TEST(ResponseParser, ChunkedWinsOverContentLength) {
    // RFC 9112 6.3: Transfer-Encoding overrides Content-Length, in either order.
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: "
                  "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
              complete(200, "hello"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: "
                  "100\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
              complete(200, "hello"));
}

TEST(ResponseParser, CloseDelimitedBodyCompletesAtFinish) {
    ResponseParser parser;
    EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc"), State::need_more);
    EXPECT_EQ(parser.status(), 200);
    EXPECT_EQ(parser.feed("def"), State::need_more);
    EXPECT_EQ(parser.finish(), State::complete);
    EXPECT_EQ(outcome_of(parser), complete(200, "abcdef"));
}

TEST(ResponseParser, CloseDelimitedEmptyBody) {
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\n\r\n", 0, false).state, State::need_more);
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\n\r\n", 0, true), complete(200, ""));
    EXPECT_EQ(run("HTTP/1.1 500 Internal Server Error\r\nServer: x\r\n\r\noops", 1, true),
              complete(500, "oops"));
}

TEST(ResponseParser, SameOutcomeWhateverTheSplit) {
    struct Case {
        std::string input;
        bool finish;
        Outcome expected;
    };
    const Case cases[] = {
        {kContentLength, false, complete(200, "hello")},
        {kChunked, false, complete(200, kChunkedBody)},
        {kContinueThen200, false, complete(200, "ok")},
        {kRedirect, false, complete(302, "moved on.", "http://t.example/new?a=1")},
        {"HTTP/1.1 200 OK\r\nX: y\r\n\r\nuntil the end", true, complete(200, "until the end")},
        {"HTTP/1.1 204 No Content\r\nX: y\r\n\r\n", false, complete(204, "")},
    };
    for (const auto& c : cases) {
        for (std::size_t piece = 1; piece <= c.input.size(); ++piece) {
            EXPECT_EQ(run(c.input, piece, c.finish), c.expected) << "pieces of " << piece << ": " << c.input;
        }
        for (std::size_t split = 0; split <= c.input.size(); ++split) {
            ResponseParser parser;
            const State first = parser.feed(std::string_view(c.input).substr(0, split));
            EXPECT_EQ(first, parser.state());
            const State second = parser.feed(std::string_view(c.input).substr(split));
            EXPECT_EQ(second, parser.state());
            if (c.finish) parser.finish();
            EXPECT_EQ(outcome_of(parser), c.expected) << "split at " << split << ": " << c.input;
        }
    }
}

// ---- end of stream ----

TEST(ResponseParser, FinishBeforeTheContentLengthBodyIsCompleteFails) {
    ResponseParser parser;
    parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
    EXPECT_EQ(parser.finish(), State::failed);
    expect_failed(outcome_of(parser), "truncated body");
    EXPECT_NE(parser.error().find("connection closed"), std::string::npos) << parser.error();
}

TEST(ResponseParser, FinishBeforeTheResponseIsCompleteFails) {
    for (const std::string& input : {
             std::string(),
             std::string("HTTP/1.1 2"),
             std::string("HTTP/1.1 200 OK\r\n"),
             std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r"),
             std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
             std::string("HTTP/1.1 100 Continue\r\n\r\n"),
             std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
             std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"),
             std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
             std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"),
             std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n"),
         }) {
        const Outcome o = run(input, 0, true);
        expect_failed(o, input);
        EXPECT_NE(o.error.find("connection closed"), std::string::npos) << o.error << " for: " << input;
    }
}

TEST(ResponseParser, FinishAfterACompleteResponseChangesNothing) {
    ResponseParser parser;
    parser.feed(kContentLength);
    EXPECT_EQ(parser.finish(), State::complete);
    EXPECT_EQ(parser.finish(), State::complete);
    EXPECT_EQ(outcome_of(parser), complete(200, "hello"));
}

// ---- interim and bodiless responses ----

TEST(ResponseParser, SkipsInterimResponses) {
    EXPECT_EQ(run(kContinueThen200), complete(200, "ok"));
    EXPECT_EQ(
        run("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest", 0, true),
        complete(200, "rest"));
}

TEST(ResponseParser, AnInterimResponseIsNotTheStatus) {
    ResponseParser parser;
    EXPECT_EQ(parser.feed("HTTP/1.1 100 Continue\r\n\r\n"), State::need_more);
    EXPECT_EQ(parser.status(), 0);
    EXPECT_EQ(parser.feed("HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n"), State::need_more);
    EXPECT_EQ(parser.status(), 201);
    EXPECT_EQ(parser.feed("x"), State::complete);
}

TEST(ResponseParser, TheLocationOfAnInterimResponseIsNotKept) {
    EXPECT_EQ(run("HTTP/1.1 103 Early Hints\r\nLocation: /hint\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
                  "0\r\n\r\n"),
              complete(200, ""));
}

TEST(ResponseParser, SwitchingProtocolsWasNotAskedFor) {
    // RFC 9110 15.2.2: a server switches only to a protocol the request's Upgrade named; we send none.
    expect_fails_always(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\nHTTP/1.1 200 OK\r\n"
        "Content-Length: 2\r\n\r\nok");
}

TEST(ResponseParser, NoBodyFor204And304WhateverTheHeadersSay) {
    EXPECT_EQ(run("HTTP/1.1 204 No Content\r\n\r\n"), complete(204, ""));
    EXPECT_EQ(run("HTTP/1.1 304 Not Modified\r\n\r\n"), complete(304, ""));
    EXPECT_EQ(run("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"), complete(304, ""));
    EXPECT_EQ(run("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"), complete(204, ""));
    EXPECT_EQ(run("HTTP/1.0 204 No Content\r\n\r\n"), complete(204, ""));
    EXPECT_EQ(run("HTTP/1.1 204 No Content\r\n\r\n", 1), complete(204, ""));
}

// ---- headers ----

TEST(ResponseParser, CapturesLocationOnRedirects) {
    EXPECT_EQ(
        run("HTTP/1.1 301 Moved Permanently\r\nLocation: http://t.example/a\r\nContent-Length: 0\r\n\r\n"),
        complete(301, "", "http://t.example/a"));
    EXPECT_EQ(run(kRedirect), complete(302, "moved on.", "http://t.example/new?a=1"));
    EXPECT_EQ(
        run("HTTP/1.1 307 Temporary Redirect\r\nlocation:/relative/path?x=1\r\nContent-Length: 0\r\n\r\n"),
        complete(307, "", "/relative/path?x=1"));
    EXPECT_EQ(run("HTTP/1.1 308 Permanent Redirect\r\nLOCATION: \t ../up \t\r\n\r\n", 0, true),
              complete(308, "", "../up"));
    EXPECT_EQ(run("HTTP/1.1 302 Found\r\nLocation: /a\r\n\r\n", 3, true), complete(302, "", "/a"));
}

TEST(ResponseParser, LocationIsEmptyWhenAbsent) {
    const Outcome o = run(kContentLength);
    EXPECT_TRUE(o.location.empty());
    EXPECT_EQ(run("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"), complete(302, ""));
}

TEST(ResponseParser, HeaderNamesAreCaseInsensitive) {
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabcdef"), complete(200, "abc"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 3\r\n\r\nabcdef"), complete(200, "abc"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: 3\r\n\r\nabcdef"), complete(200, "abc"));
    expect_fails_always("HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\nContent-Length: 3\r\n\r\nabc");
    expect_fails_always("HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip\r\n\r\nabc");
}

TEST(ResponseParser, IgnoresOtherHeaders) {
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nServer: x\r\nSet-Cookie: a=b; path=/\r\nX-Empty:\r\nX-Colon: a:b:c\r\n"
                  "Content-Length: 2\r\n\r\nok"),
              complete(200, "ok"));
}

// ---- limits ----

TEST(ResponseParser, BodyOverTheLimitFailsNamingTheLimit) {
    ResponseLimits limits;
    limits.max_body = 10;
    const std::string cases[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789a",
        "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789abcdef",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
        "chunked\r\n\r\n4\r\n0123\r\n4\r\n4567\r\n4\r\n89ab\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n0123456789a\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\n0123456789a",
    };
    for (const auto& input : cases) {
        for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
            // Fails as soon as the body is too large, without waiting for the end of the stream.
            const Outcome o = run(input, piece, false, limits);
            expect_failed(o, input);
            EXPECT_EQ(o.error, "response larger than 10 bytes") << input;
            EXPECT_LE(o.body.size(), limits.max_body) << input;
            EXPECT_EQ(run(input, piece, true, limits).error, "response larger than 10 bytes") << input;
        }
    }
}

TEST(ResponseParser, BodyOfExactlyTheLimitIsFine) {
    ResponseLimits limits;
    limits.max_body = 10;
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 0, false, limits),
              complete(200, "0123456789"));
    EXPECT_EQ(
        run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", 1,
            false, limits),
        complete(200, "0123456789"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\n\r\n0123456789", 1, true, limits), complete(200, "0123456789"));
}

TEST(ResponseParser, DefaultBodyLimitIsNamedInTheError) {
    const std::string input =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(ResponseLimits{}.max_body + 1) + "\r\n\r\n" +
        std::string(ResponseLimits{}.max_body + 1, 'x');
    const Outcome o = run(input);
    expect_failed(o, "a body one byte over the default limit");
    EXPECT_EQ(o.error, "response larger than " + std::to_string(ResponseLimits{}.max_body) + " bytes");
}

TEST(ResponseParser, HugeContentLengthFails) {
    // The largest 64-bit value, then values that overflow 64 bits (which must not wrap to a small length).
    expect_fails_by_the_end("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nabc");
    expect_fails_by_the_end("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\nabc");
    expect_fails_by_the_end("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551619\r\n\r\nabc");
    expect_fails_by_the_end("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999999999\r\n\r\nabc");
}

TEST(ResponseParser, HeadOverTheLimitFails) {
    ResponseLimits limits;
    limits.max_head = 64;
    // A head that never ends: fails once it outgrows the limit, whatever the pieces.
    const std::string endless = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(200, 'a');
    for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{10}}) {
        const Outcome o = run(endless, piece, false, limits);
        expect_failed(o, endless);
    }
    // Many short header lines.
    std::string many = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 20; ++i) many += "X: y\r\n";
    expect_failed(run(many, 1, false, limits), many);
    expect_failed(run(many + "\r\n", 0, false, limits), many);
    // An endless status line.
    expect_failed(run("HTTP/1.1 200 " + std::string(200, 'k'), 1, false, limits), "endless status line");
}

TEST(ResponseParser, HeadLimitIsPerResponse) {
    ResponseLimits limits;
    limits.max_head = 64;
    const std::string interim = "HTTP/1.1 100 Continue\r\nX-A: 0123456789\r\n\r\n";  // a 42-byte head
    const std::string final =
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-B: 01234\r\n\r\nok";  // a 50-byte head
    ASSERT_LT(interim.size(), limits.max_head);
    ASSERT_LT(final.size(), limits.max_head);
    EXPECT_EQ(run(interim + final, 0, false, limits), complete(200, "ok"));
    EXPECT_EQ(run(interim + interim + final, 1, false, limits), complete(200, "ok"));
}

TEST(ResponseParser, HeadLimitDoesNotCountTheBodyReadWithIt) {
    // A read usually holds the head and the start of the body: only the head counts against max_head.
    ResponseLimits limits;
    limits.max_head = 64;
    const std::string body(5000, 'b');
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + body, 0, false, limits),
              complete(200, body));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\n\r\n" + body, 0, true, limits), complete(200, body));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n" + body + "\r\n0\r\n\r\n", 0,
                  false, limits),
              complete(200, body));
}

TEST(ResponseParser, EndlessChunkLinesFail) {
    // Memory stays bounded: a chunk-size line or a trailer section that never ends cannot be buffered.
    ResponseLimits limits;
    limits.max_head = 512;
    limits.max_body = 4096;
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string endless_extension = head + "5;ext=" + std::string(64 * 1024, 'e');
    expect_failed(run(endless_extension, 1, false, limits), "endless chunk extension");
    expect_failed(run(endless_extension, 1000, false, limits), "endless chunk extension");
    std::string endless_trailers = head + "0\r\n";
    while (endless_trailers.size() < 64 * 1024) endless_trailers += "X-Trailer: 0123456789\r\n";
    expect_failed(run(endless_trailers, 1, false, limits), "endless trailers");
    expect_failed(run(endless_trailers, 1000, false, limits), "endless trailers");
}

// ---- malformed input ----

TEST(ResponseParser, MalformedStatusLinesFail) {
    for (const char* status_line : {
             "HTTP/1.1200 OK",
             "HTTP/1.1 20 OK",
             "HTTP/1.1 2000 OK",
             "HTTP/1.1 abc OK",
             "HTTP/1.1 2x0 OK",
             "HTTP/1.1 -20 OK",
             "HTTP/1.1 +20 OK",
             "HTTP/1.1 099 Low",
             "HTTP/1.1 600 High",
             "HTTP/1.1 999 High",
             "HTTP/1.1",
             "HTTP/1.1 ",
             "HTTP/2 200",
             "HTTP/2.0 200 OK",
             "HTTP/3 200",
             "HTTP/1 200 OK",
             "HTTP/1. 200 OK",
             "HTTP/x.1 200 OK",
             "HTTP 200 OK",
             "FOO/1.1 200 OK",
             "ICY 200 OK",
             "200 OK",
             "",
             "<html><body>not http</body></html>",
             " HTTP/1.1 200 OK",
         }) {
        const std::string input = std::string(status_line) + "\r\nContent-Length: 2\r\n\r\nok";
        expect_fails_always(input);
    }
}

TEST(ResponseParser, AcceptsStatusLinesWithAnyOrNoReasonPhrase) {
    EXPECT_EQ(run("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"), complete(200, "ok"));
    EXPECT_EQ(run("HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok"), complete(200, "ok"));
    EXPECT_EQ(run("HTTP/1.1 404 Not Found Here At All\r\nContent-Length: 2\r\n\r\nno"), complete(404, "no"));
    EXPECT_EQ(run("HTTP/1.1 200 \xc3\x89tat\r\nContent-Length: 2\r\n\r\nok"), complete(200, "ok"));
    EXPECT_EQ(run("HTTP/1.1 599 x\r\nContent-Length: 0\r\n\r\n"), complete(599, ""));
}

TEST(ResponseParser, MalformedHeadersFail) {
    expect_fails_always("HTTP/1.1 200 OK\r\nthis line has no colon\r\nContent-Length: 2\r\n\r\nok");
    expect_fails_always("HTTP/1.1 200 OK\r\n: no name\r\nContent-Length: 2\r\n\r\nok");
}

TEST(ResponseParser, BadContentLengthFails) {
    for (const char* value : {"abc", "-1", "5x", "x5", "", "0x5", "5 5", "5.0", "1e3", "5, 6"}) {
        const std::string input =
            std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + value + "\r\n\r\nhello";
        expect_fails_always(input);
    }
}

TEST(ResponseParser, ConflictingContentLengthsFail) {
    expect_fails_always("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
    expect_fails_always("HTTP/1.1 200 OK\r\nContent-Length: 6\r\ncontent-length: 5\r\n\r\nhello!");
}

TEST(ResponseParser, MalformedChunksFail) {
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const std::string& chunks : {
             std::string("zz\r\nhello\r\n0\r\n\r\n"),
             std::string("-5\r\nhello\r\n0\r\n\r\n"),
             std::string("\r\nhello\r\n0\r\n\r\n"),
             std::string(";ext\r\nhello\r\n0\r\n\r\n"),
             std::string("5\r\nhelloXX0\r\n\r\n"),  // no CRLF after the data
             std::string("5\r\nhello\r0\r\n\r\n"),
             // Sizes that overflow 64 bits.
             std::string("10000000000000000\r\nhello\r\n0\r\n\r\n"),
             std::string("fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
             std::string("000000000000000000000000000000010000000000000000\r\nhello\r\n0\r\n\r\n"),
             // Fits in 64 bits, but far more than the body limit.
             std::string("ffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
         }) {
        expect_fails_by_the_end(head + chunks);
    }
}

TEST(ResponseParser, CodingsWeDidNotAskForFail) {
    for (const char* headers : {
             "Transfer-Encoding: gzip\r\n",
             "Transfer-Encoding: deflate\r\n",
             "Transfer-Encoding: gzip, chunked\r\n",
             "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
             "Transfer-Encoding: chunked, gzip\r\n",
             "Transfer-Encoding: x-unknown\r\n",
             "Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n",
             "Content-Encoding: gzip\r\nContent-Length: 5\r\n",
             "Content-Encoding: br\r\nContent-Length: 5\r\n",
             "Content-Encoding: deflate\r\n",
             "Content-Encoding: GZIP\r\n",
         }) {
        const std::string input =
            std::string("HTTP/1.1 200 OK\r\n") + headers + "\r\n5\r\nhello\r\n0\r\n\r\n";
        expect_fails_always(input);
    }
}

TEST(ResponseParser, ErrorsCarryNoControlCharacters) {
    using namespace std::string_literals;
    for (const std::string& input : {
             "HTTP/1.1 2\x1b[31m0 OK\r\n\r\n"s,
             "HTTP/1.1 200 OK\r\nContent-Length: 5\x1b]0;title\x07\r\n\r\nhello"s,
             "HTTP/1.1 200 OK\r\nContent-Length: \x00\x01\x02\r\n\r\nhello"s,
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: gz\x7fip\r\n\r\nhello"s,
             "HTTP/1.1 200 OK\r\nContent-Encoding: \x1b[2J\r\n\r\nhello"s,
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\x1b[2J\r\nhello\r\n0\r\n\r\n"s,
             "\x00\x01\x02\x03\r\n\r\n"s,
             "HTTP/1.1 \t00 OK\r\n\r\n"s,
         }) {
        expect_fails_always(input);
    }
}

// ---- after the end ----

TEST(ResponseParser, IgnoresBytesAfterACompleteResponse) {
    ResponseParser parser;
    EXPECT_EQ(parser.feed(kContentLength + "HTTP/1.1 500 Oops\r\nContent-Length: 1\r\n\r\nx"),
              State::complete);
    EXPECT_EQ(parser.feed("more garbage \x1b\r\n\r\n"), State::complete);
    EXPECT_EQ(parser.finish(), State::complete);
    EXPECT_EQ(outcome_of(parser), complete(200, "hello"));

    ResponseParser chunked;
    EXPECT_EQ(chunked.feed(kChunked + "5\r\nextra\r\n"), State::complete);
    EXPECT_EQ(chunked.feed("0\r\n\r\n"), State::complete);
    EXPECT_EQ(outcome_of(chunked), complete(200, kChunkedBody));

    ResponseParser no_content;
    EXPECT_EQ(no_content.feed("HTTP/1.1 204 No Content\r\n\r\nstray"), State::complete);
    EXPECT_EQ(no_content.feed("more"), State::complete);
    EXPECT_EQ(outcome_of(no_content), complete(204, ""));
}

TEST(ResponseParser, StaysFailed) {
    ResponseParser parser;
    EXPECT_EQ(parser.feed("HTTP/2 200\r\n\r\n"), State::failed);
    const std::string error = parser.error();
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(parser.feed(kContentLength), State::failed);
    EXPECT_EQ(parser.finish(), State::failed);
    EXPECT_EQ(parser.feed("x"), State::failed);
    EXPECT_EQ(parser.state(), State::failed);
    EXPECT_EQ(parser.error(), error);
    EXPECT_TRUE(parser.body().empty());
}

TEST(ResponseParser, StaysFailedAfterFinish) {
    ResponseParser parser;
    parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_EQ(parser.finish(), State::failed);
    const std::string error = parser.error();
    EXPECT_EQ(parser.feed("defghij"), State::failed);
    EXPECT_EQ(parser.finish(), State::failed);
    EXPECT_EQ(parser.error(), error);
}

// ---- versions and leniency ----

TEST(ResponseParser, Http10) {
    EXPECT_EQ(run("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"), complete(200, "abc"));
    EXPECT_EQ(run("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil close", 1, true),
              complete(200, "until close"));
    EXPECT_EQ(run("HTTP/1.0 302 Found\r\nLocation: /b\r\n\r\n", 0, true), complete(302, "", "/b"));
}

TEST(ResponseParser, AcceptsLfOnlyLineEndsInTheHead) {
    EXPECT_EQ(run("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"), complete(200, "ok"));
    EXPECT_EQ(run("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 1), complete(200, "ok"));
    EXPECT_EQ(run("HTTP/1.1 302 Found\nLocation: /x\nContent-Length: 0\n\n"), complete(302, "", "/x"));
    EXPECT_EQ(run("HTTP/1.0 200 OK\n\nbody", 1, true), complete(200, "body"));
    // Mixed: RFC 9112 2.2 lets a recipient take a lone LF as a line end.
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok"), complete(200, "ok"));
    EXPECT_EQ(run("HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok", 1),
              complete(200, "ok"));
}

TEST(ResponseParser, AcceptsObsoleteLineFolding) {
    // RFC 9112 5.2: a user agent MUST replace an obs-fold in a response with SP (curl does too).
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nX-Folded: first\r\n second\r\n\tthird\r\nContent-Length: 2\r\n\r\nok"),
              complete(200, "ok"));
}

TEST(ResponseParser, AcceptsLfOnlyLineEndsInChunkedBodies) {
    // As curl does: chunk-size lines, the line end after the data and the trailer section may end in LF.
    const std::string input =
        "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n6;x=y\n world\n0\nX-T: 1\n\n";
    EXPECT_EQ(run(input), complete(200, "hello world"));
    EXPECT_EQ(run(input, 1), complete(200, "hello world"));
}

// ---- the body ----

TEST(ResponseParser, TakeBodyMovesTheBodyOut) {
    ResponseParser parser;
    ASSERT_EQ(parser.feed(kChunked), State::complete);
    EXPECT_EQ(parser.take_body(), kChunkedBody);
    EXPECT_EQ(parser.state(), State::complete);
    EXPECT_EQ(parser.status(), 200);
}

TEST(ResponseParser, KeepsBinaryBodies) {
    const std::string body("\0\r\n\xff\x00 d8:intervali1800ee", 24);
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\n" + body, 1), complete(200, body));
    EXPECT_EQ(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n18\r\n" + body + "\r\n0\r\n\r\n", 1),
              complete(200, body));
}

}  // namespace
}  // namespace bt::http
