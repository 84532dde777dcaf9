#include "metainfo/path_sanitizer.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace bt::metainfo::detail {
namespace {

struct ComponentCase {
    std::string raw;
    std::string expected;  // "" when the element is dropped
};

class SanitizeComponent : public testing::TestWithParam<ComponentCase> {};

// Every expected value is what libtorrent 2.0.8 (python3-libtorrent) names the same element.
TEST_P(SanitizeComponent, AsLibtorrent) {
    const auto& c = GetParam();
    EXPECT_EQ(sanitize_component(c.raw), c.expected) << testing::PrintToString(c.raw);
}

INSTANTIATE_TEST_SUITE_P(
    Rule, SanitizeComponent,
    testing::Values(ComponentCase{"file.txt", "file.txt"}, ComponentCase{"", "_"}, ComponentCase{".", ""},
                    ComponentCase{"..", ""}, ComponentCase{std::string("a\0b", 3), "ab"},
                    ComponentCase{std::string("..\0", 3), ""}, ComponentCase{"a/b", "ab"},
                    ComponentCase{"a\\b", "ab"}, ComponentCase{"/", ""}, ComponentCase{"/..", ""},
                    ComponentCase{"\\.", ""}, ComponentCase{"../..", "...."}, ComponentCase{"..\\x", "..x"},
                    ComponentCase{"...", "..."}, ComponentCase{".hidden", ".hidden"},
                    ComponentCase{" .. ", " .. "}, ComponentCase{"caf\xc3\xa9", "caf\xc3\xa9"},
                    ComponentCase{"x\x01y", "x_y"}, ComponentCase{"a\tb", "a_b"},
                    ComponentCase{"\x7f", "\x7f"},
                    // Invalid UTF-8: one '_' per sequence as libtorrent decodes it.
                    ComponentCase{"\xff", "_"}, ComponentCase{"\xc3\x28", "_"}, ComponentCase{"\xc3", "_"},
                    ComponentCase{"\xed\xa0\x80", "_"}, ComponentCase{"\xf8\x88\x80\x80\x80", "_"},
                    ComponentCase{"\xc0\xaf", "_"},
                    // Direction marks go: "invoice<RLO>txt.exe" would show as "invoiceexe.txt".
                    ComponentCase{"e\xe2\x80\x8ex", "ex"},
                    ComponentCase{"invoice\xe2\x80\xaetxt.exe", "invoicetxt.exe"},
                    ComponentCase{"\xe2\x80\xae", ""},
                    // Cut at 240 bytes; an extension within the last 9 bytes is kept.
                    ComponentCase{std::string(240, 'a'), std::string(240, 'a')},
                    ComponentCase{std::string(300, 'a'), std::string(240, 'a')},
                    ComponentCase{std::string(300, 'a') + ".flac", std::string(240, 'a') + ".flac"},
                    ComponentCase{std::string(250, 'a') + ".flac", std::string(240, 'a') + ".flac"},
                    ComponentCase{std::string(300, 'a') + "." + std::string(20, 'e'), std::string(240, 'a')},
                    ComponentCase{std::string(239, 'a') + "\xc3\xa9zz", std::string(239, 'a') + "\xc3\xa9"},
                    ComponentCase{[] {
                                      std::string s;
                                      for (int i = 0; i < 70; ++i) s += "\xf0\x9f\x98\x80";
                                      return s + ".mp3";
                                  }(),
                                  [] {
                                      std::string s;
                                      for (int i = 0; i < 60; ++i) s += "\xf0\x9f\x98\x80";
                                      return s + ".mp3";
                                  }()},
                    // Replacements alone never reach the cut: past 255 bytes (where libtorrent could not
                    // create the file) the name is cut at 255.
                    ComponentCase{std::string(300, '\xff'), std::string(255, '_')}));

TEST(SanitizeComponent, SaysWhatChanged) {
    PathChanges c;
    EXPECT_EQ(sanitize_component("..", &c), "");
    EXPECT_TRUE(c.parent_dropped);
    EXPECT_FALSE(c.dot_dropped || c.chars_replaced || c.chars_removed || c.empty_replaced || c.shortened);
    c = {};
    EXPECT_EQ(sanitize_component("a/b\x01", &c), "ab_");
    EXPECT_TRUE(c.chars_removed && c.chars_replaced);
    EXPECT_EQ(c.describe(),
              "NUL, '/', '\\' or direction marks removed, "
              "control characters or invalid UTF-8 replaced by '_'");
    c = {};
    sanitize_component(std::string(300, 'a'), &c);
    EXPECT_TRUE(c.shortened);
    c = {};
    sanitize_component(std::string(240, 'a'), &c);
    EXPECT_FALSE(c.any());
    c = {};
    sanitize_component(std::string(240, 'a') + ".flac", &c);
    EXPECT_FALSE(c.any()) << "the extension follows the cut at once: nothing is left out";
}

TEST(DecodeUtf8, AsLibtorrent) {
    EXPECT_EQ(decode_utf8("a"), (std::pair<std::int32_t, std::size_t>{'a', 1}));
    EXPECT_EQ(decode_utf8("\xc3\xa9"), (std::pair<std::int32_t, std::size_t>{0xe9, 2}));
    EXPECT_EQ(decode_utf8("\xf0\x9f\x98\x80"), (std::pair<std::int32_t, std::size_t>{0x1f600, 4}));
    EXPECT_EQ(decode_utf8("\x80z"), (std::pair<std::int32_t, std::size_t>{-1, 1}));
    EXPECT_EQ(decode_utf8("\xe2\x82"), (std::pair<std::int32_t, std::size_t>{-1, 2})) << "cut short";
    EXPECT_EQ(decode_utf8("\xe2(zz"), (std::pair<std::int32_t, std::size_t>{-1, 3})) << "bad continuation";
    EXPECT_EQ(decode_utf8("\xf4\x90\x80\x80"), (std::pair<std::int32_t, std::size_t>{-1, 4}))
        << "past U+10FFFF";
    EXPECT_EQ(decode_utf8("\xfb\xbf"), (std::pair<std::int32_t, std::size_t>{-1, 2})) << "5-byte lead";
}

TEST(ReservedRootName, TheResumeFolderNameIsRenamedInAnyCase) {
    EXPECT_EQ(rename_reserved_root(".bitveil"), ".bitveil_");
    EXPECT_EQ(rename_reserved_root(".BitVeil"), ".BitVeil_");
    EXPECT_EQ(rename_reserved_root(".BITVEIL"), ".BITVEIL_");
    for (const char* other : {".bitveil_", "bitveil", ".bitveil2", "x.bitveil", ".bitvei", ""}) {
        EXPECT_EQ(rename_reserved_root(other), other);
    }
}

TEST(SanitizePath, DropsDotsAndReplacesEmptyElements) {
    const std::vector<std::string_view> raw = {"", "a", ".", "..", "b", ""};
    PathChanges c;
    EXPECT_EQ(sanitize_path(raw, &c), (std::vector<std::string>{"_", "a", "b", "_"}));
    EXPECT_TRUE(c.parent_dropped && c.dot_dropped && c.empty_replaced);
}

TEST(SanitizePath, APathWithNothingLeftIsUnderscore) {
    const std::vector<std::string_view> dots = {".", "..", "/"};
    EXPECT_EQ(sanitize_path(dots), (std::vector<std::string>{"_"}));
    EXPECT_EQ(sanitize_path({}), (std::vector<std::string>{"_"}));
}

TEST(SanitizePath, ParentElementsAreDroppedNeverFollowed) {
    const std::vector<std::string_view> raw = {"..", "..", "etc", "passwd"};
    EXPECT_EQ(sanitize_path(raw), (std::vector<std::string>{"etc", "passwd"}));
    const std::vector<std::string_view> inside = {"a", "..", "..", "b"};
    EXPECT_EQ(sanitize_path(inside), (std::vector<std::string>{"a", "b"}));
}

struct ConflictCase {
    const char* what;
    std::vector<std::vector<std::string>> paths;
    std::optional<std::pair<std::size_t, std::size_t>> expected;
};

class PathConflict : public testing::TestWithParam<ConflictCase> {};

TEST_P(PathConflict, IsFound) {
    const auto& c = GetParam();
    std::vector<const std::vector<std::string>*> ptrs;
    for (const auto& p : c.paths) ptrs.push_back(&p);
    EXPECT_EQ(find_path_conflict(ptrs), c.expected) << c.what;
}

using P = std::vector<std::vector<std::string>>;
INSTANTIATE_TEST_SUITE_P(
    Files, PathConflict,
    testing::Values(ConflictCase{"none", P{{"a"}, {"b"}, {"c", "d"}}, std::nullopt},
                    ConflictCase{"empty list", P{}, std::nullopt},
                    ConflictCase{"siblings", P{{"a", "b"}, {"a", "c"}}, std::nullopt},
                    ConflictCase{"similar names", P{{"a"}, {"a.txt"}, {"ab", "c"}}, std::nullopt},
                    ConflictCase{"duplicate", P{{"z"}, {"a", "b"}, {"a", "b"}},
                                 std::pair<std::size_t, std::size_t>{1, 2}},
                    ConflictCase{"file is a folder", P{{"a", "b", "c"}, {"q"}, {"a", "b"}},
                                 std::pair<std::size_t, std::size_t>{2, 0}},
                    ConflictCase{"folder prefix with files between", P{{"a", "a"}, {"a"}, {"a", "b"}, {"b"}},
                                 std::pair<std::size_t, std::size_t>{1, 0}}));

}  // namespace
}  // namespace bt::metainfo::detail
