#include "http/request_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace bt::http {
namespace {

using State = RequestParser::State;
using Failure = RequestParser::Failure;

// Feeds `input` in pieces of `piece` bytes (all at once when 0), checking that each feed returns the state.
RequestParser parse(std::string_view input, std::size_t piece = 0, RequestLimits limits = {}) {
    RequestParser parser(limits);
    if (piece == 0) piece = std::max<std::size_t>(input.size(), 1);
    for (std::size_t at = 0; at < input.size(); at += piece) {
        const State returned = parser.feed(input.substr(at, piece));
        EXPECT_EQ(returned, parser.state());
    }
    return parser;
}

constexpr std::string_view kRpcPost =
    "POST /transmission/rpc/ HTTP/1.1\r\n"
    "Host: localhost:9091\r\n"
    "X-Transmission-Session-Id: abc\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "Content-Length: 26\r\n"
    "\r\n"
    "{\"method\":\"session-get\"}\r\n";

TEST(RequestParser, ParsesAPostWithAContentLengthBody) {
    const RequestParser parser = parse(kRpcPost);
    ASSERT_EQ(parser.state(), State::complete) << parser.error();
    EXPECT_EQ(parser.method(), "POST");
    EXPECT_EQ(parser.target(), "/transmission/rpc/");
    EXPECT_EQ(parser.minor_version(), 1);
    EXPECT_EQ(parser.body(), "{\"method\":\"session-get\"}\r\n");
    EXPECT_EQ(parser.headers().size(), 4u);
    EXPECT_EQ(parser.header("x-transmission-session-id"), "abc");
    EXPECT_EQ(parser.header("HOST"), "localhost:9091");
    EXPECT_FALSE(parser.header("origin"));
    EXPECT_TRUE(parser.keep_alive());
    EXPECT_EQ(parser.failure(), Failure::none);
}

TEST(RequestParser, SameResultWhateverTheSplit) {
    for (std::size_t piece = 1; piece <= kRpcPost.size(); ++piece) {
        const RequestParser parser = parse(kRpcPost, piece);
        ASSERT_EQ(parser.state(), State::complete) << piece;
        EXPECT_EQ(parser.body(), "{\"method\":\"session-get\"}\r\n") << piece;
        EXPECT_EQ(parser.leftover_size(), 0u) << piece;
    }
}

TEST(RequestParser, TruncationNeverCompletes) {
    for (std::size_t n = 0; n < kRpcPost.size(); ++n) {
        EXPECT_EQ(parse(kRpcPost.substr(0, n)).state(), State::need_more) << n;
    }
}

TEST(RequestParser, AGetWithoutBodyCompletesAtTheEndOfTheHead) {
    const RequestParser parser = parse("GET /transmission/web/ HTTP/1.0\nHost: x\n\n");
    ASSERT_EQ(parser.state(), State::complete) << parser.error();
    EXPECT_EQ(parser.minor_version(), 0);
    EXPECT_TRUE(parser.body().empty());
    EXPECT_FALSE(parser.keep_alive());
}

TEST(RequestParser, ConnectionOptionsDecideKeepAlive) {
    EXPECT_FALSE(parse("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive());
    EXPECT_FALSE(parse("GET / HTTP/1.1\r\nConnection: x, close\r\n\r\n").keep_alive());
    EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive());
}

TEST(RequestParser, ExpectContinueIsReportedOnceTheHeadIsIn) {
    RequestParser parser;
    EXPECT_EQ(parser.feed("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
              State::need_more);
    EXPECT_TRUE(parser.has_head());
    EXPECT_TRUE(parser.expects_continue());
    EXPECT_EQ(parser.content_length(), 3u);  // known before any body byte: the server reserves room for it
    EXPECT_EQ(parser.feed("abc"), State::complete);

    RequestParser chunked;
    chunked.feed("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    EXPECT_TRUE(chunked.has_head());
    EXPECT_EQ(chunked.content_length(), std::nullopt);
}

TEST(RequestParser, PipelinedRequestsParseOneAfterAnother) {
    const std::string stream =
        "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /c HT";
    RequestParser parser;
    ASSERT_EQ(parser.feed(stream), State::complete);
    EXPECT_EQ(parser.target(), "/a");
    EXPECT_EQ(parser.leftover_size(), stream.size() - 19);
    ASSERT_EQ(parser.next(), State::complete);
    EXPECT_EQ(parser.target(), "/b");
    EXPECT_EQ(parser.body(), "hi");
    EXPECT_EQ(parser.next(), State::need_more);
    EXPECT_FALSE(parser.has_head());
    EXPECT_EQ(parser.feed("TP/1.1\r\n\r\n"), State::complete);
    EXPECT_EQ(parser.target(), "/c");
}

TEST(RequestParser, EmptyLinesBeforeARequestAreSkipped) {
    RequestParser parser;
    ASSERT_EQ(parser.feed("POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\n"), State::complete);
    ASSERT_EQ(parser.next(), State::need_more);
    EXPECT_EQ(parser.feed("\r\nGET /b HTTP/1.1\r\n\r\n"), State::complete);
    EXPECT_EQ(parser.target(), "/b");
}

TEST(RequestParser, ParsesAChunkedBodyWithExtensionsAndTrailers) {
    const std::string_view input =
        "POST /transmission/rpc HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\nGET";
    for (std::size_t piece = 1; piece <= input.size(); ++piece) {
        const RequestParser parser = parse(input, piece);
        ASSERT_EQ(parser.state(), State::complete) << piece << parser.error();
        EXPECT_EQ(parser.body(), "helloabcdefghijklmnopqrstuvwxyz");
        EXPECT_EQ(parser.leftover_size(), 3u);
    }
}

TEST(RequestParser, MalformedRequestsAreBadRequests) {
    for (const std::string_view input : {
             "GET\r\n\r\n",
             "GET /\r\n\r\n",
             "GET / HTTP/2.0\r\n\r\n",
             "GET / HTTP/1.1 x\r\n\r\n",
             "GE(T / HTTP/1.1\r\n\r\n",
             "GET  / HTTP/1.1\r\n\r\n",
             "GET /\x01 HTTP/1.1\r\n\r\n",
             "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
             "GET / HTTP/1.1\r\nName : space\r\n\r\n",
             "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n",
             "GET / HTTP/1.1\r\nA: x\x01y\r\n\r\n",
             "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
             "POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n",
             "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
             "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
             "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
             "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
         }) {
        const RequestParser parser = parse(input);
        EXPECT_EQ(parser.state(), State::failed) << input;
        EXPECT_EQ(parser.failure(), Failure::bad_request) << input;
        EXPECT_FALSE(parser.error().empty());
        EXPECT_TRUE(std::none_of(parser.error().begin(), parser.error().end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
    }
}

TEST(RequestParser, AnOversizedHeadFailsWithoutGrowing) {
    RequestLimits limits;
    limits.max_head = 100;
    RequestParser parser(limits);
    EXPECT_EQ(parser.feed("GET / HTTP/1.1\r\nX: "), State::need_more);
    EXPECT_EQ(parser.feed(std::string(1000, 'a')), State::failed);
    EXPECT_EQ(parser.failure(), Failure::head_too_large);

    // Exactly at the limit is fine.
    std::string head = "GET / HTTP/1.1\r\nX: ";
    head += std::string(100 - head.size() - 4, 'a') + "\r\n\r\n";
    ASSERT_EQ(head.size(), 100u);
    EXPECT_EQ(parse(head, 0, limits).state(), State::complete);
    EXPECT_EQ(parse(head, 7, limits).state(), State::complete);
    head.insert(20, "a");
    EXPECT_EQ(parse(head, 0, limits).failure(), Failure::head_too_large);
}

TEST(RequestParser, TooManyHeadersIsAnOversizedHead) {
    std::string input = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 101; ++i) input += "A: b\r\n";
    EXPECT_EQ(parse(input + "\r\n").failure(), Failure::head_too_large);
}

TEST(RequestParser, AnOversizedContentLengthFailsBeforeTheBody) {
    RequestParser parser;
    EXPECT_EQ(parser.feed("POST /transmission/rpc HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n"),
              State::failed);
    EXPECT_EQ(parser.failure(), Failure::body_too_large);
    EXPECT_TRUE(parser.body().empty());
    // 16 MiB exactly is allowed.
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 16777216\r\n\r\n").state(), State::need_more);
}

TEST(RequestParser, AnOversizedChunkedBodyFails) {
    RequestLimits limits;
    limits.max_body = 10;
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n", 0, limits)
                  .failure(),
              Failure::body_too_large);
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n", 0, limits)
                  .failure(),
              Failure::body_too_large);
    EXPECT_EQ(
        parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(2000, '0'), 0, limits)
            .failure(),
        Failure::bad_request);
}

TEST(RequestParser, FailedIsFinal) {
    RequestParser parser;
    ASSERT_EQ(parser.feed("BAD\r\n\r\n"), State::failed);
    const std::string error = parser.error();
    EXPECT_EQ(parser.feed("GET / HTTP/1.1\r\n\r\n"), State::failed);
    EXPECT_EQ(parser.next(), State::failed);
    EXPECT_EQ(parser.error(), error);
}

}  // namespace
}  // namespace bt::http
