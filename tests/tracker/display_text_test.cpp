#include "tracker/display_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bt::tracker {
namespace {

struct Case {
    const char* what;
    std::string input;
    std::string expected;
};

TEST(DisplayText, KeepsPrintableTextAndEscapesTheRest) {
    const Case cases[] = {
        {"plain ASCII stays", "unregistered torrent", "unregistered torrent"},
        {"newline and CR cannot start a new log line", "a\nb\rc", "a\\x0ab\\x0dc"},
        {"terminal escape", "\x1b[2Jcleared", "\\x1b[2Jcleared"},
        {"DEL", "x\x7fy", "x\\x7fy"},
        {"trailing NULs (UDP trackers pad) go", std::string("bad hash\0\0\0", 11), "bad hash"},
        {"inner NUL is escaped", std::string("a\0b", 3), "a\\x00b"},
        {"surrounding spaces go", "  spaced  ", "spaced"},
        {"valid UTF-8 stays", "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80",
         "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80"},
        {"a lone continuation byte", "a\x80z", "a\\x80z"},
        {"a truncated sequence", "a\xe6\x97", "a\\xe6\\x97"},
        {"an overlong encoding", "\xc0\xaf", "\\xc0\\xaf"},
        {"a surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"},
        {"a C1 control", "\xc2\x85", "\\xc2\\x85"},
        {"empty", "", ""},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(display_text(c.input), c.expected) << c.what;
    }
}

TEST(DisplayText, CutsLongTextAtACharacterBoundary) {
    EXPECT_EQ(display_text(std::string(500, 'x'), 10), std::string(10, 'x') + "...");
    // "é" is two bytes: with 3 bytes allowed, "aé" fits and the next "é" does not.
    EXPECT_EQ(display_text("a\xc3\xa9\xc3\xa9", 3), "a\xc3\xa9...");
    EXPECT_EQ(display_text("abc", 3), "abc");
}

TEST(DisplayText, BoundsAMegabyteOfHostileText) {
    const std::string huge(1 << 20, '\n');
    const auto shown = display_text(huge);
    EXPECT_LE(shown.size(), kMaxDisplayTextBytes * 4 + 3);
    EXPECT_EQ(shown.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace bt::tracker
