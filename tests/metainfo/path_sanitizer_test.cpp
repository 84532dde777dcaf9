#include "metainfo/path_sanitizer.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace bt::metainfo::detail {
namespace {

struct ComponentCase {
    std::string raw;
    std::optional<std::string> expected;  // nullopt: refused with `problem`
    PathProblem problem = PathProblem::empty;
};

class SanitizeComponent : public testing::TestWithParam<ComponentCase> {};

TEST_P(SanitizeComponent, FollowsTheRule) {
    const auto& c = GetParam();
    auto r = sanitize_component(c.raw);
    if (c.expected) {
        ASSERT_TRUE(r) << c.raw << ": " << describe(r.error());
        EXPECT_EQ(*r, *c.expected);
    } else {
        ASSERT_FALSE(r) << c.raw;
        EXPECT_EQ(r.error(), c.problem) << c.raw;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Rule, SanitizeComponent,
    testing::Values(
        ComponentCase{"file.txt", "file.txt"}, ComponentCase{"", ""}, ComponentCase{".", ""},
        ComponentCase{"..", std::nullopt, PathProblem::parent_dir},
        ComponentCase{std::string("a\0b", 3), std::nullopt, PathProblem::nul_byte},
        ComponentCase{std::string("..\0", 3), std::nullopt, PathProblem::nul_byte},
        ComponentCase{"a/b", "a_b"}, ComponentCase{"a\\b", "a_b"}, ComponentCase{"/", "_"},
        ComponentCase{"../..", ".._.."}, ComponentCase{"..\\x", ".._x"}, ComponentCase{"...", "..."},
        ComponentCase{".hidden", ".hidden"}, ComponentCase{" .. ", " .. "},
        ComponentCase{"caf\xc3\xa9", "caf\xc3\xa9"},
        ComponentCase{std::string(255, 'a'), std::string(255, 'a')},
        ComponentCase{std::string(256, 'a'), std::string(255, 'a')},
        ComponentCase{std::string(300, 'a') + ".flac", std::string(250, 'a') + ".flac"},
        ComponentCase{std::string(300, '/') + ".txt", std::string(251, '_') + ".txt"},
        // An extension longer than 16 bytes is not worth keeping.
        ComponentCase{std::string(300, 'a') + "." + std::string(20, 'e'), std::string(255, 'a')},
        // 254 ASCII + a 2-byte letter: the letter does not fit whole, so it goes.
        ComponentCase{std::string(254, 'a') + "\xc3\xa9", std::string(254, 'a')},
        ComponentCase{std::string(253, 'a') + "\xc3\xa9" + "zz", std::string(253, 'a') + "\xc3\xa9"},
        ComponentCase{std::string(253, 'a') + "\xe2\x82\xac", std::string(253, 'a')},
        ComponentCase{std::string(249, 'a') + "\xf0\x9f\x98\x80" + ".mp3", std::string(249, 'a') + ".mp3"}));

TEST(ReservedRootName, TheResumeFolderNameIsRenamedInAnyCase) {
    EXPECT_EQ(rename_reserved_root(".bitveil"), ".bitveil_");
    EXPECT_EQ(rename_reserved_root(".BitVeil"), ".BitVeil_");
    EXPECT_EQ(rename_reserved_root(".BITVEIL"), ".BITVEIL_");
    for (const char* other : {".bitveil_", "bitveil", ".bitveil2", "x.bitveil", ".bitvei", ""}) {
        EXPECT_EQ(rename_reserved_root(other), other);
    }
}

TEST(TruncateUtf8, NeverCutsASequenceInHalf) {
    const std::string euro = "\xe2\x82\xac";  // 3 bytes
    std::string text;
    for (int n = 0; n < 100; ++n) text += euro;
    for (std::size_t max = 0; max <= text.size(); ++max) {
        const auto cut = truncate_utf8(text, max);
        EXPECT_EQ(cut.size(), max / 3 * 3) << max;
    }
    const std::string emoji = "ab\xf0\x9f\x98\x80";
    EXPECT_EQ(truncate_utf8(emoji, 5), "ab");
    EXPECT_EQ(truncate_utf8(emoji, 6), emoji);
}

TEST(TruncateUtf8, InvalidUtf8IsCutWithoutBackingOffFar) {
    const std::string junk(300, '\x80');
    EXPECT_EQ(truncate_utf8(junk, 255).size(), 255u);
    const std::string leads(300, '\xf0');  // every byte a lead with no continuation
    EXPECT_EQ(truncate_utf8(leads, 255).size(), 254u);
    EXPECT_EQ(truncate_component(std::string(300, '\xe2')).size(), 254u);
}

TEST(SanitizePath, DropsEmptyAndDotComponents) {
    const std::vector<std::string_view> raw = {"", "a", ".", "b", ""};
    auto r = sanitize_path(raw);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<std::string>{"a", "b"}));
}

TEST(SanitizePath, RefusesAPathWithNothingLeft) {
    const std::vector<std::string_view> dots = {".", "", "."};
    EXPECT_EQ(sanitize_path(dots).error(), PathProblem::empty);
    EXPECT_EQ(sanitize_path({}).error(), PathProblem::empty);
}

TEST(SanitizePath, RefusesParentAnywhere) {
    const std::vector<std::string_view> raw = {"a", "b", ".."};
    EXPECT_EQ(sanitize_path(raw).error(), PathProblem::parent_dir);
}

TEST(Describe, NamesTheEscape) {
    EXPECT_STREQ(describe(PathProblem::parent_dir), "path escapes the download folder ('..')");
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
