// Bodies that are not a request we read: each still gets Transmission's reply shape (result + arguments),
// with the integer tag echoed once the JSON could be read.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <string>

#include "rpc/fake_backend.hpp"
#include "rpc/handler.hpp"
#include "rpc/json_prescan.hpp"

namespace bt::rpc {
namespace {

using nlohmann::json;
using testing::FakeBackend;

json reply_of(const std::string& body) {
    FakeBackend backend;
    backend.add_torrent(1, "one");
    const auto reply = handle(body, backend);
    const auto parsed = json::parse(reply, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << reply;
    EXPECT_TRUE(parsed["arguments"].is_object()) << reply;
    EXPECT_TRUE(parsed["result"].is_string()) << reply;
    EXPECT_TRUE(backend.calls.empty()) << body;
    return parsed;
}

long max_rss_kb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

TEST(RpcErrors, MalformedAndTruncatedJsonGetAReadableResult) {
    for (const char* body :
         {"", "{", R"({"method":"torrent-get","arguments":{"fields":["id"])", "not json",
          R"({"method":"session-get",})", "\xff\xfe", R"({"method":"session-get"} trailing)",
          R"({"method":"session-get","tag":1E999999})"}) {
        const auto r = reply_of(body);
        const auto result = r["result"].get<std::string>();
        EXPECT_EQ(result.rfind("malformed JSON: ", 0), 0u) << body << " -> " << result;
        EXPECT_FALSE(r.contains("tag"));
    }
}

TEST(RpcErrors, NotAnObjectOrNoMethod) {
    EXPECT_NE(reply_of("[1,2]")["result"], "success");
    EXPECT_NE(reply_of("42")["result"], "success");
    auto r = reply_of(R"({"tag":12})");
    EXPECT_EQ(r["result"], "method name not recognized");
    EXPECT_EQ(r["tag"], 12);
    r = reply_of(R"({"method":5,"tag":-3})");
    EXPECT_EQ(r["result"], "method name not recognized");
    EXPECT_EQ(r["tag"], -3);
    r = reply_of(R"({"method":"session-get","arguments":[],"tag":2})");
    EXPECT_NE(r["result"], "success");
    EXPECT_EQ(r["tag"], 2);
}

TEST(RpcErrors, UnknownMethodEchoesAnIntegerTagOnly) {
    auto r = reply_of(R"({"method":"torrent-explode","tag":42})");
    EXPECT_EQ(r["result"], "method name not recognized");
    ASSERT_TRUE(r["tag"].is_number_integer());
    EXPECT_EQ(r["tag"], 42);
    for (const char* tag : {R"("42")", "4.5", "null", "[1]", "true"}) {
        r = reply_of(std::string(R"({"method":"torrent-explode","tag":)") + tag + "}");
        EXPECT_FALSE(r.contains("tag")) << tag;
    }
}

TEST(RpcErrors, DeepNestingIsRefusedBeforeAnyDomIsBuilt) {
    const auto before = max_rss_kb();
    // 16 MiB of '[': the body size the HTTP front allows. nlohmann alone would use ~1 GB on this.
    const std::string deep(16u << 20, '[');
    const auto r = reply_of(deep);
    EXPECT_NE(r["result"].get<std::string>().find("nested deeper than 64"), std::string::npos);
    const auto million = std::string(1'000'000, '[') + std::string(1'000'000, ']');
    EXPECT_NE(reply_of(million)["result"], "success");
    // The body itself is 16 MiB; the answer must not add more than a little to it.
    EXPECT_LT(max_rss_kb() - before, 64 * 1024);
}

TEST(RpcErrors, NestingLimitCountsOnlyBracketsOutsideStrings) {
    const std::string at_limit = std::string(64, '[') + std::string(64, ']');
    EXPECT_FALSE(prescan_json(at_limit));
    EXPECT_TRUE(prescan_json("[" + at_limit + "]"));
    EXPECT_FALSE(prescan_json(R"({"s":")" + std::string(500, '[') + R"("})"));
    EXPECT_FALSE(prescan_json(R"({"s":"\"[[[[\\"})"));
    const auto r = reply_of(
        R"({"method":"session-get","arguments":{"fields":["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]},"tag":3})");
    EXPECT_EQ(r["result"], "success");
}

TEST(RpcErrors, TooManyValuesAreRefused) {
    std::string many = "[";
    for (std::size_t i = 0; i <= kMaxJsonValues; ++i) many += "0,";
    many += "0]";
    EXPECT_NE(reply_of(many)["result"].get<std::string>().find("more than"), std::string::npos);
}

TEST(RpcErrors, UrlToFetchOnlyForTorrentAddWithAnHttpFilename) {
    EXPECT_EQ(url_to_fetch(parse_request(
                  R"({"method":"torrent-add","arguments":{"filename":"HTTPS://x/t.torrent"}})")),
              "HTTPS://x/t.torrent");
    EXPECT_FALSE(
        url_to_fetch(parse_request(R"({"method":"torrent-add","arguments":{"filename":"/tmp/t.torrent"}})")));
    EXPECT_FALSE(
        url_to_fetch(parse_request(R"({"method":"torrent-get","arguments":{"filename":"http://x/t"}})")));
    EXPECT_FALSE(url_to_fetch(parse_request(R"({"method":"torrent-add","arguments":{"filename":5}})")));
    EXPECT_FALSE(url_to_fetch(parse_request("{")));
}

}  // namespace
}  // namespace bt::rpc
