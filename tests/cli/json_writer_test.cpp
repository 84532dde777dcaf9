#include "cli/json_writer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bt::cli {
namespace {

std::string json_literal(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

struct EscapeCase {
    std::string input;
    std::string expected;
};

class JsonEscape : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(JsonEscape, ProducesTheExpectedLiteral) {
    EXPECT_EQ(json_literal(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonEscape,
    ::testing::Values(EscapeCase{"", R"("")"}, EscapeCase{"plain ascii", R"("plain ascii")"},
                      EscapeCase{"quote \" and backslash \\", R"("quote \" and backslash \\")"},
                      EscapeCase{"a/b", R"("a/b")"},  // '/' needs no escape
                      EscapeCase{"\n\r\t\b\f", R"("\n\r\t\b\f")"},
                      EscapeCase{std::string("\x00\x01\x1f", 3), R"("\u0000\u0001\u001f")"},
                      EscapeCase{"\x7f", "\"\x7f\""},  // DEL is allowed raw in JSON
                      // Valid UTF-8 is kept: 2, 3 and 4 byte forms.
                      EscapeCase{"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xB5",
                                 "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xB5\""},
                      // Invalid bytes become U+FFFD, one per byte.
                      EscapeCase{"a\xFF"
                                 "b",
                                 "\"a\xEF\xBF\xBD"
                                 "b\""},
                      EscapeCase{"\xC3", "\"\xEF\xBF\xBD\""},                  // truncated
                      EscapeCase{"\x80x", "\"\xEF\xBF\xBDx\""},                // lone continuation
                      EscapeCase{"\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},  // overlong '/'
                      EscapeCase{"\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},  // surrogate
                      EscapeCase{"\xF4\x90\x80\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
                      EscapeCase{"latin1 \xE9t\xE9", "\"latin1 \xEF\xBF\xBDt\xEF\xBF\xBD\""}));

TEST(JsonWriter, WritesNestedObjectsAndArraysPrettyPrinted) {
    JsonWriter w;
    w.begin_object();
    w.key("name");
    w.string("x");
    w.key("size");
    w.integer(-42);
    w.key("ok");
    w.boolean(true);
    w.key("none");
    w.null();
    w.key("tiers");
    w.begin_array();
    w.begin_array();
    w.string("a");
    w.string("b");
    w.end_array();
    w.end_array();
    w.key("empty");
    w.begin_array();
    w.end_array();
    w.key("obj");
    w.begin_object();
    w.end_object();
    w.end_object();
    EXPECT_EQ(w.str(), R"({
  "name": "x",
  "size": -42,
  "ok": true,
  "none": null,
  "tiers": [
    [
      "a",
      "b"
    ]
  ],
  "empty": [],
  "obj": {}
})");
}

TEST(JsonWriter, EscapesKeysLikeStrings) {
    JsonWriter w;
    w.begin_object();
    w.key("k\"\xFF");
    w.integer(1);
    w.end_object();
    EXPECT_EQ(w.str(), "{\n  \"k\\\"\xEF\xBF\xBD\": 1\n}");
}

TEST(JsonWriter, WritesExtremeIntegersExactly) {
    JsonWriter w;
    w.begin_array();
    w.integer(INT64_MAX);
    w.integer(INT64_MIN);
    w.end_array();
    EXPECT_EQ(w.str(), "[\n  9223372036854775807,\n  -9223372036854775808\n]");
}

}  // namespace
}  // namespace bt::cli
